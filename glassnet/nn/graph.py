"""The functional API's symbolic side: ``gn.Input`` and the placeholders that layers pass on.

``x = gn.Input((1, 28, 28))`` is a :class:`SymbolicTensor`: no numbers, only a per-sample
shape and the record of how it was made. Calling any layer on symbolic tensors records a
:class:`Node` (the layer and the tensors it read) and returns a new symbolic tensor whose
shape comes from running the layer once on a zero batch of one (in eval mode, without a
graph, so no statistic moves). ``gn.Model(inputs, outputs)`` then walks the recorded nodes
back from its outputs (see :func:`plan`), and replays them on real data in ``forward``:

    values = inputs;  for each node in creation order:  values += [layer(values[slots])]

A node is always created after the nodes whose outputs it reads, so creation order is a
topological order: every value a node needs exists before the node runs.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from glassnet._config import no_grad
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import DTypeLike

    from glassnet.nn.module import Module

__all__ = ["Input", "SymbolicTensor", "Node", "call_symbolic", "is_symbolic", "plan"]

_ids = itertools.count()


class SymbolicTensor:
    """A placeholder for a batch of data in a functional model: ``shape`` is
    ``(None, *per_sample_shape)`` (None: any batch size); ``node`` made it."""

    def __init__(self, shape: tuple, dtype: DTypeLike, node: Node) -> None:
        self.shape = (None, *shape)
        self.dtype = np.dtype(dtype)
        self.node = node

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        made_by = "Input" if self.node.layer is None else str(self.node.layer)
        return f"SymbolicTensor(shape={self.shape}, made by {made_by})"


class Node:
    """One recorded call: ``layer`` (None for an Input) read ``inputs`` and made ``output``.
    ``as_list`` is True when the layer was called on a list (Add, Concatenate, Multiply)."""

    def __init__(
        self, layer: Module, inputs: list, as_list: bool, shape: tuple, dtype: DTypeLike
    ) -> None:
        self.id = next(_ids)
        self.layer, self.inputs, self.as_list = layer, inputs, as_list
        self.output = SymbolicTensor(shape, dtype, self)


def Input(shape: int | tuple[int, ...], dtype: DTypeLike = np.float32) -> SymbolicTensor:  # noqa: N802 (Keras's spelling)
    """A model input: ``gn.Input((1, 28, 28))`` stands for a batch (N, 1, 28, 28).

    ``shape`` is one sample's shape, without the batch axis (an int means ``(n,)``).
    """
    shape = (shape,) if isinstance(shape, int | np.integer) else shape
    if not isinstance(shape, tuple | list) or not all(
        isinstance(s, int | np.integer) and not isinstance(s, bool) and s > 0 for s in shape
    ):
        raise ConfigError(
            message(
                "Input",
                "shape must be one sample's shape as positive ints",
                repr(shape),
                "e.g. (784,) or (1, 28, 28)",
            )
        )
    return Node(None, [], False, tuple(int(s) for s in shape), dtype).output


def is_symbolic(x: object) -> bool:
    """True for a SymbolicTensor or a non-empty list/tuple of them (a merge layer's input)."""
    if isinstance(x, SymbolicTensor):
        return True
    return isinstance(x, list | tuple) and bool(x) and isinstance(x[0], SymbolicTensor)


def call_symbolic(layer: Module, x: SymbolicTensor | Sequence[SymbolicTensor]) -> SymbolicTensor:
    """Record ``layer(x)`` for symbolic x and return its symbolic output.

    The output shape is found by running the layer on zeros of one sample in eval mode
    with no graph: the layer's own shape checks run now and name the layer.
    """
    as_list = isinstance(x, list | tuple)
    inputs = list(x) if as_list else [x]
    if not all(isinstance(t, SymbolicTensor) for t in inputs):
        kinds = ", ".join(type(t).__name__ for t in inputs)
        raise ConfigError(
            message(
                str(layer),
                "a layer in a functional model must be called on symbolic tensors only",
                kinds,
                "outputs of gn.Input or of other layers",
            )
        )
    zeros = [np.zeros((1, *t.shape[1:]), t.dtype) for t in inputs]
    mode = layer.training
    layer.eval()
    try:
        with no_grad():
            out = layer.forward(zeros if as_list else zeros[0])
    finally:
        layer.train(mode)
    return Node(layer, inputs, as_list, tuple(out.shape[1:]), out.dtype).output


def _as_list(x, where: str) -> list:
    items = list(x) if isinstance(x, list | tuple) else [x]
    if not items or not all(isinstance(t, SymbolicTensor) for t in items):
        raise ConfigError(
            message(
                "Model",
                f"{where} must be symbolic tensors",
                repr(x)[:80],
                "gn.Input(...) for inputs, a layer's output for outputs",
                "write x = gn.Input((784,)); y = Dense(784, 10)(x); gn.Model(x, y)",
            )
        )
    return items


def _reachable(outputs: list) -> list[Node]:
    """Every node the outputs depend on, in creation (topological) order."""
    seen, stack = {}, [t.node for t in outputs]
    while stack:
        node = stack.pop()
        if node.id not in seen:
            seen[node.id] = node
            stack.extend(t.node for t in node.inputs)
    return [seen[k] for k in sorted(seen)]


def plan(
    inputs: SymbolicTensor | Sequence[SymbolicTensor],
    outputs: SymbolicTensor | Sequence[SymbolicTensor],
) -> tuple[dict, list]:
    """The replay plan of ``Model(inputs, outputs)`` and its distinct layers in order.

    The plan is plain JSON: ``inputs`` (per-sample shapes and dtypes), ``steps`` (one per
    node: the layer's index, the value slots it reads, whether it reads a list) and
    ``outputs`` (value slots) and ``shapes`` (each step's per-sample output shape).
    Slots 0..k-1 are the inputs, slot k+i is step i's output.
    """
    inputs, outputs = _as_list(inputs, "inputs"), _as_list(outputs, "outputs")
    nodes = _reachable(outputs)
    slot = {id(t.node): i for i, t in enumerate(inputs)}
    missing = [n for n in nodes if n.layer is None and id(n) not in slot]
    if missing or any(t.node.layer is not None for t in inputs):
        raise ConfigError(
            message(
                "Model",
                "the outputs must depend only on the given inputs, and inputs must be gn.Input",
                f"{len(missing)} gn.Input not listed in inputs",
                "every gn.Input the outputs use, in inputs",
                "pass all of them: gn.Model([x1, x2], y)",
            )
        )
    layers, steps, shapes = [], [], []
    for node in (n for n in nodes if n.layer is not None):
        if not any(node.layer is known for known in layers):
            layers.append(node.layer)
        index = next(i for i, known in enumerate(layers) if known is node.layer)
        steps.append([index, [slot[id(t.node)] for t in node.inputs], node.as_list])
        shapes.append(list(node.output.shape[1:]))
        slot[id(node)] = len(inputs) + len(steps) - 1
    spec = {
        "inputs": [[list(t.shape[1:]), t.dtype.name] for t in inputs],
        "steps": steps,
        "outputs": [slot[id(t.node)] for t in outputs],
        "shapes": shapes,
    }
    return spec, layers


def check_input(where: str, position: int, x: np.ndarray, shape: tuple) -> None:
    """ShapeError unless x is a batch of samples shaped ``shape``."""
    if tuple(x.shape[1:]) != tuple(shape) or x.ndim != len(shape) + 1:
        raise ShapeError(
            message(
                where,
                f"input {position} does not have the shape of its gn.Input",
                f"x.shape={fmt_shape(x.shape)}",
                "(N, " + ", ".join(map(str, shape)) + ")",
            )
        )
