"""Weights drawn as edges between columns of units, shared by the network figures of a
chain (:mod:`glassnet.plot.models`) and of a graph (:mod:`glassnet.plot.network_graph`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.plot._figure import NEGATIVE, POSITIVE

if TYPE_CHECKING:
    from matplotlib.collections import LineCollection

__all__ = ["weight_edges", "weight_legend"]


def weight_edges(
    ax, start: tuple, end: tuple, w: np.ndarray, biggest: float, label: bool
) -> LineCollection:
    """The edges of a Dense layer's weights w (in, out) from the column of units ``start``
    (x, ys) to the column ``end``: one per w[i, j] in row-major order (``w.ravel()``),
    coloured by sign, as wide as |w|; with ``label`` each edge also shows its value."""
    from matplotlib.collections import LineCollection

    (x0, ys0), (x1, ys1) = start, end
    segments = [[(x0, ys0[i]), (x1, ys1[j])] for i in range(w.shape[0]) for j in range(w.shape[1])]
    colours = [POSITIVE if v >= 0 else NEGATIVE for v in w.ravel()]
    widths = 0.3 + 4.0 * np.abs(w.ravel()) / biggest
    lines = LineCollection(segments, colors=colours, linewidths=widths, zorder=1)
    ax.add_collection(lines)
    if not label:
        return lines
    for ((x0, y0), (x1, y1)), value, colour in zip(segments, w.ravel(), colours):
        ax.text(
            x0 + (x1 - x0) / 3, y0 + (y1 - y0) / 3, f"{value:.3g}", color=colour, fontsize=9,
            ha="center", va="center", zorder=3,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        )  # fmt: skip
    return lines


def weight_legend(ax, extra: tuple = ()) -> None:
    """The legend of weight edges (blue positive, red negative, width ∝ |w|), plus any
    ``extra`` Line2D handles."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=POSITIVE, linewidth=2.5, label="positive weight"),
        Line2D([], [], color=NEGATIVE, linewidth=2.5, label="negative weight"),
        *extra,
    ]
    ax.legend(
        handles=handles, title="line width ∝ |w|", loc="lower center", ncols=len(handles),
        fontsize=8, title_fontsize=8, frameon=False, bbox_to_anchor=(0.5, -0.08),
    )  # fmt: skip
