"""Forward propagation of one data point, layer by layer, with the actual numbers.

For a Dense layer every output node j gets the weighted sum of the lesson,

    z[j] = Σᵢ x[i]·w[i, j] + b[j]

printed term by term when the layer is small (``2·1 + 3·1 + 0 = 5``) and as shapes, the
formula and a few values when it is large. An activation then prints a = f(z) per node, and
any other layer (Flatten, Softmax, Conv2D, pooling, …) its docstring formula, shapes and
values.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import numpy as np

from glassnet import nn
from glassnet._config import no_grad
from glassnet.errors import ShapeError, fmt_shape, message
from glassnet.explain.describe import describe_layer
from glassnet.explain.graph import is_graph
from glassnet.explain.graph_forward import graph_walk
from glassnet.explain.layers import layer_label, layers_of
from glassnet.explain.render import Document, Rendered, excerpt
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Iterator

    from numpy.typing import ArrayLike

    from glassnet.nn.module import Module

__all__ = ["forward", "ForwardExplanation", "one_point", "evaluation_mode"]


def one_point(model: Module, x: ArrayLike) -> np.ndarray:
    """``x`` as a batch of one: (in,) → (1, in) for a Dense-first model, (C, H, W) →
    (1, C, H, W) for a Conv2D-first one; a batch of one (1, …) is kept. For a model that
    starts with another layer (Flatten), a leading axis of size 1 is read as the batch."""
    x = np.asarray(x.data if isinstance(x, Tensor) else x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    first = layers_of(model)[0][1]
    wants = 2 if isinstance(first, nn.Dense) else 4 if isinstance(first, nn.Conv2D) else None
    if wants is None:
        return x if x.ndim >= 2 and x.shape[0] == 1 else x[None]
    if x.ndim == wants - 1:
        return x[None]
    if x.ndim == wants and x.shape[0] == 1:
        return x
    raise ShapeError(
        message(
            "explain",
            "explanations walk one data point",
            f"x.shape={fmt_shape(x.shape)}",
            f"one sample ({wants - 1} axis/axes), or a batch of 1",
            "pass x[0] (or x[i:i + 1]) instead of the whole data set",
        )
    )


@contextlib.contextmanager
def evaluation_mode(model: Module) -> Iterator[None]:
    """Switch a model to eval mode (Dropout passes through) for the block, then restore it."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, mode in modes:
            object.__setattr__(module, "training", mode)


class ForwardExplanation(Rendered):
    """The walk of one data point: ``steps`` (one dict per layer or graph node) and the
    model ``output``.

    Each step holds ``name``, ``layer``, ``input`` and ``output`` arrays (batch axis
    dropped). ``print(e)`` shows the text; ``e.markdown()`` the Markdown.
    """

    def __init__(self, steps: list[dict], document: Document) -> None:
        self.steps, self.document = steps, document
        self.output = steps[-1]["output"] if steps else None

    def __repr__(self) -> str:
        return f"ForwardExplanation({len(self.steps)} layers, output={excerpt(self.output)})"


def forward(model: Module, x: ArrayLike) -> ForwardExplanation:
    """Walk one data point ``x`` through ``model`` and explain every layer with numbers.

    A functional model whose layers form a graph is walked node by node in topological
    order (``x`` a list of samples for several inputs); each step then also names its
    ``node`` and the values it ``reads``, and a merge node's ``input`` is a list.

    >>> import glassnet as gn, numpy as np
    >>> net = gn.Sequential([gn.nn.Dense(2, 1, use_bias=False)])
    >>> net[0].w.data[:] = [[1.0], [-1.0]]
    >>> print(gn.explain.forward(net, [2.0, 3.0]).output)
    [-1.]
    """
    if is_graph(model):
        return ForwardExplanation(*graph_walk(model, x))
    a = one_point(model, x)
    doc = Document("Forward propagation of one data point")
    doc.line(f"input x = {excerpt(a[0], limit=12)}   shape {fmt_shape(a.shape[1:])}")
    steps = []
    with evaluation_mode(model), no_grad():
        for name, layer in layers_of(model):
            out = layer(Tensor._from_op(a, None)).data
            steps.append({"name": name, "layer": layer, "input": a[0], "output": out[0]})
            doc.heading(f"layer {layer_label(name, layer)}")
            describe_layer(doc, layer, a[0], out[0])
            a = out
    doc.heading("output")
    doc.line(f"prediction = {excerpt(a[0], limit=12)}")
    return ForwardExplanation(steps, doc)
