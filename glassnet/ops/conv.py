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

from typing import TYPE_CHECKING

import numpy as np

from glassnet._fastpath import (
    col2im,
    columns_from_image,
    im2col,
    image_from_columns,
    matmul_recycled,
)
from glassnet._validate import int_sizes
from glassnet.autograd import Function
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike


__all__ = [
    "Conv2D",
    "check_groups",
    "conv2d",
    "conv_settings",
    "crop_negative",
    "output_size",
    "pair",
    "resolve_padding",
]


def pair(
    value: int | tuple[int, int] | Sequence[int], name: str, where: str, minimum: int = 1
) -> tuple[int, int]:
    """``3`` → (3, 3); ``(3, 5)`` stays; anything else is a ConfigError naming ``where``."""
    return int_sizes(where, name, value, 2, minimum)  # type: ignore[return-value]


def resolve_padding(
    padding: str | int | tuple[int, int],
    size: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    where: str,
) -> tuple:
    """Padding as ((top, bottom), (left, right)).

    ``'valid'``: no padding.  ``'same'``: Ho = ⌈H / s⌉; the total padding
    max((Ho − 1)·s + d·(k − 1) + 1 − H, 0) is split with the odd pixel at the bottom/right
    (PyTorch's and TensorFlow's rule; with s = 1 the total is d·(k − 1)).
    An int p pads p on every side; a pair (ph, pw) pads ph rows and pw columns per side;
    four ints (left, right, top, bottom) pad each side on its own (``F.pad``'s order).
    Negative widths crop that side (:func:`crop_negative` applies them).
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
    sides = (padding,) * 2 if isinstance(padding, int | np.integer) else tuple(padding)
    if len(sides) not in (2, 4) or not all(isinstance(v, int | np.integer) for v in sides):
        raise ConfigError(
            message(
                where,
                "padding must be 'valid', 'same', an int, a pair or four ints",
                repr(padding),
                "e.g. padding=1, (1, 2) or (left, right, top, bottom)",
            )
        )
    if len(sides) == 2:
        return (int(sides[0]),) * 2, (int(sides[1]),) * 2
    left, right, top, bottom = map(int, sides)
    return (top, bottom), (left, right)


def crop_negative(x: Tensor, pad: tuple) -> tuple[Tensor, tuple]:
    """Negative padding crops: x without the cropped rows/columns, and the padding ≥ 0 left."""
    if min(min(side) for side in pad) >= 0:
        return x, pad
    (t, b), (left, r) = pad
    H, W = x.shape[2:]
    x = x[:, :, max(-t, 0) : H - max(-b, 0), max(-left, 0) : W - max(-r, 0)]
    return x, tuple((max(u, 0), max(v, 0)) for u, v in pad)


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
    Groups:    with ``groups`` G, output channel o of group g = ⌊o / (O/G)⌋ sums only over
               the C/G input channels of group g: y₂[g] = w₂[g] @ cols[g] (batched GEMM)
    Shapes:    x (N, C, H, W), w (O, C/G, KH, KW), b (O,) → y (N, O, Ho, Wo),
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
        groups: int = 1,
    ) -> None:
        self.stride, self.pad, self.dilation, self.groups = stride, pad, dilation, groups

    def forward(self, x: np.ndarray, w: np.ndarray, *b) -> np.ndarray:
        O, C, KH, KW = w.shape  # C: channels per group
        self.x_shape, self.kernel = x.shape, (KH, KW)
        self.out = tuple(
            output_size(n, k, s, p, d)
            for n, k, s, p, d in zip(
                x.shape[2:], self.kernel, self.stride, self.pad, self.dilation
            )
        )
        if self.groups > 1:
            return self._forward_groups(x, w, *b)
        self.cols = im2col(x, self.kernel, self.stride, self.pad, self.dilation, self.out, bool(b))
        self.w2 = w.reshape(O, C * KH * KW)
        if b:  # the bias as the weight of the constant input 1 (the last row of cols)
            self.w2 = np.concatenate([self.w2, b[0][:, None]], axis=1)
        return image_from_columns(self.w2 @ self.cols, self.out)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        if self.groups > 1:
            return self._backward_groups(grad_y)
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

    def _forward_groups(self, x, w, *b):
        """G groups: the rows of cols for the channels of group g meet only its kernels,
        y₂[g] = w₂[g] @ cols[g], one batched GEMM (G, O/G, C/G·KH·KW) @ (G, C/G·KH·KW, M)."""
        G = self.groups
        cols = im2col(x, self.kernel, self.stride, self.pad, self.dilation, self.out, False)
        self.cols = cols.reshape(G, -1, cols.shape[1])
        self.w2 = w.reshape(G, w.shape[0] // G, -1)
        y2 = np.matmul(self.w2, self.cols).reshape(w.shape[0], -1)
        if b:
            y2 += b[0][:, None]
        return image_from_columns(y2, self.out)

    def _backward_groups(self, grad_y):
        G = self.groups
        grad_y2 = columns_from_image(grad_y)  # (O, M)
        grad_yg = grad_y2.reshape(G, -1, grad_y2.shape[1])
        grad_w = np.matmul(grad_yg, self.cols.transpose(0, 2, 1))
        grad_w = grad_w.reshape(-1, self.x_shape[1] // G, *self.kernel)
        grad_x = None
        if self.needs_input_grad[0]:
            grad_cols = np.matmul(self.w2.transpose(0, 2, 1), grad_yg)
            args = (self.kernel, self.stride, self.pad, self.dilation, self.out)
            grad_x = col2im(grad_cols.reshape(-1, grad_y2.shape[1]), self.x_shape, *args)
        if len(self.needs_input_grad) == 3:
            return grad_x, grad_w, grad_y2.sum(axis=1)
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


def conv2d(
    x: Tensor | ArrayLike,
    w: Tensor | ArrayLike,
    b: Tensor | ArrayLike | None = None,
    stride: int | tuple[int, int] = 1,
    padding: str | int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution of an image batch x (N, C, H, W) with kernels w (O, C/groups, KH, KW).

    ``padding``: ``'valid'`` (none), ``'same'`` (output ⌈H / stride⌉), an int or an
    (int, int) pair per side, or (left, right, top, bottom); negative widths crop.
    ``groups`` G splits the channels into G groups convolved separately (G = C with
    O = k·C is a depthwise convolution). See :class:`Conv2D` for the formulas.
    """
    w = as_tensor(w)
    x = as_tensor(x, w)
    check_image_batch(x, "conv2d")
    check_image_batch(w, "conv2d", "w")
    groups = check_groups(x.shape[1], w.shape[0], groups, "conv2d")
    if x.shape[1] != w.shape[1] * groups:
        raise ShapeError(
            message(
                "conv2d",
                f"x has {x.shape[1]} channels but the kernels expect {w.shape[1] * groups}"
                + (f" ({groups} groups of {w.shape[1]})" if groups > 1 else ""),
                f"x.shape={fmt_shape(x.shape)}, w.shape={fmt_shape(w.shape)}",
                "x.shape[1] == w.shape[1] · groups",
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
    x, settings["pad"] = crop_negative(x, settings["pad"])
    return Conv2D.apply(x, *inputs[1:], **settings, groups=groups)


def check_groups(channels: int, out_channels: int, groups: int, where: str) -> int:
    """``groups`` ≥ 1 dividing both the input and the output channels."""
    ok = isinstance(groups, int | np.integer) and not isinstance(groups, bool) and groups >= 1
    if not ok or channels % groups or out_channels % groups:
        raise ConfigError(
            message(
                where,
                "groups must divide both the input and the output channels",
                f"groups={groups!r} for {channels} in, {out_channels} out",
                "a common divisor, e.g. groups=in_channels for a depthwise convolution",
            )
        )
    return int(groups)


def conv_settings(
    x_shape: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: int | tuple[int, int],
    padding: str | int | tuple[int, int],
    dilation: int | tuple[int, int],
    where: str,
) -> dict:
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
