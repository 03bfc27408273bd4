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

from glassnet import activations, nn
from glassnet._config import no_grad
from glassnet.errors import ShapeError, fmt_shape, message
from glassnet.explain.layers import doc_line, layer_label, layers_of, summary_line
from glassnet.explain.render import Document, Rendered, excerpt, factor, num
from glassnet.ops.conv import conv_settings
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Iterator

    from numpy.typing import ArrayLike

    from glassnet.nn.module import Module

__all__ = ["forward", "ForwardExplanation", "one_point", "evaluation_mode"]

SMALL = 8  # layers with at most this many inputs and outputs show every value


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
    """The walk of one data point: ``steps`` (one dict per layer) and the model ``output``.

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

    >>> import glassnet as gn, numpy as np
    >>> net = gn.Sequential([gn.nn.Dense(2, 1, use_bias=False)])
    >>> net[0].w.data[:] = [[1.0], [-1.0]]
    >>> print(gn.explain.forward(net, [2.0, 3.0]).output)
    [-1.]
    """
    a = one_point(model, x)
    doc = Document("Forward propagation of one data point")
    doc.line(f"input x = {excerpt(a[0], limit=12)}   shape {fmt_shape(a.shape[1:])}")
    steps = []
    with evaluation_mode(model), no_grad():
        for name, layer in layers_of(model):
            out = layer(Tensor._from_op(a, None)).data
            steps.append({"name": name, "layer": layer, "input": a[0], "output": out[0]})
            doc.heading(f"layer {layer_label(name, layer)}")
            _describe(doc, layer, a[0], out[0])
            a = out
    doc.heading("output")
    doc.line(f"prediction = {excerpt(a[0], limit=12)}")
    return ForwardExplanation(steps, doc)


# Where a learner reads an image op as loops over kernel positions (NCHW, no layout tricks).
REFERENCE = {
    "conv2d": "gn.ops.conv2d_reference (glassnet/ops/reference.py)",
    "MaxPool2D": "gn.ops.max_pool2d_reference (glassnet/ops/reference.py)",
    "AvgPool2D": "gn.ops.avg_pool2d_reference (glassnet/ops/reference.py)",
}


def _describe(doc: Document, layer, x: np.ndarray, out: np.ndarray) -> None:
    if isinstance(layer, nn.Dense):
        _dense(doc, layer, x, out)
        return
    if isinstance(layer, nn.Conv2D):
        _conv(doc, layer, x, out)
        return
    spec = activations.of(layer)
    if spec is not None and spec.elementwise:
        _activation(doc, spec, x, out)
        return
    source = spec.op if spec is not None and spec.op is not None else type(layer)
    formula = doc_line(source, "Forward") or summary_line(layer)
    doc.math(formula)
    doc.line(f"shapes: {fmt_shape(x.shape)} → {fmt_shape(out.shape)}")
    doc.line(f"values: {excerpt(out, limit=SMALL)}")
    reference = REFERENCE.get(type(layer).__name__)
    if reference:
        doc.line(f"the same loops as plain code: {reference}")


def _dense(doc: Document, layer, x: np.ndarray, z: np.ndarray) -> None:
    w, bias = layer.w.data, layer.use_bias
    b = layer.b.data if bias else np.zeros(w.shape[1], w.dtype)
    n_in, n_out = w.shape
    plus_b = " + b" if bias else ""
    doc.math(f"z = x·w{plus_b},   z[j] = Σᵢ x[i]·w[i, j]{plus_b + '[j]' if bias else ''}")
    if n_in <= SMALL and n_out <= SMALL:
        lines = []
        for j in range(n_out):
            names = " + ".join(f"x[{i}]·w[{i}, {j}]" for i in range(n_in))
            values = " + ".join(f"{factor(x[i])}·{factor(w[i, j])}" for i in range(n_in))
            tail = f" + {factor(b[j])}" if bias else ""
            lines.append(f"z[{j}] = {names}{f' + b[{j}]' if bias else ''}")
            lines.append(f"     = {values}{tail} = {num(z[j])}")
        doc.math(*lines)
        return
    shapes = f"x {fmt_shape(x.shape)} · w {fmt_shape(w.shape)}"
    doc.line(
        f"shapes: {shapes}{f' + b {fmt_shape(b.shape)}' if bias else ''} → z {fmt_shape(z.shape)}"
    )
    terms = " + ".join(f"{factor(x[i], 4)}·{factor(w[i, 0], 4)}" for i in range(min(3, n_in)))
    tail = f" + {factor(b[0], 4)}" if bias else ""
    doc.math(f"z[0] = {terms} + … ({n_in} terms){tail} = {num(z[0])}")
    doc.line(f"z = {excerpt(z, limit=SMALL)}")


def _conv(doc: Document, layer, x: np.ndarray, z: np.ndarray) -> None:
    """The weighted sum behind one output pixel, z[0, 0, 0], written out term by term."""
    w, bias = layer.w.data, layer.use_bias
    settings = conv_settings(
        (1, *x.shape), layer.kernel_size, layer.stride, layer.padding, layer.dilation, "explain"
    )
    (sh, sw), (dh, dw) = settings["stride"], settings["dilation"]
    plus_b = " + b[o]" if bias else ""
    doc.math(
        f"z[o, i, j] = Σ_c Σ_p Σ_q w[o, c, p, q]·x̃[c, i·{sh} + p·{dh}, j·{sw} + q·{dw}]"
        f"{plus_b}   (x̃ = x zero-padded)"
    )
    padded = np.pad(x, ((0, 0), *settings["pad"]))
    positions = list(np.ndindex(*w.shape[1:]))
    shown = positions if len(positions) <= 9 else positions[:3]
    values = " + ".join(
        f"{factor(w[0, c, p, q], 4)}·{factor(padded[c, p * dh, q * dw], 4)}" for c, p, q in shown
    )
    more = "" if shown is positions else f" + … ({len(positions)} terms)"
    tail = f" + {factor(layer.b.data[0], 4)}" if bias else ""
    doc.math(f"z[0, 0, 0] = {values}{more}{tail} = {num(z[0, 0, 0])}")
    doc.line(f"shapes: {fmt_shape(x.shape)} → {fmt_shape(z.shape)}  (one map per kernel o)")
    doc.line(f"values: {excerpt(z, limit=SMALL)}")
    doc.line(f"the same loops as plain code: {REFERENCE['conv2d']}")


def _activation(doc: Document, act, z: np.ndarray, a: np.ndarray) -> None:
    doc.math(act.forward)
    if z.size <= SMALL:
        doc.math(
            *(f"a[{j}] = {act.name}({num(z.flat[j])}) = {num(a.flat[j])}" for j in range(z.size))
        )
        return
    doc.line(f"shape {fmt_shape(z.shape)};  z = {excerpt(z, limit=4)}")
    doc.line(f"a = {excerpt(a, limit=4)}")
