"""How glassnet objects look in Jupyter: one rich rendering each, never two.

IPython shows the value of a cell's last expression through the object's ``_repr_*_``
methods; glassnet's classes each have one that calls a renderer here:

- :class:`~glassnet.Tensor`: values, shape, dtype and the op that made it (HTML);
- :class:`~glassnet.training.Model`: the summary table (HTML);
- :class:`~glassnet.training.History`: the loss and metric curves (PNG);
- explanations, ``check_gradients`` reports and doctor findings: Markdown (their own
  ``_repr_markdown_``; formulas in code blocks, numbers in tables);
- :class:`~glassnet.tune.SearchResult`: the ranked table and the search figure (HTML);
- every ``gn.plot.*`` figure: PNG, without ``%matplotlib inline`` (:func:`figure_class`).

Text that glassnet lays out with rich (explanations, search tables) goes through
:func:`text_console`, a console that never switches to Jupyter mode: rich's own Jupyter
mode would send every line to the notebook as an extra HTML output next to the text.

Nothing here imports IPython or matplotlib at import time, and the only glassnet module
it imports is :mod:`glassnet.errors`, so every layer (tensor, training, tune) may import
this one. The renderings that draw a figure (History, SearchResult) live next to the
figures in :mod:`glassnet.plot.reprs`; this module reaches them only through a registry
(:func:`register_renderer`) that the top of the package fills, so the low layers never
import the plot layer (issue 13: no import cycle notebook -> plot -> tune -> notebook).
"""

from __future__ import annotations

import base64
import functools
import html
import io
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from rich.console import Console

from glassnet.errors import ConfigError, InternalError, message

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from glassnet.tensor import Tensor
    from glassnet.training import History
    from glassnet.tune import SearchResult

T = TypeVar("T")

__all__ = [
    "Printed",
    "figure_class",
    "history_png",
    "in_notebook",
    "pre_html",
    "register_renderer",
    "render",
    "png_bytes",
    "print_once",
    "print_shown",
    "display_once",
    "search_html",
    "tensor_html",
    "text_console",
]

_PRE = '<pre style="margin:0;line-height:1.25">{}</pre>'


def in_notebook() -> bool:
    """True inside a Jupyter kernel (an IPython shell with a kernel), False in a terminal,
    a script, a test or plain IPython."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def text_console(width: int = 100) -> Console:
    """A rich console that records plain text (no colour codes) into memory, also inside
    Jupyter; read the result with ``console.export_text()``."""
    return Console(
        file=io.StringIO(),
        width=width,
        record=True,
        color_system=None,
        force_jupyter=False,
        force_terminal=False,
    )


class Printed(str):
    """Text a function has already printed and also returns (``model.summary()``).

    It is a plain ``str`` everywhere; only as the last expression of a notebook cell does
    it show nothing, so the table appears once (the print), not twice.
    """

    def _ipython_display_(self) -> None:
        return None


def print_shown(obj: T) -> T:
    """Print ``obj`` and return it, remembering the notebook cell that printed it: as that
    cell's last value it then shows nothing more (``gn.check_gradients`` prints its
    report and returns it; the table appears once). Shown again from a later cell."""
    print(obj)
    if in_notebook():
        obj._glassnet_printed_in = _cell_number()
    return obj


def display_once(obj: object, markdown: str) -> None:
    """Show ``markdown`` for ``obj`` in Jupyter unless this same cell printed ``obj``."""
    printed_in = getattr(obj, "_glassnet_printed_in", None)
    if printed_in is not None and printed_in == _cell_number():
        return
    from IPython.display import Markdown, display

    display(Markdown(markdown))


def _cell_number() -> int | None:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "execution_count", None)


def print_once(text: str) -> Printed:
    """Print ``text`` and return it as :class:`Printed` (shown once in a notebook)."""
    print(text)
    return Printed(text)


@functools.cache
def figure_class() -> type[Figure]:
    """matplotlib's ``Figure`` with ``_repr_png_``, the class every ``gn.plot`` figure has:
    a figure that ends a notebook cell shows inline as PNG, without ``%matplotlib inline``
    and without pyplot."""
    from matplotlib.figure import Figure

    class GlassnetFigure(Figure):
        """A matplotlib Figure that Jupyter shows as a PNG image."""

        def _repr_png_(self) -> bytes:
            return png_bytes(self)

    GlassnetFigure.__qualname__ = "GlassnetFigure"  # pickles as glassnet.notebook.GlassnetFigure
    return GlassnetFigure


def __getattr__(name: str) -> type:
    """``glassnet.notebook.GlassnetFigure`` (made on first use: matplotlib loads lazily)."""
    if name == "GlassnetFigure":
        return figure_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    """The figure drawn as PNG bytes (Agg canvas; no pyplot)."""
    if fig.canvas is None or not hasattr(fig.canvas, "print_png"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def pre_html(title: str, text: str) -> str:
    """``text`` as preformatted HTML under the bold line ``title`` (both escaped)."""
    return f"<div><b>{html.escape(title)}</b>{_PRE.format(html.escape(text))}</div>"


def img_html(png: bytes) -> str:
    """PNG bytes as an inline HTML ``<img>`` (base64 data URI)."""
    return f'<img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}"/>'


def tensor_html(t: Tensor) -> str:
    """A tensor as HTML: a header line (shape, dtype, the op that made it or
    ``requires_grad``, its name) above its values."""
    data = t.data
    facts = [f"shape {tuple(data.shape)}", str(data.dtype)]
    if t.creator is not None:
        facts.append(f"made by {t.creator.name}")
    elif t.requires_grad:
        facts.append("requires_grad")
    if t.name:
        facts.append(f"name {t.name!r}")
    if t.grad is not None:
        facts.append("has .grad")
    values = np.array2string(data, precision=4, separator=", ", threshold=200)
    head = html.escape("tensor · " + " · ".join(facts))
    return f"<div><b>{head}</b>{_PRE.format(html.escape(values))}</div>"


#: The renderings that need a figure, by name; filled by the top of the package
#: (``glassnet/__init__.py``) with functions that load :mod:`glassnet.plot.reprs`.
RENDERER_KINDS = ("history_png", "search_html")
_renderers: dict[str, Callable[[Any], Any]] = {}


def register_renderer(kind: str, function: Callable[[Any], Any]) -> None:
    """Make ``function(obj)`` the renderer :func:`render` calls for ``kind`` (one of
    :data:`RENDERER_KINDS`); a later registration replaces an earlier one."""
    if kind not in RENDERER_KINDS:
        raise ConfigError(
            message(
                "register_renderer",
                "unknown renderer kind",
                repr(kind),
                f"one of {RENDERER_KINDS}",
            )
        )
    if not callable(function):
        raise ConfigError(
            message(
                "register_renderer",
                "the renderer is not callable",
                type(function).__name__,
                "a function",
            )
        )
    _renderers[kind] = function


def render(kind: str, obj: object) -> Any:
    """Call the renderer registered for ``kind`` on ``obj``."""
    function = _renderers.get(kind)
    if function is None:
        raise InternalError(
            message(
                "render",
                f"no renderer registered for {kind!r}",
                f"registered {sorted(_renderers)}",
                f"all of {RENDERER_KINDS}",
                "import glassnet registers them; glassnet.notebook alone does not",
            )
        )
    return function(obj)


def history_png(history: History) -> bytes | None:
    """The training curves of a History as PNG, or None before its first epoch (then
    Jupyter shows the text repr); drawn by :func:`glassnet.plot.reprs.history_png`."""
    return render("history_png", history)


def search_html(result: SearchResult) -> str:
    """A search result as HTML: its ranked table, then the metric against each
    hyperparameter; drawn by :func:`glassnet.plot.reprs.search_html`."""
    return render("search_html", result)
