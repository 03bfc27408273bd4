"""``summary()`` of a functional model: one row per recorded call, with what it reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassnet.training.summary import _label, _trainable, table_text

if TYPE_CHECKING:
    from glassnet.nn.module import Module

__all__ = ["graph_summary"]


def _source(slot: int, n_inputs: int, names: list[str]) -> str:
    return f"input {slot}" if slot < n_inputs else names[slot - n_inputs]


def _rows(model) -> list[tuple]:
    """One row per input and per recorded call."""
    spec, layers = model.spec, model.layers
    n_in = len(spec["inputs"])
    rows = [
        (f"input {i}  Input", str((None, *shape)), "0", "-", "")
        for i, (shape, _) in enumerate(spec["inputs"])
    ]
    names, counted = [], set()
    for (index, slots, _), shape in zip(spec["steps"], spec["shapes"]):
        layer = layers[index]
        params = 0 if index in counted else sum(p.size for p in layer.parameters())
        counted.add(index)
        reads = ", ".join(_source(s, n_in, names) for s in slots)
        rows.append(
            (
                f"{index}  {_label(layer)}",
                str((None, *shape)),
                f"{params:,}",
                _trainable(layer),
                reads,
            )
        )
        names.append(str(index))
    return rows


def graph_summary(model: Module) -> str:
    """Layer, output shape, parameters, trainable, and the values each call reads."""
    rows = _rows(model)
    header = ("Layer", "Output shape", "Params", "Trainable", "Reads")
    return table_text(model, header, rows)
