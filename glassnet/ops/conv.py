"""2-D convolution (NCHW) as im2col through a strided view plus one matrix multiply.

The sliding windows of the padded input are a *view* (``as_strided``: no copy); one copy
lays them out as the column matrix ``cols`` of shape (C·KH·KW, N·Ho·Wo), and one GEMM
``w₂ @ cols`` with the kernel reshaped to w₂ (O, C·KH·KW) computes every output pixel of
every sample. The backward pass is the same two steps in reverse: one GEMM per gradient
and col2im, which adds each kernel position's slice back into the input (a loop over the
KH·KW kernel positions only, never over samples or pixels).

Memory layout: the GEMM's columns are ordered (output row, output column, sample), so it
produces (O, Ho, Wo, N); the op returns that as an (N, O, Ho, Wo) *view*. Images flow
through the network "batch last" in memory: every pixel of a channel holds its N samples
side by side. Then each kernel position's slice of an image, in im2col, col2im and
pooling, is a run of Wo·N contiguous numbers instead of N·C·Ho short rows of Wo, which
NumPy copies and adds about four times faster. Shapes and indexing are NCHW everywhere;
only the strides differ.
"""

from __future__ import annotations

import sys

import numpy as np
from numpy.lib.stride_tricks import as_strided

from glassnet.autograd import Function
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.tensor import Tensor, as_tensor

__all__ = [
    "Conv2D",
    "batch_last",
    "conv2d",
    "output_size",
    "pad_batch_last",
    "pair",
    "resolve_padding",
    "windows",
]


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


def batch_last(a: np.ndarray) -> np.ndarray:
    """``a`` (N, C, H, W) stored as (C, H, W, N) in memory, like the conv and pool outputs
    (a copy only when it is not already): elementwise work between arrays of one memory
    layout runs at memory speed, mixed layouts at about half of it."""
    moved = a.transpose(1, 2, 3, 0)
    return a if moved.flags.c_contiguous else np.ascontiguousarray(moved).transpose(3, 0, 1, 2)


def pad_batch_last(x: np.ndarray, pad: tuple, value: float = 0.0) -> np.ndarray:
    """x (N, C, H, W) padded with ``value``, stored batch-last (a copy unless x already is
    batch-last and needs no padding)."""
    (top, bottom), (left, right) = pad
    if not (top or bottom or left or right):
        return batch_last(x)
    N, C, H, W = x.shape
    xp = np.full((C, H + top + bottom, W + left + right, N), value, x.dtype)
    xp[:, top : top + H, left : left + W] = x.transpose(1, 2, 3, 0)
    return xp.transpose(3, 0, 1, 2)


def zeros_padded(x_shape, pad, dtype, empty: bool = False) -> np.ndarray:
    """Zeros (or, when every element will be written, uninitialised memory) shaped like an
    (N, C, H, W) batch after padding, stored batch-last: where col2im and the pools'
    backward add gradients."""
    N, C, H, W = x_shape
    (top, bottom), (left, right) = pad
    make = np.empty if empty else np.zeros
    return make((C, H + top + bottom, W + left + right, N), dtype).transpose(3, 0, 1, 2)


def unpad(grad_xp: np.ndarray, x_shape, pad) -> np.ndarray:
    """The unpadded (N, C, H, W) part of a padded gradient (a view)."""
    (top, _), (left, _) = pad
    return grad_xp[:, :, top : top + x_shape[2], left : left + x_shape[3]]


_SPARE: dict[tuple, list[np.ndarray]] = {}
_RECYCLE_BYTES = 32 * 2**20  # below this, malloc reuses freed memory by itself
_SPARE_BYTES = 512 * 2**20  # the most memory kept for reuse


def _references(spare: list, index: int) -> int:
    return sys.getrefcount(spare[index])


#: What _references counts for an array that only its spare list holds (measured, not
#: assumed, since the count of temporary references differs between Python versions).
_UNUSED = _references([np.empty(0)], 0)


def recycled(shape: tuple, dtype) -> np.ndarray:
    """An uninitialised array, reusing one of an earlier call's once nothing refers to it.

    im2col's column matrix and its gradient are the largest arrays of a step (85 MB each
    for mnist_cnn's second layer). Freshly allocated, every one costs the operating system
    a page fault per 4 KB, about a fifth of a training step in all; handing the same
    memory out again skips that. An array is reused only when no tensor, op or view holds
    it any more (its reference count says so), so results never change; at most two
    arrays per shape, and 512 MB in all, are kept.
    """
    dtype = np.dtype(dtype)
    if int(np.prod(shape)) * dtype.itemsize < _RECYCLE_BYTES:
        return np.empty(shape, dtype)
    spare = _SPARE.setdefault((tuple(shape), dtype.str), [])
    for index in range(len(spare)):
        if _references(spare, index) == _UNUSED:
            return spare[index]
    array = np.empty(shape, dtype)
    kept = sum(a.nbytes for arrays in _SPARE.values() for a in arrays)
    if len(spare) < 2 and kept + array.nbytes <= _SPARE_BYTES:
        spare.append(array)
    return array


def windows(xp: np.ndarray, kernel, stride, dilation, out) -> np.ndarray:
    """The read-only view v (N, C, Ho, Wo, KH, KW) with v[n, c, i, j, p, q] =
    xp[n, c, i·sh + p·dh, j·sw + q·dw]: every receptive field, without copying."""
    sn, sc, sh, sw = xp.strides
    return as_strided(
        xp,
        shape=xp.shape[:2] + tuple(out) + tuple(kernel),
        strides=(sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1]),
        writeable=False,
    )


def kernel_slice(p: int, q: int, stride, dilation, out) -> tuple:
    """The slices of the padded input that kernel position (p, q) reads, for all outputs."""
    (sh, sw), (dh, dw), (Ho, Wo) = stride, dilation, out
    return (
        slice(None),
        slice(None),
        slice(p * dh, p * dh + sh * (Ho - 1) + 1, sh),
        slice(q * dw, q * dw + sw * (Wo - 1) + 1, sw),
    )


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
               ones under cols), so one GEMM adds it and one GEMM sums its gradient. The
               output is a batch-last view (see the module docstring).
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
        N, C, H, W = x.shape
        O, _, KH, KW = w.shape
        self.x_shape, self.kernel, self.K = x.shape, (KH, KW), C * KH * KW
        self.out = (
            output_size(H, KH, self.stride[0], self.pad[0], self.dilation[0]),
            output_size(W, KW, self.stride[1], self.pad[1], self.dilation[1]),
        )
        view = windows(
            pad_batch_last(x, self.pad), self.kernel, self.stride, self.dilation, self.out
        )
        self.cols = recycled((self.K + len(b), N * self.out[0] * self.out[1]), x.dtype)
        np.copyto(
            self.cols[: self.K].reshape(C, KH, KW, *self.out, N), view.transpose(1, 4, 5, 2, 3, 0)
        )
        self.w2 = w.reshape(O, self.K)
        if b:  # the bias as the weight of a constant input 1: one more row of cols
            self.cols[self.K] = 1
            self.w2 = np.concatenate([self.w2, b[0][:, None]], axis=1)
        y2 = self.w2 @ self.cols
        return y2.reshape(O, *self.out, N).transpose(3, 0, 1, 2)

    def backward(self, grad_y):
        O, K = self.w2.shape[0], self.K
        grad_y2 = grad_y.transpose(1, 2, 3, 0).reshape(O, -1)  # no copy when batch-last
        grad_w2 = grad_y2 @ self.cols.T  # its last column, against the row of ones, is Σ dL/dy
        grad_w = grad_w2[:, :K].reshape(O, -1, *self.kernel)
        grad_x = None
        if self.needs_input_grad[0]:
            grad_cols = recycled((K, grad_y2.shape[1]), grad_y2.dtype)
            grad_x = self._col2im(np.matmul(self.w2[:, :K].T, grad_y2, out=grad_cols))
        if len(self.needs_input_grad) == 3:  # a bias was given
            return grad_x, grad_w, grad_w2[:, K]
        return grad_x, grad_w

    def _col2im(self, grad_cols: np.ndarray) -> np.ndarray:
        """Scatter-add the column gradient back onto the (padded) input, one kernel position
        at a time; the padding's share is cut off at the end."""
        N, C = self.x_shape[:2]
        grad_cols = grad_cols.reshape(C, *self.kernel, *self.out, N)
        grad_xp = zeros_padded(self.x_shape, self.pad, grad_cols.dtype)
        for p in range(self.kernel[0]):
            for q in range(self.kernel[1]):
                where = kernel_slice(p, q, self.stride, self.dilation, self.out)
                grad_xp[where] += grad_cols[:, p, q].transpose(3, 0, 1, 2)
        return unpad(grad_xp, self.x_shape, self.pad)


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
