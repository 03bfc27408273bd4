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
    """ONNX's [top, left, bottom, right] padding from pads or auto_pad."""
    mode = a.get("auto_pad", b"NOTSET")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode in ("SAME_UPPER", "SAME_LOWER"):
        totals = [
            max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
            for n, k, s, d in zip(size, kernel, strides, dilations)
        ]
        if any(t % 2 for t in totals) and mode == "SAME_LOWER":
            r.fail(
                "auto_pad SAME_LOWER with an odd padding is not read",
                mode,
                "SAME_UPPER, VALID or explicit pads",
            )
        pads = [t // 2 for t in totals] + [t - t // 2 for t in totals]
    else:
        pads = list(a.get("pads", [0, 0, 0, 0])) if mode != "VALID" else [0, 0, 0, 0]
    return tuple(pads)


def _spatial(r: Reader, x, a: dict, kernel) -> tuple:
    if x.ndim != 4 or len(kernel) != 2:
        r.fail("only 2-D images (N, C, H, W) are read", f"input rank {x.ndim}", "rank 4")
    strides = tuple(a.get("strides", [1, 1]))
    dilations = tuple(a.get("dilations", [1, 1]))
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


def read_pool(r: Reader) -> SymbolicTensor:
    a, x = r.attrs(), r.symbolic(0)
    kernel = tuple(a["kernel_shape"])
    strides, dilations, sides = _spatial(r, x, a, kernel)
    pads, average = sides[:2], r.node.op_type == "AveragePool"
    ceil = bool(a.get("ceil_mode", 0))
    if sides[:2] != sides[2:]:
        ceil = not ceil and _grown_by_ceil(x, kernel, strides, dilations, sides)
        if not ceil or (average and a.get("count_include_pad", 0)):
            r.fail(
                "asymmetric pool padding is not read",
                f"pads={list(sides)}",
                "equal begin and end, or the end padding ceil_mode grows to",
            )
    for name, bad in (
        ("dilations", average and dilations != (1, 1)),
        ("storage_order", a.get("storage_order", 0)),
        ("the indices output", len([o for o in r.node.output if o]) > 1),
    ):
        if bad:
            r.fail(f"{name} is not read", f"{name} set", "the defaults")
    if any(2 * p > k for p, k in zip(pads, kernel)):
        r.fail("padding above half the kernel is not read", f"pads {pads}", f"≤ {kernel}/2")
    options = {"ceil_mode": ceil}
    if average:
        options["count_include_pad"] = bool(a.get("count_include_pad", 0))
        return nn.AvgPool2D(kernel, strides, pads, **options)(x)
    return nn.MaxPool2D(kernel, strides, pads, dilation=dilations, **options)(x)


def read_batch_norm(r: Reader) -> SymbolicTensor:
    a, x = r.attrs(), r.symbolic(0)
    if a.get("training_mode", 0) or len([o for o in r.node.output if o]) > 1:
        r.fail("the training form is not read", "training_mode=1", "inference form")
    if x.ndim not in (2, 4):
        r.fail("only (N, C) or (N, C, H, W) inputs are read", f"rank {x.ndim}", "rank 2 or 4")
    gamma, beta, mean, var = (r.const(i) for i in range(1, 5))
    momentum = min(max(1.0 - a.get("momentum", 0.9), 1e-6), 1.0)
    layer = nn.BatchNorm(len(gamma), momentum, a.get("epsilon", 1e-5), dtype=float_dtype(r, x))
    layer.gamma.data[...], layer.beta.data[...] = gamma, beta
    layer.set_buffer("running_mean", mean.astype(layer.gamma.dtype))
    layer.set_buffer("running_var", var.astype(layer.gamma.dtype))
    return layer(x)
