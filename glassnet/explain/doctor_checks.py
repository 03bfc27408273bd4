"""The training doctor's checks of the loss curves, the inputs and the output layer against
the loss: each returns one :class:`~glassnet.explain.doctor_report.Diagnosis` or None.

- the curves: learning rate too high (diverged as :mod:`glassnet.training.divergence`
  defines it, rising or oscillating) or too low (barely moving), overfitting onset,
  underfitting (the training loss near that of the best constant prediction, the loss's own
  :meth:`~glassnet.losses.Loss.constant_baseline`);
- the inputs: unscaled features;
- the output layer and the loss: a mismatched pair.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import activations, nn
from glassnet.explain.doctor_report import LIMITS, Diagnosis
from glassnet.explain.render import num
from glassnet.training.divergence import divergence

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from glassnet.losses import Loss
    from glassnet.nn.module import Module
    from glassnet.optim import Optimizer
    from glassnet.training.history import History

    Curves = dict[str, np.ndarray]  # a History's per-epoch lists as float64 arrays

__all__ = [
    "curves_of",
    "lr_too_high",
    "lr_too_low",
    "overfitting_onset",
    "overfitting",
    "baseline",
    "underfitting",
    "unscaled",
    "mismatch",
]


# ---- the loss curves ------------------------------------------------------------------------
def curves_of(history: History | dict | None) -> dict[str, np.ndarray]:
    if history is None:
        return {}
    table = history.history if hasattr(history, "history") else history
    return {k: np.asarray(v, dtype=np.float64) for k, v in table.items() if len(v)}


def _lr_text(lr) -> str:
    return f" (now lr={num(lr)})" if lr is not None else ""


def lr_too_high(
    curves: Curves, history: History | dict | None, lr: float | None
) -> Diagnosis | None:
    loss = curves["loss"]
    diverged = getattr(history, "diverged", None)
    fix = f"divide the learning rate by 10{_lr_text(lr)}, or scale the inputs"
    batches = getattr(history, "batch_loss", None)
    found = divergence(loss, batches[0] if batches else None)  # the one definition
    if diverged or found is not None:
        if diverged:  # fit's own words, without its hint (the fix below says it)
            finding = diverged.split("\n")[0].removeprefix("fit: ")
        elif found.rule == "non-finite":
            finding = f"the loss became NaN/inf: {loss.tolist()}"
        else:
            finding = f"training diverged: {found.describe()}"
        return Diagnosis("lr_too_high", finding, fix, {"loss": loss.tolist()})
    if len(loss) >= 2 and loss[-1] > loss[0]:
        return Diagnosis(
            "lr_too_high",
            f"the loss rose from {num(loss[0])} to {num(loss[-1])} over {len(loss)} epochs",
            fix,
            {"first": loss[0], "last": loss[-1]},
        )
    rise = np.diff(loss) / np.maximum(loss[:-1], 1e-12)
    jumps = int(np.sum(rise > 0.1))
    if jumps >= 2:
        return Diagnosis(
            "lr_too_high",
            f"the loss oscillates: it jumped up by more than 10% in {jumps} of {len(rise)} "
            f"epochs (at most +{rise.max():.0%})",
            fix,
            {"jumps": jumps, "epochs": len(loss), "largest_rise": float(rise.max())},
        )
    return None


def lr_too_low(curves: Curves, optimizer: Optimizer | None) -> Diagnosis | None:
    lr = getattr(optimizer, "lr", None)
    loss = curves["loss"]
    if len(loss) < 3 or loss[0] <= 1e-6:
        return None
    drop = (loss[0] - loss[-1]) / loss[0]
    if drop >= 0.05:
        return None
    return Diagnosis(
        "lr_too_low",
        f"the loss barely moves: {num(loss[0])} → {num(loss[-1])} ({drop:.1%}) "
        f"in {len(loss)} epochs",
        f"multiply the learning rate by 10{_lr_text(lr)}"
        + ("" if type(optimizer).__name__ == "Adam" else ", or use Adam"),
        {"first": loss[0], "last": loss[-1], "relative_drop": drop},
    )


def overfitting_onset(val_loss: ArrayLike, loss: ArrayLike, margin: float = 0.05) -> int | None:
    """The epoch (counted from 1) from which the validation loss rises while the training
    loss keeps falling, or None. The rise must exceed ``margin`` of the best validation loss
    and last at least two epochs."""
    val, train = np.asarray(val_loss, dtype=float), np.asarray(loss, dtype=float)
    if len(val) < 4 or not np.all(np.isfinite(val)):
        return None
    best = int(np.argmin(val))
    if len(val) - 1 - best < 2 or val[-1] <= val[best] * (1 + margin) or train[-1] >= train[best]:
        return None
    return best + 2


def overfitting(curves: Curves) -> Diagnosis | None:
    if "val_loss" not in curves:
        return None
    val, train = curves["val_loss"], curves["loss"]
    onset = overfitting_onset(val, train)
    if onset is None:
        return None
    best = onset - 2
    return Diagnosis(
        "overfitting",
        f"overfitting from epoch {onset}: the validation loss was lowest at epoch {best + 1} "
        f"({num(val[best])}) and rose to {num(val[-1])} while the training loss fell from "
        f"{num(train[best])} to {num(train[-1])}",
        f"stop at epoch {best + 1}: EarlyStopping(monitor='val_loss', patience=2, "
        "restore_best_weights=True); more data or Dropout also help",
        {
            "onset_epoch": onset,
            "best_epoch": best + 1,
            "best_val_loss": val[best],
            "last_val_loss": val[-1],
        },
    )


def baseline(loss: Loss | None, y: ArrayLike | None) -> float | None:
    """The loss of the best constant prediction for targets ``y`` (the loss's own
    ``constant_baseline``), or None without y or when the loss does not know it."""
    method = getattr(loss, "constant_baseline", None)
    return None if y is None or method is None else method(np.asarray(y))


def underfitting(curves: Curves, baseline: float) -> Diagnosis | None:
    """The training loss settled at half or more of ``baseline``, the loss of the best
    constant prediction (the mean, the median or the class frequencies): a model that
    cannot beat it has learned nothing about x."""
    train = curves["loss"]
    recent = (train[-3] - train[-1]) / max(train[-3], 1e-12) if len(train) >= 3 else 1.0
    if baseline <= 0 or train[-1] < 0.5 * baseline or recent > 0.02:
        return None
    return Diagnosis(
        "underfitting",
        f"the training loss settled at {num(train[-1])}, {train[-1] / baseline:.0%} of the "
        f"{num(baseline)} a constant prediction gets",
        "give the model more capacity (more units or layers, a nonlinear activation) or "
        "train longer",
        {"loss": train[-1], "baseline": baseline, "recent_relative_drop": recent},
    )


# ---- the inputs -----------------------------------------------------------------------------
def unscaled(x: np.ndarray) -> Diagnosis | None:
    """Ranges (max − min per feature) that differ 10× or more while the widest exceeds 10,
    or values of 100 and more. Already-scaled data passes: min-max scaled features span at
    most 1 (a rarely-inked border pixel may span 0.01 of MNIST's 1), standardised ones a few
    units."""
    flat = x.reshape(len(x), -1)
    spread = flat.max(axis=0) - flat.min(axis=0)
    live = spread[spread > 0]
    if live.size == 0:
        return None
    ratio, biggest = float(live.max() / live.min()), float(np.abs(flat).max())
    uneven = ratio >= LIMITS["range_ratio"] and live.max() > LIMITS["wide_range"]
    if not uneven and biggest < LIMITS["magnitude"]:
        return None
    return Diagnosis(
        "unscaled_inputs",
        f"the feature ranges go from {num(live.min())} to {num(live.max())} ({ratio:.3g}×) and "
        f"the largest |x| is {num(biggest)}",
        "rescale every feature to [0, 1]: scaler = gn.data.MinMaxScaler(); "
        "x = scaler.fit_transform(x_train)",
        {
            "smallest_range": float(live.min()),
            "largest_range": float(live.max()),
            "ratio": ratio,
            "max_abs": biggest,
        },
    )


# ---- the output layer and the loss ----------------------------------------------------------
def mismatch(last: Module, loss: Loss, y: ArrayLike | None) -> Diagnosis | None:
    """The first rule the output layer ``last`` and the loss break: an activation the loss
    applies itself, a sigmoid output under a loss of plain values on 0/1 classes (σ′ then
    vanishes where the error is largest), or raw scores where the loss takes probabilities."""
    spec, title = activations.of(last), type(loss).__name__
    takes = getattr(loss, "takes", "values")
    fused = getattr(loss, "fused_activation", None)
    classes = y is not None and np.isin(np.unique(np.asarray(y)), (0, 1)).all()
    rules = [
        (
            spec is not None and spec.name == fused,
            f"the model ends in {type(last).__name__} but {title}(from_logits=True) applies "
            f"{fused} again",
            f"remove the final {type(last).__name__} layer (keep from_logits=True), or use "
            f"{title}(from_logits=False)",
        ),
        (
            spec is not None and spec.name == "sigmoid" and takes == "values" and classes,
            f"a Sigmoid output trained with {title} on 0/1 classes: the slope σ′ vanishes "
            "exactly when the prediction is confidently wrong",
            "use loss='binary_cross_entropy' for yes/no classes",
        ),
        (
            isinstance(last, nn.Dense) and takes == "probabilities",
            f"{title}(from_logits=False) expects probabilities, but the model ends "
            "in a Dense layer whose outputs are raw scores",
            "pass from_logits=True to the loss (or end the model in Softmax/Sigmoid)",
        ),
    ]
    for hit, finding, fix in rules:
        if hit:
            return Diagnosis(
                "output_loss_mismatch",
                finding,
                fix,
                {"last_layer": type(last).__name__, "loss": repr(loss)},
            )
    return None
