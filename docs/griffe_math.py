"""A griffe extension for the API reference: docstrings render as they read in code.

glassnet's docstrings state an op's math in labelled lines (``Forward:``, ``Backward:``,
``Shapes:``) and use reST roles (``:class:`Tensor```). Markdown would run the labelled
lines together into one paragraph; this extension puts each run of them in a text block,
aligned as written, fences doctest examples, and turns roles into inline code.
"""

from __future__ import annotations

import re

import griffe

LABEL = re.compile(r"^\s*(Forward|Backward|Shapes|Update|Init|Initialisation)\s*:")
ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|obj|exc):`~?([^`]+)`")


def fence_math(text: str) -> str:
    """Wrap each block of labelled math lines, and each doctest example, up to the next
    blank line, in a fence (``text`` and ``pycon``)."""
    out, block, language = [], [], "text"
    for line in text.splitlines():
        if block and not line.strip():
            out += [f"```{language}", *block, "```", ""]
            block = []
        elif block or LABEL.match(line) or line.lstrip().startswith(">>>"):
            if not block:
                language = "pycon" if line.lstrip().startswith(">>>") else "text"
            block.append(line)
            continue
        out.append(line)
    if block:
        out += [f"```{language}", *block, "```"]
    return "\n".join(out)


class MathLines(griffe.Extension):
    """Fence the math lines and flatten reST roles of every docstring griffe loads."""

    def on_instance(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None:
            value = ROLE.sub(lambda m: f"`{m[1].split('.')[-1]}`", obj.docstring.value)
            obj.docstring.value = fence_math(value)
