"""``gn.onnx.load``'s readers of the image ops: Conv, MaxPool, AveragePool,
BatchNormalization (2-D images; the forms read are listed in glassnet.onnx.load)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassnet import nn
from glassnet.onnx.reader import Reader, float_dtype

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
    if sides[:2] != sides[2:]:
        r.fail("asymmetric pool padding is not read", f"pads={list(sides)}", "equal begin and end")
    pads, average = sides[:2], r.node.op_type == "AveragePool"
    for name, bad in (
        ("dilations", average and dilations != (1, 1)),
        ("storage_order", a.get("storage_order", 0)),
        ("the indices output", len([o for o in r.node.output if o]) > 1),
    ):
        if bad:
            r.fail(f"{name} is not read", f"{name} set", "the defaults")
    if any(2 * p > k for p, k in zip(pads, kernel)):
        r.fail("padding above half the kernel is not read", f"pads {pads}", f"≤ {kernel}/2")
    options = {"ceil_mode": bool(a.get("ceil_mode", 0))}
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
