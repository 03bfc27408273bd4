"""A functional model's graph as explanations walk it: its nodes in topological order, the
value of every node for one data point, and the gradient flowing back along each path.

A node reads one or more values and writes one; values are named ``x`` (or ``x0``, ``x1``
for several inputs) and ``h<k>`` for the output of layer k (``h<k>_2`` for its second call
when a layer is used twice). A Keras-style ``Dense(…, activation="relu")`` is shown as two
nodes, ``z<k>`` (the weighted sum) then ``h<k>`` (its activation), as a Sequential does.

Backpropagation through a graph: a value read by several nodes gets the sum of what flows
back along each edge, and so the slope of the loss at a value v is the sum over every path
from v to the output,

    dL/dv = Σ_paths  (the gradient dL/dy at the output walked back along that path)

since each node's backward is linear in the gradient it receives. A residual connection
y = f(h) + h gives h two paths: dL/dh = dL/dy·(df/dh) + dL/dy·1.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glassnet import _config, nn
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.explain.layers import layer_label
from glassnet.explain.slopes import layer_backward
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from glassnet.nn.module import Module

__all__ = [
    "Step",
    "is_graph",
    "graph_point",
    "graph_steps",
    "replay",
    "step_backward",
    "backward_walk",
    "paths_to",
    "walk_path",
    "consumers",
    "node_ops",
]

PATH_LIMIT = 8  # more paths than this are shown edge by edge instead


@dataclass
class Step:
    """One node: ``layer`` (named ``name``, printed ``label``) reads the value slots
    ``reads`` (as a list when ``as_list``) and writes slot ``slot``."""

    name: str
    layer: Module
    reads: list[int]
    as_list: bool
    slot: int
    label: str


def is_graph(model: Module) -> bool:
    """True for a functional model whose layers are not a plain chain."""
    return bool(getattr(model, "is_graph", False))


def graph_point(model: Module, x: ArrayLike) -> list[np.ndarray]:
    """One data point as a batch of one per model input (a list for several inputs)."""
    shapes = [tuple(s) for s in model.input_shapes]
    several = isinstance(x, list | tuple) and all(np.ndim(p) > 0 for p in x)
    parts = list(x) if len(shapes) > 1 and several else [x]
    if len(parts) != len(shapes):
        raise ConfigError(
            message(
                "explain",
                f"this model has {len(shapes)} inputs",
                f"{len(parts)} array(s)",
                "one array per gn.Input, in a list",
                "pass [x0[i], x1[i]]: one sample of each input",
            )
        )
    return [_one(part, shape) for part, shape in zip(parts, shapes)]


def _one(part, shape: tuple) -> np.ndarray:
    a = np.asarray(part.data if isinstance(part, Tensor) else part)
    a = a if a.dtype.kind == "f" else a.astype(np.float64)
    if a.shape == shape:
        return a[None]
    if a.shape == (1, *shape):
        return a
    raise ShapeError(
        message(
            "explain",
            "explanations walk one data point",
            f"x.shape={fmt_shape(a.shape)}",
            f"one sample of shape {fmt_shape(shape)}, or a batch of 1",
            "pass x[0] (or x[i:i + 1]) instead of the whole data set",
        )
    )


def graph_steps(twin: Module) -> tuple[list[str], list[Step], int]:
    """(value names, nodes in topological order, the output's slot) of ``twin``, a
    throwaway copy of the model: its Keras-style activations are split off into nodes of
    their own (which changes the copy)."""
    spec, layers = twin.spec, twin.layers
    split = {i: layer.split_activation() for i, layer in enumerate(layers) if _has_act(layer)}
    names = ["x"] if len(spec["inputs"]) == 1 else [f"x{i}" for i in range(len(spec["inputs"]))]
    where, steps = list(range(len(names))), []
    uses, seen = Counter(index for index, _, _ in spec["steps"]), Counter()
    for index, slots, as_list in spec["steps"]:
        layer, reads = layers[index], [where[s] for s in slots]
        seen[index] += 1
        suffix = f"_{seen[index]}" if uses[index] > 1 else ""
        label = layer_label(str(index), layer)
        if index in split:
            steps.append(Step(str(index), layer, reads, as_list, len(names), label))
            names.append(f"z{index}{suffix}")
            act = split[index]
            reads, as_list, layer = [len(names) - 1], False, act
            label = f"{index} {act} (the activation of layer {index})"
        steps.append(Step(str(index), layer, reads, as_list, len(names), label))
        names.append(f"h{index}{suffix}")
        where.append(len(names) - 1)
    return names, steps, where[spec["outputs"][0]]


def _has_act(layer) -> bool:
    return getattr(layer, "_act", None) is not None


def replay(steps: list[Step], inputs: list[Tensor]) -> list[Tensor]:
    """Every value of the graph, running the nodes in order on ``inputs``."""
    values = list(inputs)
    for step in steps:
        args = [values[r] for r in step.reads]
        values.append(step.layer(args if step.as_list else args[0]))
    return values


def step_backward(step: Step, values: list, pos: int, grad_y: np.ndarray) -> np.ndarray:
    """dL/d(input ``pos`` of the node) from dL/d(its output): one edge walked back.

    Add: dL/dxᵢ = dL/dy;  Multiply: dL/dxᵢ = dL/dy ⊙ Πⱼ≠ᵢ xⱼ;  Concatenate: the slice of
    dL/dy that xᵢ filled;  a one-input layer: :func:`glassnet.explain.slopes.layer_backward`.
    """
    ins, out = [values[r] for r in step.reads], values[step.slot]
    if not step.as_list:
        return layer_backward(step.layer, ins[0], out, grad_y)
    if isinstance(step.layer, nn.Add):
        return grad_y
    if isinstance(step.layer, nn.Multiply):
        others = [v for k, v in enumerate(ins) if k != pos]
        return grad_y * np.prod(np.stack(others), axis=0)
    if isinstance(step.layer, nn.Concatenate):
        axis = step.layer.axis % grad_y.ndim
        start = sum(v.shape[axis] for v in ins[:pos])
        return np.take(grad_y, np.arange(start, start + ins[pos].shape[axis]), axis=axis)
    tensors = [Tensor(v, requires_grad=True) for v in ins]
    step.layer(tensors).backward(grad_y)
    grad = tensors[pos].grad
    return grad if grad is not None else np.zeros_like(ins[pos])


def consumers(steps: list[Step], slot: int) -> list[tuple[int, int]]:
    """The edges leaving a value: (node number, input position) for each read of it."""
    return [(i, pos) for i, s in enumerate(steps) for pos, r in enumerate(s.reads) if r == slot]


def backward_walk(steps: list[Step], values: list, out: int, grad_out: np.ndarray) -> list:
    """dL/d(value) for every slot (None where nothing flows), nodes in reverse order."""
    grads = [None] * len(values)
    grads[out] = grad_out
    for step in reversed(steps):
        if grads[step.slot] is None:
            continue
        for pos, r in enumerate(step.reads):
            part = step_backward(step, values, pos, grads[step.slot])
            grads[r] = part if grads[r] is None else grads[r] + part
    return grads


def paths_to(steps: list[Step], start: int, out: int) -> list[list[tuple[int, int]]] | None:
    """Every path from slot ``start`` to the output as a list of edges (node, position),
    or None when there are more than PATH_LIMIT."""
    leaving = defaultdict(list)
    for i, step in enumerate(steps):
        for pos, r in enumerate(step.reads):
            leaving[r].append((i, pos))
    found, stack = [], [(start, [])]
    while stack and len(found) <= PATH_LIMIT:
        slot, path = stack.pop()
        if slot == out:
            found.append(path)
            continue
        stack.extend((steps[i].slot, [*path, (i, pos)]) for i, pos in reversed(leaving[slot]))
    return found if len(found) <= PATH_LIMIT else None


def walk_path(
    steps: list[Step], values: list, path: list, grad_out: np.ndarray
) -> tuple[np.ndarray, list]:
    """The gradient at the path's start when only this path carries dL/dy back, and the
    gradient reaching each node's output on the way (in path order)."""
    g, reaching = grad_out, []
    for i, pos in reversed(path):
        reaching.append(g)
        g = step_backward(steps[i], values, pos, g)
    return g, reaching[::-1]


class _OpRecorder:
    """A hook (the protocol of :mod:`glassnet._config`) that notes the kind of each op run."""

    def __init__(self) -> None:
        self.kinds: list[type] = []

    def on_forward(self, fn, inputs, output) -> None:
        if type(fn) not in self.kinds:
            self.kinds.append(type(fn))

    def on_backward(self, fn, output, grad_y, grads) -> None:
        return None

    def on_unbroadcast(self, fn, index, grad_before, grad_after) -> None:
        return None

    def on_accumulate(self, tensor, grad, total) -> None:
        return None


def node_ops(step: Step, values: list) -> list[type]:
    """The kinds of op a node runs (a Conv2D layer runs the Conv2D op, Flatten a Reshape),
    found by running it once on its inputs: their docstrings hold its backward rule."""
    recorder, previous = _OpRecorder(), _config.state.hook
    args = [Tensor(values[r]) for r in step.reads]
    _config.state.hook = recorder
    try:
        step.layer(args if step.as_list else args[0])
    finally:
        _config.state.hook = previous
    return recorder.kinds
