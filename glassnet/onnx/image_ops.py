"""``gn.onnx.load``'s readers of the image ops: Conv, MaxPool, AveragePool,
BatchNormalization (2-D images; the forms read are listed in glassnet.onnx.load)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import nn
from glassnet.errors import ShapeError
from glassnet.onnx.reader import Reader, float_dtype
from glassnet.ops.pool import pool_config, pool_settings
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from glassnet.nn.graph import SymbolicTensor

__all__ = ["read_conv", "read_pool", "read_batch_norm"]


def _pads(r: Reader, a: dict, kernel, strides, dilations, size) -> tuple:
    """ONNX's pads [begin per axis..., end per axis...] from pads or auto_pad."""
    mode = a.get("auto_pad", b"NOTSET")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    rank = len(kernel)
    if mode in ("SAME_UPPER", "SAME_LOWER"):
        totals = [
            max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
            for n, k, s, d in zip(size, kernel, strides, dilations)
        ]
        small = [t // 2 for t in totals]
        large = [t - t // 2 for t in totals]
        return tuple(small + large if mode == "SAME_UPPER" else large + small)
    if mode == "VALID":
        return (0,) * 2 * rank
    return tuple(a.get("pads", [0] * 2 * rank))


def _spatial(r: Reader, x, a: dict, kernel) -> tuple:
    rank = len(kernel)
    if r.whole:
        r.fail("image ops are not read in a graph that mixes the batch axis", "axis 0 mixed",
               "a batch on axis 0")  # fmt: skip
    if x.ndim != rank + 2 or (r.node.op_type == "Conv" and rank != 2):
        r.fail(
            "the input's rank must be the kernel's plus two (Conv: 2-D images only)",
            f"input rank {x.ndim}, kernel {list(kernel)}",
            f"rank {rank + 2}" if r.node.op_type != "Conv" else "rank 4",
        )
    strides = tuple(a.get("strides", [1] * rank))
    dilations = tuple(a.get("dilations", [1] * rank))
    return strides, dilations, _pads(r, a, kernel, strides, dilations, x.shape[2:])


def _grown_by_ceil(x, kernel, strides, dilations, sides) -> bool:
    """Whether pads [top, left, bottom, right] are symmetric (top, left) padding plus the
    bottom/right padding ceil_mode grows to (what gn.onnx.export writes for ceil_mode);
    then floor-mode pooling with those pads equals ceil_mode pooling with (top, left)."""
    top, left, bottom, right = sides
    if bottom < top or right < left or 2 * top > kernel[0] or 2 * left > kernel[1]:
        return False
    config = pool_config(kernel, strides, (top, left), "onnx.load")
    try:
        grown = pool_settings(Tensor(np.zeros((1, 1, *x.shape[2:]))), config, "", dilations, True)
    except ShapeError:
        return False
    return grown["pad"] == ((top, bottom), (left, right))


def read_conv(r: Reader) -> SymbolicTensor:
    a, x, w, b = r.attrs(), r.symbolic(0), r.const(1), r.const(2, required=False)
    strides, dilations, (top, left, bottom, right) = _spatial(r, x, a, tuple(w.shape[2:]))
    group = a.get("group", 1)
    layer = nn.Conv2D(
        w.shape[1] * group,
        w.shape[0],
        w.shape[2:],
        strides,
        (left, right, top, bottom),  # Conv2D's four-int order
        dilations,
        use_bias=b is not None,
        init="zeros",
        dtype=float_dtype(r, x),
        groups=group,
    )
    layer.w.data[...] = w
    if b is not None:
        layer.b.data[...] = b
    return layer(x)


def _fpad_order(sides: tuple) -> tuple:
    """ONNX's [b1, b2, ..., e1, e2, ...] as F.pad's widths: last axis first, (b, e) each."""
    rank = len(sides) // 2
    return tuple(w for i in reversed(range(rank)) for w in (sides[i], sides[rank + i]))


def _pool_padding(x, kernel, strides, dilations, sides, options) -> tuple | int:
    """glassnet's padding for ONNX pads: a pair when symmetric within half the kernel (or
    that plus ceil_mode's growth: read as ceil_mode), else the explicit sides."""
    rank = len(kernel)
    begin, end = sides[:rank], sides[rank:]
    if rank == 2 and all(2 * p <= k for p, k in zip(begin, kernel)):
        if begin == end:
            return begin
        if not options["ceil_mode"] and not options.get("count_include_pad"):
            if _grown_by_ceil(x, kernel, strides, dilations, sides):
                options["ceil_mode"] = True
                return begin
    return _fpad_order(sides) if any(sides) else 0


def read_pool(r: Reader) -> SymbolicTensor | dict:
    """MaxPool / AveragePool of any rank: the 2-D layers for images, else the N-d ones;
    MaxPool's Indices output, when the graph asks for it, is a MaxPoolIndices layer."""
    a, x = r.attrs(), r.symbolic(0)
    kernel = tuple(a["kernel_shape"])
    strides, dilations, sides = _spatial(r, x, a, kernel)
    average, rank = r.node.op_type == "AveragePool", len(kernel)
    options = {"ceil_mode": bool(a.get("ceil_mode", 0))}
    if average:
        options["count_include_pad"] = bool(a.get("count_include_pad", 0))
    if any(d != 1 for d in dilations):
        options["dilation"] = dilations
    order, explicit = a.get("storage_order", 0), _fpad_order(sides) if any(sides) else 0
    indices = nn.MaxPoolIndices(kernel, strides, explicit, dilations, options["ceil_mode"], order)
    padding = _pool_padding(x, kernel, strides, dilations, sides, options)
    layers = {1: (nn.MaxPool1D, nn.AvgPool1D), 2: (nn.MaxPool2D, nn.AvgPool2D),
              3: (nn.MaxPool3D, nn.AvgPool3D)}  # fmt: skip
    if rank not in layers:
        r.fail("only 1-, 2- and 3-D pooling is read", f"kernel {list(kernel)}", "1 to 3 axes")
    y = layers[rank][average](kernel, strides, padding, **options)(x)
    names = list(r.node.output)
    if len(names) < 2 or not names[1]:
        return y
    return {names[0]: y, names[1]: indices(x)}


def read_batch_norm(r: Reader) -> SymbolicTensor:
    a, x = r.attrs(), r.symbolic(0)
    if len([o for o in r.node.output if o]) > 1:  # opset < 14: training by its outputs
        r.fail(
            "statistics outputs without training_mode=1 (before opset 14) are not read",
            f"{len(r.node.output)} outputs",
            "one output, or training_mode=1 (opset ≥ 14)",
        )
    if x.ndim not in (2, 4) or r.whole:
        r.fail("only (N, C) or (N, C, H, W) batches are read", f"rank {x.ndim}", "rank 2 or 4")
    gamma, beta, mean, var = (r.const(i) for i in range(1, 5))
    momentum = min(max(1.0 - a.get("momentum", 0.9), 1e-6), 1.0)
    layer = nn.BatchNorm(len(gamma), momentum, a.get("epsilon", 1e-5), dtype=float_dtype(r, x))
    layer.gamma.data[...], layer.beta.data[...] = gamma, beta
    layer.set_buffer("running_mean", mean.astype(layer.gamma.dtype))
    layer.set_buffer("running_var", var.astype(layer.gamma.dtype))
    return layer(x)
