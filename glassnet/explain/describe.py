"""How an explanation writes out one layer's forward pass for one sample, with numbers.

For a Dense layer every output node j gets the weighted sum of the lesson,

    z[j] = Σᵢ x[i]·w[i, j] + b[j]

printed term by term when the layer is small (``2·1 + 3·1 + 0 = 5``) and as shapes, the
formula and a few values when it is large. An activation prints a = f(z) per node, a
convolution the sum behind one output pixel, and any other layer (Flatten, Softmax,
pooling, …) its docstring formula, shapes and values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import activations, nn
from glassnet.errors import fmt_shape
from glassnet.explain.layers import doc_line, summary_line
from glassnet.explain.render import Document, excerpt, factor, num
from glassnet.ops.conv import conv_settings

if TYPE_CHECKING:
    from glassnet.nn.module import Module

__all__ = ["describe_layer", "REFERENCE", "SMALL"]

SMALL = 8  # layers with at most this many inputs and outputs show every value

# Where a learner reads an image op as loops over kernel positions (NCHW, no layout tricks).
REFERENCE = {
    "conv2d": "gn.ops.conv2d_reference (glassnet/ops/reference.py)",
    "MaxPool2D": "gn.ops.max_pool2d_reference (glassnet/ops/reference.py)",
    "AvgPool2D": "gn.ops.avg_pool2d_reference (glassnet/ops/reference.py)",
}


def describe_layer(doc: Document, layer: Module, x: np.ndarray, out: np.ndarray) -> None:
    """What one layer did to one sample (batch axis dropped): a Dense layer's weighted
    sums, a convolution's sum behind one pixel, an activation per node, else the
    ``Forward:`` line of the layer's (or its op's) docstring with shapes and values."""
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
