"""Figures without pyplot: a matplotlib ``Figure`` on the Agg canvas, saved as PNG.

Nothing here touches matplotlib's global state (no ``pyplot``, no backend switch), so
plotting works in scripts, tests, servers and threads alike. matplotlib is imported the
first time a figure is made: ``import glassnet`` stays free of it.
"""

from __future__ import annotations

import os

import numpy as np

from glassnet._files import write_atomically
from glassnet.errors import ConfigError, message

__all__ = ["new_figure", "finish", "curve", "epoch_axis", "POSITIVE", "NEGATIVE"]

POSITIVE, NEGATIVE = "tab:blue", "tab:red"


def new_figure(rows: int = 1, cols: int = 1, size: tuple = (6.4, 4.4), layout="constrained"):
    """A figure on the Agg canvas and its axes (an array when there is more than one);
    ``size`` is per subplot. ``layout=None`` skips the (slow) constrained layout."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from glassnet.notebook import figure_class  # Figure + _repr_png_: inline in Jupyter

    fig = figure_class()(figsize=(size[0] * cols, size[1] * rows), layout=layout)
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, axes.ravel() if axes.size > 1 else axes[0, 0]


def finish(fig, path: str | os.PathLike | None = None, title: str | None = None):
    """Title the figure, save it as PNG when ``path`` is given (folders are created), and
    return it; the saved path is kept in ``fig.glassnet_path``."""
    if title:
        fig.suptitle(title)
    fig.glassnet_path = None
    if path is not None:
        path = os.fspath(path)  # written whole or not at all; folders are made on the way
        write_atomically(path, lambda file: fig.savefig(file, dpi=100, format="png"))
        fig.glassnet_path = path
    return fig


def epoch_axis(ax) -> None:
    """Label the x-axis "epoch" with whole-number ticks (no epoch 1.5)."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def curve(values, where: str, name: str) -> np.ndarray:
    """A 1-D float array of per-epoch values (a History key, a list or an array)."""
    array = np.asarray(values, dtype=np.float64).ravel()
    if array.size == 0:
        raise ConfigError(message(where, f"the curve {name!r} is empty", "0 values", "≥ 1 value"))
    return array
