"""Record every op of a block of code: each forward with its formula, shapes and values, and
each backward step, un-broadcasting and gradient accumulation.

    with gn.trace(model) as t:
        loss = gn.losses.MSE()(model(x), y)
        loss.backward()
    print(t)              # or t.markdown()

The recorder plugs into the hook slot of :mod:`glassnet._config` (its docstring states the
protocol); outside a ``trace`` block the slot is empty and ops pay one ``is None`` check.
Formulas are the ``Forward:`` and ``Backward:`` lines of each op's docstring, so the trace
prints exactly the math the code implements. Values are copied as short excerpts when they
are recorded, so later in-place updates (an optimizer step) do not change the record.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from glassnet import _config
from glassnet.errors import fmt_shape
from glassnet.explain.layers import doc_line
from glassnet.explain.render import Document, Rendered, excerpt

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from glassnet.autograd import Function
    from glassnet.nn.module import Module
    from glassnet.tensor import Tensor

__all__ = ["Trace", "trace"]


class Trace(Rendered):
    """The recorded ``events`` (dicts with ``kind`` "forward", "backward", "unbroadcast" or
    "accumulate") of the ops run inside ``with trace() as t:``.

    Tensors are labelled by parameter name (from ``model``), their own ``name``, or
    ``t1, t2, …`` in order of appearance. ``limit`` values are shown per array.
    """

    def __init__(self, model: Module | None = None, limit: int = 6) -> None:
        self.events: list[dict] = []
        self.limit = limit
        self._labels: dict[int, tuple] = {}
        self._count = 0
        self._previous = None
        for name, p in model.named_parameters() if model is not None else ():
            self._label(p, name)

    # ---- context manager ------------------------------------------------------------------
    def __enter__(self) -> Trace:
        self._previous, _config.state.hook = _config.state.hook, self
        return self

    def __exit__(self, *exc) -> None:
        _config.state.hook = self._previous

    # ---- the hook protocol (glassnet._config) ---------------------------------------------
    def on_forward(self, fn: Function, inputs: Sequence[Tensor], output: Tensor) -> None:
        self.events.append(
            {
                "kind": "forward",
                "op": fn.name,
                "formula": doc_line(type(fn), "Forward") or fn.name,
                "inputs": [self._describe(t) for t in inputs],
                "output": self._describe(output),
            }
        )

    def on_backward(
        self, fn: Function, output: Tensor, grad_y: np.ndarray, grads: Sequence[np.ndarray | None]
    ) -> None:
        inputs = fn.inputs or ()
        self.events.append(
            {
                "kind": "backward",
                "op": fn.name,
                "formula": doc_line(type(fn), "Backward") or fn.name,
                "grad_y": (self._label(output), fmt_shape(grad_y.shape), self._values(grad_y)),
                "grads": [
                    (self._label(t), fmt_shape(g.shape), self._values(g))
                    for t, g in zip(inputs, grads)
                    if g is not None
                ],
            }
        )

    def on_unbroadcast(
        self, fn: Function, index: int, grad_before: np.ndarray, grad_after: np.ndarray
    ) -> None:
        label = self._label(fn.inputs[index]) if fn.inputs else f"input {index}"
        self.events.append(
            {
                "kind": "unbroadcast",
                "op": fn.name,
                "input": label,
                "before": fmt_shape(grad_before.shape),
                "after": fmt_shape(grad_after.shape),
                "values": self._values(grad_after),
            }
        )

    def on_accumulate(self, tensor: Tensor, grad: np.ndarray, total: np.ndarray) -> None:
        self.events.append(
            {
                "kind": "accumulate",
                "tensor": self._label(tensor),
                "grad": self._values(grad),
                "total": self._values(total),
            }
        )

    # ---- labels and values ----------------------------------------------------------------
    def _label(self, tensor, name: str | None = None) -> str:
        entry = self._labels.get(id(tensor))
        if entry is not None and entry[0]() is tensor:
            return entry[1]
        if name is None:
            name = tensor.name
        if name is None:
            self._count += 1
            name = f"t{self._count}"
        self._labels[id(tensor)] = (weakref.ref(tensor), name)
        return name

    def _values(self, array) -> str:
        return excerpt(array, limit=self.limit)

    def _describe(self, tensor) -> tuple[str, str, str]:
        return self._label(tensor), fmt_shape(tensor.shape), self._values(tensor.data)

    # ---- views ------------------------------------------------------------------------------
    def of_kind(self, kind: str) -> list[dict]:
        """The events of one kind, in order."""
        return [e for e in self.events if e["kind"] == kind]

    def __len__(self) -> int:
        return len(self.events)

    @property
    def document(self) -> Document:
        doc = Document(f"Trace: {len(self.events)} steps")
        for i, event in enumerate(self.events, 1):
            step, subject, math, values = _row(event)
            doc.line(f"{i}. {step} {subject}:  {math}")
            doc.math(*values)
        return doc

    def __repr__(self) -> str:
        counts = {k: len(self.of_kind(k)) for k in ("forward", "backward")}
        return f"Trace({counts['forward']} forward, {counts['backward']} backward steps)"


def _row(event: dict) -> tuple[str, str, str, list[str]]:
    """(step, subject, formula, value lines) of one event."""
    kind = event["kind"]
    if kind == "forward":
        lines = [f"{n} {s} = {v}" for n, s, v in event["inputs"]]
        out = event["output"]
        return (
            "forward",
            event["op"],
            event["formula"],
            [*lines, f"→ {out[0]} {out[1]} = {out[2]}"],
        )
    if kind == "backward":
        n, s, v = event["grad_y"]
        lines = [f"→ dL/d{gn} {gs} = {gv}" for gn, gs, gv in event["grads"]]
        return "backward", event["op"], event["formula"], [f"dL/d{n} {s} = {v}", *lines]
    if kind == "unbroadcast":
        math = "dL/dx = Σ dL/dy over the broadcast copies"
        lines = [f"{event['before']} summed to {event['after']} = {event['values']}"]
        return "un-broadcast", f"{event['op']} → {event['input']}", math, lines
    math = "grad ← grad + dL/dx   (a leaf's empty grad counts as 0)"
    return (
        "accumulate",
        event["tensor"],
        math,
        [f"dL/dx = {event['grad']}", f"grad = {event['total']}"],
    )


def trace(model: Module | None = None, limit: int = 6) -> Trace:
    """A recorder for ``with gn.trace(model) as t:``; ``model`` names its parameters."""
    return Trace(model, limit)
