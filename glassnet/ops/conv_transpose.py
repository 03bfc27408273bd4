"""Transposed 2-D convolution (NCHW): the adjoint of :class:`glassnet.ops.conv.Conv2D`.

Where a convolution gathers each output pixel from a window of input pixels, the
transposed convolution scatters each input pixel, weighted by the kernel, onto a window of
output pixels: it is the convolution's backward pass for dL/dx, used as a forward pass
(upsampling in decoders and GANs). So it reuses the same two pieces in the other order:
one GEMM ``cols = w₂ᵀ @ x₂`` and col2im; its backward is im2col and one GEMM per gradient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet._fastpath import col2im, columns_from_image, im2col, image_from_columns
from glassnet.autograd import Function
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.ops.conv import check_groups, check_image_batch, pair
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


__all__ = ["ConvTranspose2D", "conv_transpose2d", "transpose_output_size"]


def transpose_output_size(n: int, k: int, s: int, p: int, d: int, extra: int) -> int:
    """Ho = (H − 1)·s − 2p + d·(k − 1) + output_padding + 1 (the conv's input size)."""
    return (n - 1) * s - 2 * p + d * (k - 1) + extra + 1


class ConvTranspose2D(Function):
    """Transposed convolution: every input pixel spreads w-weighted onto a window of y.

    Forward:   y[n, o, i·sh + p·dh − ph, j·sw + q·dw − pw] += Σ_c x[n, c, i, j] · w[c, o, p, q]
               (+ b[o]), computed as  cols = w₂ᵀ @ x₂  and  y = col2im(cols)
               (w₂ = w as (C, O·KH·KW), x₂ = x as (C, H·W·N))
    Backward:  cols_g = im2col(dL/dy) (the windows y was written through),
               dL/dx₂ = w₂ @ cols_g,   dL/dw₂ = x₂ @ cols_gᵀ,   dL/db = Σ_{n,i,j} dL/dy
    Shapes:    x (N, C, H, W), w (C, O/G, KH, KW), b (O,) → y (N, O, Ho, Wo),
               Ho = (H − 1)·sh − 2·ph + dh·(KH − 1) + output_padding_h + 1
    Notes:     settings ``stride``, ``pad`` ((ph, ph), (pw, pw)), ``dilation``, ``groups``
               G (group g's input channels write only to group g's outputs) and ``out``
               (Ho, Wo). It is exactly conv2d's dL/dx: conv_transpose2d(g, w) equals the
               gradient of ⟨conv2d(x, w), g⟩ with respect to x (tested).
    Reference: Dumoulin & Visin (2016), "A guide to convolution arithmetic for deep
               learning", section 4.
    """

    def __init__(
        self,
        stride: tuple[int, int] = (1, 1),
        pad: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0)),
        dilation: tuple[int, int] = (1, 1),
        groups: int = 1,
        out: tuple[int, ...] = (),
    ) -> None:
        self.stride, self.pad, self.dilation = stride, pad, dilation
        self.groups, self.out = groups, out

    def forward(self, x: np.ndarray, w: np.ndarray, *b) -> np.ndarray:
        G, (N, C, H, W), (_, Og, KH, KW) = self.groups, x.shape, w.shape
        self.x_shape, self.kernel, self.in_size = x.shape, (KH, KW), (H, W)
        self.x2 = columns_from_image(x).reshape(G, C // G, -1)  # (G, C/G, M)
        self.w2 = w.reshape(G, C // G, Og * KH * KW)
        cols = np.matmul(self.w2.transpose(0, 2, 1), self.x2).reshape(G * Og * KH * KW, -1)
        y_shape = (N, G * Og, *self.out)
        y = col2im(cols, y_shape, self.kernel, self.stride, self.pad, self.dilation, (H, W))
        return y + b[0][:, None, None] if b else y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        G, args = self.groups, (self.kernel, self.stride, self.pad, self.dilation, self.in_size)
        cols = im2col(grad_y, *args, False)  # (O·KH·KW, M)
        cols = cols.reshape(G, -1, cols.shape[1])
        grad_w = np.matmul(self.x2, cols.transpose(0, 2, 1))
        grad_w = grad_w.reshape(-1, grad_y.shape[1] // G, *self.kernel)
        grad_x = None
        if self.needs_input_grad[0]:
            grad_x2 = np.matmul(self.w2, cols).reshape(self.x_shape[1], -1)
            grad_x = image_from_columns(grad_x2, self.in_size)
        if len(self.needs_input_grad) == 3:
            return grad_x, grad_w, grad_y.sum(axis=(0, 2, 3))
        return grad_x, grad_w


def conv_transpose2d(
    x: Tensor | ArrayLike,
    w: Tensor | ArrayLike,
    b: Tensor | ArrayLike | None = None,
    stride: int | tuple[int, int] = 1,
    padding: str | int | tuple[int, int] = 0,
    output_padding: int | tuple[int, int] = 0,
    groups: int = 1,
    dilation: int | tuple[int, int] = 1,
) -> Tensor:
    """Transposed convolution of x (N, C, H, W) with w (C, O/groups, KH, KW), as PyTorch's
    ``conv_transpose2d`` (same argument order). ``padding`` removes p rows/columns from each
    side of the full output; ``output_padding`` adds rows/columns at the bottom/right (it
    picks among the input sizes a stride-s convolution maps to the same output size)."""
    w = as_tensor(w)
    x = as_tensor(x, w)
    check_image_batch(x, "conv_transpose2d")
    check_image_batch(w, "conv_transpose2d", "w")
    groups = check_groups(x.shape[1], x.shape[1], groups, "conv_transpose2d")
    if x.shape[1] != w.shape[0]:
        raise ShapeError(
            message(
                "conv_transpose2d",
                f"x has {x.shape[1]} channels but w holds kernels for {w.shape[0]}",
                f"x.shape={fmt_shape(x.shape)}, w.shape={fmt_shape(w.shape)}",
                "x.shape[1] == w.shape[0] (w is (in, out/groups, KH, KW))",
            )
        )
    settings = _settings(x.shape, w.shape[2:], stride, padding, output_padding, dilation)
    inputs = (x, w) if b is None else (x, w, as_tensor(b, w))
    out_channels = w.shape[1] * groups
    if b is not None and inputs[2].shape != (out_channels,):
        raise ShapeError(
            message(
                "conv_transpose2d",
                "the bias needs one value per output channel",
                fmt_shape(inputs[2].shape),
                f"({out_channels},)",
            )
        )
    return ConvTranspose2D.apply(*inputs, **settings, groups=groups)


def _settings(x_shape, kernel, stride, padding, output_padding, dilation) -> dict:
    where = "conv_transpose2d"
    stride, dilation = pair(stride, "stride", where), pair(dilation, "dilation", where)
    pad = pair(padding, "padding", where, minimum=0)
    extra = pair(output_padding, "output_padding", where, minimum=0)
    if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise ConfigError(
            message(
                where,
                "output_padding must be smaller than the stride or the dilation",
                f"output_padding={extra}, stride={stride}, dilation={dilation}",
                "output_padding < max(stride, dilation) on each axis",
            )
        )
    sizes = zip(x_shape[2:], kernel, stride, pad, dilation, extra)
    out = tuple(transpose_output_size(*size) for size in sizes)
    if min(out) < 1:
        raise ShapeError(
            message(
                where,
                f"the padding removes the whole output ({out[0]}×{out[1]})",
                f"x.shape={fmt_shape(x_shape)}, padding={pad}",
                "an output of at least 1×1",
                "use less padding",
            )
        )
    return {"stride": stride, "pad": tuple((p, p) for p in pad), "dilation": dilation, "out": out}
