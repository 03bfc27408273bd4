"""``gn.plot.search(result)``: the monitored metric against each hyperparameter of a search.

One panel per hyperparameter. Each ``ok`` trial is a dot at (its value, its best monitored
value); the best trial is a star. LogUniform parameters get a log x axis, Choice and
IntUniform parameters one column per option. Diverged and failed trials have no score: they
are drawn as crosses along the top edge (red: diverged, grey: failed) at their parameter
value, so a region of the space that blows up is visible. A metric spanning more than two
decades gets a log y axis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.plot._figure import finish, new_figure
from glassnet.tune.distributions import Choice, IntUniform
from glassnet.tune.result import SearchResult, format_value

if TYPE_CHECKING:
    import os

    from matplotlib.figure import Figure

__all__ = ["search"]


def _positions(dist, values: list) -> tuple[np.ndarray, list | None]:
    """x positions of the values, and tick labels for a categorical axis (else None)."""
    if isinstance(dist, Choice):
        index = {repr(option): i for i, option in enumerate(dist.options)}
        return np.array([index[repr(v)] for v in values], float), [
            format_value(o) for o in dist.options
        ]
    return np.array(values, float), None


def _panel(ax, name: str, dist, result: SearchResult) -> None:
    from matplotlib.ticker import MaxNLocator, NullFormatter

    ok = [r for r in result.records if r["status"] == "ok" and r["best"] is not None]
    x_ok, labels = _positions(dist, [r["params"][name] for r in ok])
    ax.scatter(x_ok, [r["best"] for r in ok], s=28, alpha=0.75, label="trial")
    if ok:
        best = result.best_record
        x_best, _ = _positions(dist, [best["params"][name]])
        ax.scatter(x_best, [best["best"]], marker="*", s=220, color="tab:orange", label="best")
    top = ax.get_xaxis_transform()  # x in data units, y in axes units (1 = top edge)
    for status, color in (("diverged", "tab:red"), ("failed", "tab:gray")):
        bad = [r["params"][name] for r in result.records if r["status"] == status]
        if bad:
            x_bad, _ = _positions(dist, bad)
            ax.scatter(x_bad, np.full(len(bad), 0.96), transform=top, marker="x", color=color,
                       label=status)  # fmt: skip
            ax.margins(y=0.12)  # headroom above the dots for the crosses
    if labels is not None:
        ax.set_xticks(range(len(labels)), labels)
        ax.set_xlim(-0.5, len(labels) - 0.5)
    elif isinstance(dist, IntUniform):  # whole numbers only; every one when they are few
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=min(dist.high - dist.low, 10)))
        ax.set_xlim(dist.low - 0.5, dist.high + 0.5)
    else:  # the whole searched range (and 3% more each side, so an end point shows whole)
        if dist.log_scale:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
            pad = (dist.high / dist.low) ** 0.03
            ax.set_xlim(dist.low / pad, dist.high * pad)
        else:
            pad = 0.03 * (dist.high - dist.low)
            ax.set_xlim(dist.low - pad, dist.high + pad)
    values = np.array([r["best"] for r in ok], float)
    if values.size and values.min() > 0 and values.max() / values.min() > 100:
        ax.set_yscale("log")
    ax.set(xlabel=name, ylabel=f"best {result.monitor}", title=f"{result.monitor} vs {name}")
    ax.grid(alpha=0.3)


def search(
    result: SearchResult, path: str | os.PathLike | None = None, columns: int = 3
) -> Figure:
    """A figure with one panel per hyperparameter of ``result``; saved as PNG to ``path``.

    Returns the ``matplotlib.figure.Figure`` (Agg canvas, no pyplot; no window opens).
    """
    names = list(result.space)
    cols = min(columns, len(names))
    rows = -(-len(names) // cols)
    figure, axes = new_figure(rows, cols, size=(4.6, 3.6))
    axes = np.ravel(axes)
    for ax, name in zip(axes, names):
        _panel(ax, name, result.space[name], result)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize="small")
    statuses = [r["status"] for r in result.records]
    counts = {s: statuses.count(s) for s in ("ok", "diverged", "failed")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return finish(figure, path, f"Random search: {len(result.records)} trials ({summary})")
