"""2-D convolution (NCHW) as im2col plus one matrix multiply.

Every receptive field of the padded input becomes one column of the matrix ``cols``
(C·KH·KW, N·Ho·Wo) (im2col); one GEMM ``w₂ @ cols`` with the kernel reshaped to w₂
(O, C·KH·KW) computes every output pixel of every sample. The backward pass is the same
two steps in reverse: one GEMM per gradient, and col2im, which adds each kernel
position's slice back into the input (a loop over the KH·KW kernel positions only,
never over samples or pixels).

The fast path (batch-last memory layout, recycled column buffers) is in
:mod:`glassnet._fastpath`; :func:`glassnet.ops.reference.conv2d_reference` is the same
operation as a loop over kernel positions in plain NCHW, one screen long.
"""

from __future__ import annotations

import numpy as np

from glassnet._fastpath import (
    col2im,
    columns_from_image,
    im2col,
    image_from_columns,
    matmul_recycled,
)
from glassnet.autograd import Function
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.tensor import Tensor, as_tensor

__all__ = ["Conv2D", "conv2d", "conv_settings", "output_size", "pair", "resolve_padding"]


def pair(value, name: str, where: str, minimum: int = 1) -> tuple[int, int]:
    """``3`` → (3, 3); ``(3, 5)`` stays; anything else is a ConfigError naming ``where``."""
    values = (value, value) if isinstance(value, int | np.integer) else value
    if (
        not isinstance(values, tuple | list)
        or len(values) != 2
        or not all(isinstance(v, int | np.integer) and v >= minimum for v in values)
    ):
        raise ConfigError(
            message(
                where,
                f"{name} must be an int ≥ {minimum} or a pair of them",
                repr(value),
                f"e.g. {name}=2 or {name}=(2, 2)",
            )
        )
    return int(values[0]), int(values[1])


def resolve_padding(padding, size, kernel, stride, dilation, where: str) -> tuple:
    """Padding as ((top, bottom), (left, right)).

    ``'valid'``: no padding.  ``'same'``: Ho = ⌈H / s⌉; the total padding
    max((Ho − 1)·s + d·(k − 1) + 1 − H, 0) is split with the odd pixel at the bottom/right
    (PyTorch's and TensorFlow's rule; with s = 1 the total is d·(k − 1)).
    An int p pads p on every side; a pair (ph, pw) pads ph rows and pw columns per side.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            sides = []
            for n, k, s, d in zip(size, kernel, stride, dilation):
                total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
                sides.append((total // 2, total - total // 2))
            return tuple(sides)
        raise ConfigError(
            message(
                where,
                f"unknown padding {padding!r}",
                repr(padding),
                "'valid', 'same', an int or an (int, int) pair",
            )
        )
    ph, pw = pair(padding, "padding", where, minimum=0)
    return (ph, ph), (pw, pw)


def output_size(n: int, k: int, s: int, pad: tuple[int, int], d: int) -> int:
    """Ho = ⌊(H + p_top + p_bottom − d·(k − 1) − 1) / s⌋ + 1 (below 1: the window does not fit)."""
    return (n + pad[0] + pad[1] - d * (k - 1) - 1) // s + 1


class Conv2D(Function):
    """2-D cross-correlation (what deep-learning libraries call convolution), NCHW.

    Forward:   y[n, o, i, j] = b[o] + Σ_c Σ_p Σ_q w[o, c, p, q] · x̃[n, c, i·sh + p·dh, j·sw + q·dw]
               (x̃ = x zero-padded), computed as  y₂ = [w₂ | b] @ [cols ; 1]  with
               cols[(c, p, q), (i, j, n)] = x̃[n, c, i·sh + p·dh, j·sw + q·dw]   (im2col)
    Backward:  [dL/dw₂ | dL/db] = grad_y₂ @ [cols ; 1]ᵀ   (so dL/db = Σ_{n,i,j} dL/dy),
               dL/dcols = w₂ᵀ @ grad_y₂,   dL/dx = col2im(dL/dcols): for each kernel position
               (p, q), add dL/dcols[(·, p, q), ·] into the input pixels it was read from
               (grad_y₂ = dL/dy laid out as (O, N·Ho·Wo))
    Shapes:    x (N, C, H, W), w (O, C, KH, KW), b (O,) → y (N, O, Ho, Wo),
               Ho = ⌊(H + p_top + p_bottom − dh·(KH − 1) − 1) / sh⌋ + 1 (same for Wo)
    Notes:     settings ``stride`` (sh, sw), ``pad`` ((top, bottom), (left, right)),
               ``dilation`` (dh, dw). dL/dx is skipped when x needs no gradient (the first
               layer). The bias rides along as the weight of a constant input 1 (a row of
               ones under cols), so one GEMM adds it and one GEMM sums its gradient.
               Fast path: memory layout and buffers differ from plain NCHW (see
               glassnet._fastpath); the readable version is ops.reference.conv2d_reference.
    Reference: Chellapilla, Puri & Simard (2006), "High performance convolutional neural
               networks for document processing" (the im2col unrolling).
    """

    def __init__(
        self,
        stride: tuple[int, int] = (1, 1),
        pad: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0)),
        dilation: tuple[int, int] = (1, 1),
    ):
        self.stride, self.pad, self.dilation = stride, pad, dilation

    def forward(self, x, w, *b):
        O, C, KH, KW = w.shape
        self.x_shape, self.kernel = x.shape, (KH, KW)
        self.out = tuple(
            output_size(n, k, s, p, d)
            for n, k, s, p, d in zip(
                x.shape[2:], self.kernel, self.stride, self.pad, self.dilation
            )
        )
        self.cols = im2col(x, self.kernel, self.stride, self.pad, self.dilation, self.out, bool(b))
        self.w2 = w.reshape(O, C * KH * KW)
        if b:  # the bias as the weight of the constant input 1 (the last row of cols)
            self.w2 = np.concatenate([self.w2, b[0][:, None]], axis=1)
        return image_from_columns(self.w2 @ self.cols, self.out)

    def backward(self, grad_y):
        K = self.x_shape[1] * self.kernel[0] * self.kernel[1]  # rows of cols from x
        grad_y2 = columns_from_image(grad_y)
        grad_w2 = grad_y2 @ self.cols.T  # its last column, against the row of ones, is Σ dL/dy
        grad_w = grad_w2[:, :K].reshape(-1, self.x_shape[1], *self.kernel)
        grad_x = None
        if self.needs_input_grad[0]:  # not for the first layer
            grad_cols = matmul_recycled(self.w2[:, :K].T, grad_y2)
            args = (self.kernel, self.stride, self.pad, self.dilation, self.out)
            grad_x = col2im(grad_cols, self.x_shape, *args)
        if len(self.needs_input_grad) == 3:  # a bias was given
            return grad_x, grad_w, grad_w2[:, K]
        return grad_x, grad_w


def check_image_batch(x: Tensor, where: str, what: str = "x") -> None:
    """A 4-D (N, C, H, W) batch, or a ShapeError that says how to get one."""
    if x.ndim != 4:
        raise ShapeError(
            message(
                where,
                f"{what} must be a 4-D image batch (N, C, H, W)",
                f"{what}.shape={fmt_shape(x.shape)}",
                "4 axes",
                "MNIST images (N, 28, 28) become (N, 1, 28, 28) with gn.vision.mnist_to_images",
            )
        )


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1) -> Tensor:
    """2-D convolution of an image batch x (N, C, H, W) with kernels w (O, C, KH, KW).

    ``padding``: ``'valid'`` (none), ``'same'`` (output ⌈H / stride⌉), an int or an
    (int, int) pair per side. See :class:`Conv2D` for the formulas.
    """
    w = as_tensor(w)
    x = as_tensor(x, w)
    check_image_batch(x, "conv2d")
    check_image_batch(w, "conv2d", "w")
    if x.shape[1] != w.shape[1]:
        raise ShapeError(
            message(
                "conv2d",
                f"x has {x.shape[1]} channels but the kernels expect {w.shape[1]}",
                f"x.shape={fmt_shape(x.shape)}, w.shape={fmt_shape(w.shape)}",
                "x.shape[1] == w.shape[1]",
            )
        )
    inputs = (x, w) if b is None else (x, w, as_tensor(b, w))
    if b is not None and inputs[2].shape != (w.shape[0],):
        raise ShapeError(
            message(
                "conv2d",
                "the bias needs one value per kernel",
                fmt_shape(inputs[2].shape),
                f"({w.shape[0]},)",
            )
        )
    settings = conv_settings(x.shape, w.shape[2:], stride, padding, dilation, "conv2d")
    return Conv2D.apply(*inputs, **settings)


def conv_settings(x_shape, kernel, stride, padding, dilation, where: str) -> dict:
    """Validated stride, padding and dilation for an input of ``x_shape``; the output must
    have at least one pixel."""
    stride = pair(stride, "stride", where)
    dilation = pair(dilation, "dilation", where)
    pad = resolve_padding(padding, x_shape[2:], kernel, stride, dilation, where)
    out = [
        output_size(n, k, s, p, d)
        for n, k, s, p, d in zip(x_shape[2:], kernel, stride, pad, dilation)
    ]
    if min(out) < 1:
        raise ShapeError(
            message(
                where,
                f"the {kernel[0]}×{kernel[1]} window does not fit the "
                f"{x_shape[2]}×{x_shape[3]} image (output would be {out[0]}×{out[1]})",
                f"x.shape={fmt_shape(x_shape)}",
                "an image at least as large as the (dilated) window after padding",
                "pad the input (padding='same') or use a smaller kernel_size",
            )
        )
    return {"stride": stride, "pad": pad, "dilation": dilation}
