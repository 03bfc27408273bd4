"""A tiny document model shared by every explanation: headings, lines, equations and tables.

An explanation builds a :class:`Document` once and renders it twice: as plain text laid out
by ``rich`` (what ``print(e)`` shows in a terminal) and as Markdown (what a notebook or a
README shows). Numbers are formatted by :func:`num` and :func:`excerpt` so that both
renderings print exactly the same digits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from rich import box
from rich.table import Table
from rich.text import Text

from glassnet.errors import ConfigError, message
from glassnet.notebook import display_once, text_console

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Document", "Rendered", "num", "factor", "excerpt", "index_text"]

_FORMATS = ("text", "markdown")


def num(value: float, digits: int = 6) -> str:
    """A number with up to ``digits`` significant digits and no trailing noise: 2.24, −24."""
    value = float(value)
    if np.isnan(value) or np.isinf(value):
        return str(value)
    text = f"{value:.{digits}g}"
    if "e" not in text and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def factor(value: float, digits: int = 6) -> str:
    """A number as a factor of a product: negatives in parentheses, ``2·(-1)``."""
    text = num(value, digits)
    return f"({text})" if text.startswith("-") else text


def excerpt(array: ArrayLike, limit: int = 6, digits: int = 4) -> str:
    """Every value of a small array, or its first ``limit`` values and ``…`` for a large one."""
    flat = np.asarray(array).ravel()
    shown = ", ".join(num(v, digits) for v in flat[:limit])
    if flat.size > limit:
        shown += f", … ({flat.size} values)"
    return f"[{shown}]"


def index_text(index: tuple) -> str:
    """``(1, 0)`` → ``[1, 0]``; the empty index of a scalar → ``""``."""
    return "[" + ", ".join(str(int(i)) for i in index) + "]" if index else ""


class Document:
    """An ordered list of blocks that renders to text (rich) or Markdown.

    Blocks: ``heading(text)``, ``line(text)``, ``math(lines)`` (formulas, kept verbatim)
    and ``table(columns, rows)``.
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self.blocks: list[tuple] = []

    def heading(self, text: str) -> Document:
        self.blocks.append(("heading", text))
        return self

    def line(self, text: str) -> Document:
        self.blocks.append(("line", text))
        return self

    def math(self, *lines: str) -> Document:
        self.blocks.append(("math", list(lines)))
        return self

    def table(self, columns: list[str], rows: list[list[str]]) -> Document:
        self.blocks.append(("table", list(columns), [list(map(str, r)) for r in rows]))
        return self

    def extend(self, other: Document) -> Document:
        self.blocks.append(("heading", other.title))
        self.blocks.extend(other.blocks)
        return self

    def render(self, fmt: str = "text", width: int = 100) -> str:
        """The document as ``"text"`` (rich layout, no colour codes) or ``"markdown"``."""
        if fmt not in _FORMATS:
            raise ConfigError(
                message("render", f"unknown format {fmt!r}", repr(fmt), "'text' or 'markdown'")
            )
        return self._markdown() if fmt == "markdown" else self._text(width)

    def _text(self, width: int) -> str:
        console = text_console(width)
        console.rule(self.title)
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                console.print(f"\n{block[1]}", style="bold", markup=False, highlight=False)
            elif kind == "line":
                console.print(block[1], markup=False, highlight=False)
            elif kind == "math":
                for text in block[1]:
                    console.print("    " + text, markup=False, highlight=False, soft_wrap=True)
            else:
                table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
                for column in block[1]:
                    table.add_column(column, overflow="fold")
                for row in block[2]:
                    table.add_row(*(Text(cell) for cell in row))
                console.print(table)
        return console.export_text().rstrip() + "\n"

    def _markdown(self) -> str:
        out = [f"## {self.title}", ""]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                out += [f"### {block[1]}", ""]
            elif kind == "line":
                out += [block[1], ""]
            elif kind == "math":
                out += ["```", *block[1], "```", ""]
            else:
                out.append("| " + " | ".join(block[1]) + " |")
                out.append("|" + "---|" * len(block[1]))
                out += [
                    "| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in block[2]
                ]
                out.append("")
        return "\n".join(out).rstrip() + "\n"


class Rendered:
    """Mixin for explanation objects that keep a :class:`Document` in ``self.document``."""

    document: Document

    def render(self, fmt: str = "text") -> str:
        """``"text"`` (what ``print`` shows) or ``"markdown"``."""
        return self.document.render(fmt)

    def markdown(self) -> str:
        return self.document.render("markdown")

    def __str__(self) -> str:
        return self.document.render("text")

    def _repr_markdown_(self) -> str:  # Jupyter
        return self.markdown()

    def _ipython_display_(self) -> None:  # Jupyter: the Markdown, once (not after a print)
        display_once(self, self.markdown())
