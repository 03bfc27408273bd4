"""Reference versions of the image ops: the same results as conv2d, max_pool2d and
avg_pool2d, written for reading, not for speed.

Each one loops over the kernel positions (p, q) only, in plain NCHW, and is built from
the differentiable ops of glassnet (pad, slicing, ×, Σ, where), so autograd gives its
gradients: compare them with the fast ops' (tests/cnn/test_cnn_reference.py does). The
fast versions (:mod:`glassnet.ops.conv`, :mod:`glassnet.ops.pool`) compute the same
formulas with im2col, one GEMM and the memory tricks of :mod:`glassnet._fastpath`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.ops.arithmetic import Where
from glassnet.ops.conv import check_groups, check_image_batch, conv_settings, output_size
from glassnet.ops.padding import pad
from glassnet.ops.pool import pool_config, pool_settings
from glassnet.ops.shape import concatenate
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


__all__ = ["conv2d_reference", "max_pool2d_reference", "avg_pool2d_reference"]


def _window(xp: Tensor, p: int, q: int, stride, dilation, out) -> Tensor:
    """x̃[:, :, i·sh + p·dh, j·sw + q·dw] for every output pixel (i, j): (N, C, Ho, Wo)."""
    (sh, sw), (dh, dw), (Ho, Wo) = stride, dilation, out
    rows = slice(p * dh, p * dh + sh * (Ho - 1) + 1, sh)  # i·sh + p·dh for i < Ho
    cols = slice(q * dw, q * dw + sw * (Wo - 1) + 1, sw)  # j·sw + q·dw for j < Wo
    return xp[:, :, rows, cols]


def conv2d_reference(
    x: Tensor | ArrayLike,
    w: Tensor | ArrayLike,
    b: Tensor | ArrayLike | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution, one kernel position at a time (same arguments as ``conv2d``).

    y[n, o, i, j] = b[o] + Σ_p Σ_q Σ_c w[o, c, p, q] · x̃[n, c, i·sh + p·dh, j·sw + q·dw]

    With G groups: group g's kernels see only group g's channels, one convolution each,
    the outputs joined along the channel axis.
    """
    w = as_tensor(w)
    x = as_tensor(x, w)
    check_image_batch(x, "conv2d_reference")
    check_image_batch(w, "conv2d_reference", "w")
    G = check_groups(x.shape[1], w.shape[0], groups, "conv2d_reference")
    if G > 1:
        Cg, Og = x.shape[1] // G, w.shape[0] // G
        parts = [
            conv2d_reference(x[:, g * Cg : (g + 1) * Cg], w[g * Og : (g + 1) * Og], None,
                             stride, padding, dilation)
            for g in range(G)
        ]  # fmt: skip
        y = concatenate(parts, axis=1)
        return y if b is None else y + as_tensor(b, w).reshape(1, -1, 1, 1)
    O, C, KH, KW = w.shape
    s = conv_settings(x.shape, (KH, KW), stride, padding, dilation, "conv2d_reference")
    sizes = zip(x.shape[2:], (KH, KW), s["stride"], s["pad"], s["dilation"])
    out = [output_size(*size) for size in sizes]  # (Ho, Wo)
    xp = pad(x, ((0, 0), (0, 0), *s["pad"]))  # x̃: x zero-padded (negative widths crop)
    y = 0
    for p in range(KH):
        for q in range(KW):
            patch = _window(xp, p, q, s["stride"], s["dilation"], out)  # (N, C, Ho, Wo)
            # Σ_c w[o, c, p, q] · patch[n, c, i, j]: broadcast to (N, O, C, Ho, Wo), sum C
            y = y + (patch.expand_dims(1) * w[:, :, p, q].reshape(1, O, C, 1, 1)).sum(axis=2)
    return y if b is None else y + as_tensor(b, w).reshape(1, O, 1, 1)


def max_pool2d_reference(
    x: Tensor | ArrayLike,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> Tensor:
    """Max pooling, one kernel position at a time (same arguments as ``max_pool2d``).

    y[n, c, i, j] = max_{p,q} x̃[n, c, i·sh + p, j·sw + q]   (x̃ = x padded with −∞)

    A running maximum that a later position replaces only when strictly greater, so the
    gradient (through ``where``) reaches the FIRST maximal element, as in PyTorch.
    """
    x = as_tensor(x)
    s = pool_settings(x, pool_config(kernel_size, stride, padding, "max_pool2d"), "max_pool2d")
    xp = pad(x, ((0, 0), (0, 0), *s["pad"]), value=-np.inf)
    y = None
    for p in range(s["kernel"][0]):
        for q in range(s["kernel"][1]):
            v = _window(xp, p, q, s["stride"], (1, 1), s["out"])
            # y = where(v > y, v, y): v takes over only where strictly greater
            y = v if y is None else Where.apply(v, y, condition=v.data > y.data)
    return y


def avg_pool2d_reference(
    x: Tensor | ArrayLike,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> Tensor:
    """Average pooling, one kernel position at a time (same arguments as ``avg_pool2d``).

    y[n, c, i, j] = (1 / (KH·KW)) Σ_{p,q} x̃[n, c, i·sh + p, j·sw + q]   (x̃ zero-padded)
    """
    x = as_tensor(x)
    s = pool_settings(x, pool_config(kernel_size, stride, padding, "avg_pool2d"), "avg_pool2d")
    (KH, KW) = s["kernel"]
    xp = pad(x, ((0, 0), (0, 0), *s["pad"]))
    total = 0
    for p in range(KH):
        for q in range(KW):
            total = total + _window(xp, p, q, s["stride"], (1, 1), s["out"])
    return total / (KH * KW)
