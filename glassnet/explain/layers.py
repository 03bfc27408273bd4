"""What the explanations need to know about layers: the formula lines of an op's or a layer's
docstring, and the flat list of a model's layers with their labels.

What they need to know about activations (formulas, slopes) is in :mod:`glassnet.activations`.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from glassnet.nn.module import Module

__all__ = ["doc_line", "summary_line", "layers_of", "layer_label"]


def doc_line(obj: object, key: str) -> str | None:
    """The ``Forward:``/``Backward:`` line of a docstring (with its continuation lines)."""
    doc = inspect.getdoc(obj) or ""
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith(key + ":"):
            text = line.split(":", 1)[1].strip()
            for more in lines[i + 1 :]:
                if not (more.startswith(" ") and more.strip()):
                    break
                text += " " + more.strip()
            return text
    return None


def summary_line(obj: object) -> str:
    """The first line of a docstring, or the class name."""
    doc = inspect.getdoc(obj) or ""
    return doc.splitlines()[0] if doc else type(obj).__name__


def layers_of(model: Module) -> list[tuple[str, object]]:
    """A model's layers in order with their names (``"0"``, ``"1"``, …): a Sequential's
    items, or the model itself as the only layer (a functional model's graph is not a chain)."""
    layers = None if getattr(model, "is_graph", False) else getattr(model, "layers", None)
    if isinstance(layers, list | tuple) and layers:
        return [(str(i), layer) for i, layer in enumerate(layers)]
    return [("", model)]


def layer_label(name: str, layer: Module) -> str:
    """``"0 Dense(2 → 2)"``: the layer's index and its printed form."""
    text = str(layer) if type(layer).__str__ is not object.__str__ else repr(layer)
    return f"{name} {text}".strip()
