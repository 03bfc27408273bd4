"""Figures of training runs: a History with its overfitting onset, optimizers compared on one
problem, and a learning-rate sweep from too small to diverging."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.errors import ConfigError, message
from glassnet.explain.doctor import overfitting_onset
from glassnet.plot._figure import curve, epoch_axis, finish, new_figure

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping, Sequence

    from matplotlib.figure import Figure

    from glassnet.training.history import History

__all__ = ["history", "loss_curves", "lr_sweep", "sweep_verdicts"]


def _table(history) -> dict:
    table = history.history if hasattr(history, "history") else history
    if not isinstance(table, dict) or "loss" not in table:
        raise ConfigError(
            message(
                "plot.history",
                "a history needs a 'loss' curve",
                type(history).__name__ if not isinstance(table, dict) else f"keys {list(table)}",
                "a History from fit() or a dict with 'loss' (and 'val_loss', metrics)",
            )
        )
    return table


def history(
    history: History | Mapping[str, Sequence[float]],
    path: str | os.PathLike | None = None,
    metric: str | None = None,
    title: str = "Training history",
) -> Figure:
    """Training and validation loss per epoch (left) and one metric (right, when recorded;
    by default the first one other than the learning rate ``lr``),
    with a vertical line at the overfitting onset found by the doctor's rule.

    Epochs are counted from 1. Returns the matplotlib Figure (saved as PNG to ``path``).
    """
    table = _table(history)
    metric = metric or next(
        (k for k in table if k not in ("loss", "lr") and not k.startswith("val_")), None
    )
    fig, axes = new_figure(1, 2 if metric else 1)
    loss_ax = axes[0] if metric else axes
    epochs = np.arange(1, len(table["loss"]) + 1)
    for key, ax in [("loss", loss_ax)] + ([(metric, axes[1])] if metric else []):
        ax.plot(
            epochs, curve(table[key], "plot.history", key), marker=".", label=f"training {key}"
        )
        if f"val_{key}" in table:
            val = curve(table[f"val_{key}"], "plot.history", f"val_{key}")
            ax.plot(epochs, val, marker=".", label=f"validation {key}")
        epoch_axis(ax)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
    onset = overfitting_onset(table["val_loss"], table["loss"]) if "val_loss" in table else None
    if onset is not None:
        loss_ax.axvline(
            onset, color="tab:red", linestyle="--", label=f"overfitting from epoch {onset}"
        )
    loss_ax.legend()
    if metric:
        axes[1].legend()
    fig.glassnet_onset = onset
    return finish(fig, path, title)


def loss_curves(
    curves: dict,
    path: str | os.PathLike | None = None,
    title: str = "Loss per epoch",
    log: bool = False,
) -> Figure:
    """One loss curve per entry of ``curves`` ({label: History or per-epoch values}), on one
    set of axes: e.g. gradient descent, SGD, mini-batch and Adam on the same problem."""
    if not curves:
        raise ConfigError(message("plot.loss_curves", "no curves given", "{}", "{label: losses}"))
    fig, ax = new_figure()
    for label, values in curves.items():
        values = _table(values)["loss"] if hasattr(values, "history") else values
        y = curve(values, "plot.loss_curves", str(label))
        ax.plot(np.arange(1, len(y) + 1), y, marker=".", label=str(label))
    epoch_axis(ax)
    ax.set_ylabel("loss")
    if log:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    return finish(fig, path, title)


def lr_sweep(
    curves: dict, path: str | os.PathLike | None = None, title: str = "Learning-rate sweep"
) -> Figure:
    """Loss curves for several learning rates ({lr: per-epoch losses}), each labelled by
    :func:`sweep_verdicts` ("too small", "good", "too large" or "diverged"). A diverged curve
    is drawn up to its last finite value and the y-axis is capped at 3× the first loss so
    the others stay readable. The verdicts are kept in ``fig.glassnet_verdicts``."""
    fig, ax = new_figure()
    arrays = {lr: curve(values, "plot.lr_sweep", f"lr={lr}") for lr, values in curves.items()}
    verdicts = sweep_verdicts(arrays)
    top = 0.0
    for lr, y in sorted(arrays.items()):
        finite = y[: np.argmax(~np.isfinite(y))] if not np.all(np.isfinite(y)) else y
        ax.plot(
            np.arange(1, len(finite) + 1), finite, marker=".", label=f"lr={lr:g}: {verdicts[lr]}"
        )
        top = max(top, 3 * float(y[0]))
    ax.set_ylim(0, top if top > 0 else None)
    epoch_axis(ax)
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.glassnet_verdicts = verdicts
    return finish(fig, path, title)


def sweep_verdicts(curves: dict) -> dict:
    """{lr: verdict} for per-epoch loss curves of one problem at several learning rates.

    "diverged": the loss ends above where it started, or becomes NaN/inf. The others are
    judged against the lowest final loss L*: within 2·L* is "good"; a worse curve is "too
    small" when its rate is below the best one's and "too large" above it. A loss that fell
    by less than 5% is "too small" in any case (a sweep of one rate can still say so).
    """
    y = {lr: np.asarray(v, dtype=np.float64) for lr, v in curves.items()}
    diverged = {lr for lr, v in y.items() if not np.all(np.isfinite(v)) or v[-1] > v[0]}
    finals = {lr: v[-1] for lr, v in y.items() if lr not in diverged}
    best = min(finals, key=finals.get) if finals else None
    verdicts = {}
    for lr, v in y.items():
        if lr in diverged:
            verdicts[lr] = "diverged"
        elif (v[0] - v[-1]) < 0.05 * abs(v[0]):
            verdicts[lr] = "too small"
        elif finals[lr] <= 2 * finals[best]:
            verdicts[lr] = "good"
        else:
            verdicts[lr] = "too small" if lr < best else "too large"
    return verdicts
