"""The Jupyter renderings that draw a figure: a History's curves, a SearchResult's plot.

They live next to the figures they draw, above :mod:`glassnet.notebook`; the classes
reach them through :func:`glassnet.notebook.render`, whose registry ``glassnet/__init__``
fills, so training and tune never import the plot layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassnet.errors import GlassnetError
from glassnet.notebook import img_html, png_bytes, pre_html
from glassnet.plot.search import search
from glassnet.plot.training import history

if TYPE_CHECKING:
    from glassnet.training import History
    from glassnet.tune import SearchResult

__all__ = ["history_png", "search_html"]


def history_png(h: History) -> bytes | None:
    """The training curves of a History as PNG, or None before its first epoch (then
    Jupyter shows the text repr)."""
    if not h.history.get("loss"):
        return None
    return png_bytes(history(h, title=f"Training history ({len(h.epoch)} epochs)"))


def search_html(result: SearchResult) -> str:
    """A search result as HTML: its ranked table, then the metric against each
    hyperparameter (when a trial finished)."""
    table = pre_html(repr(result), result.table())
    try:
        figure = img_html(png_bytes(search(result)))
    except GlassnetError:  # nothing to draw: no trial finished
        figure = ""
    return table[: -len("</div>")] + figure + "</div>"
