"""Pooling over image windows (NCHW): max, average and global average.

Like the convolution's col2im, every loop here runs over the KH·KW kernel positions only:
position (p, q) of every window, in every sample and channel, is one strided slice of the
padded input (:func:`glassnet._fastpath.kernel_slice`). The fast path (batch-last layout,
tiled windows) is in :mod:`glassnet._fastpath`; :mod:`glassnet.ops.reference` has the
same ops as plain NCHW loops, one screen each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet._fastpath import (
    NO_PAD,
    add_product,
    batch_last,
    empty_padded,
    kernel_slice,
    pad_batch_last,
    unpad,
    window_max,
    windows_tile,
    zeros_padded,
)
from glassnet.autograd import Function
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.ops.conv import check_image_batch, output_size, pair
from glassnet.ops.pool_nd import avg_pool_nd, max_pool_nd
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


__all__ = [
    "MaxPool2D",
    "AvgPool2D",
    "GlobalAvgPool2D",
    "max_pool2d",
    "avg_pool2d",
    "global_avg_pool2d",
]


def _positions(kernel):
    return [(p, q) for p in range(kernel[0]) for q in range(kernel[1])]


class _Window:
    """The settings the pooling ops share (a mixin, not an op; see :func:`pool_settings`)."""

    def __init__(self, kernel: tuple[int, int], stride: tuple[int, int], pad: tuple, out: tuple):
        self.kernel, self.stride, self.pad, self.out = kernel, stride, pad, out


class MaxPool2D(_Window, Function):
    """Maximum over each KH×KW window.

    Forward:   y[n, c, i, j] = max_{p,q} x̃[n, c, i·sh + p, j·sw + q]   (x̃ = x padded with −∞)
    Backward:  dL/dx̃[n, c, i·sh + p*, j·sw + q*] += dL/dy[n, c, i, j], where (p*, q*) is the
               window's argmax; every other element of the window gets 0
    Shapes:    x (N, C, H, W) → y (N, C, Ho, Wo),  Ho = ⌊(H + 2·ph − dh·(KH − 1) − 1) / sh⌋ + 1
               (⌈·⌉ with ceil_mode: the extra bottom/right rows are −∞ padding)
    Notes:     ``dilation`` (dh, dw) spaces the window's elements: x̃[i·sh + p·dh, j·sw + q·dw].
               Ties: the gradient goes to the FIRST maximal element in row-major window
               order, exactly as PyTorch's CPU kernel routes it (it keeps the running
               maximum and replaces it only on a strict >). After a ReLU whole windows are
               often 0, so ties are common, not a corner case. Overlapping windows
               (stride < kernel) add their gradients. Fast path: forward maxima over
               tiled windows and a write-not-add backward (see glassnet._fastpath); the
               readable version is ops.reference.max_pool2d_reference.
    """

    def __init__(
        self,
        kernel: tuple[int, int],
        stride: tuple[int, int],
        pad: tuple,
        out: tuple,
        dilation: tuple[int, int] = (1, 1),
    ) -> None:
        super().__init__(kernel, stride, pad, out)
        self.dilation = dilation

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_shape = x.shape
        self.xp = pad_batch_last(x, self.pad, -np.inf)
        if self.dilation == (1, 1):
            self.y = window_max(self.xp, self.kernel, self.stride, self.out)
            return self.y
        slices = [kernel_slice(p, q, self.stride, self.dilation, self.out) for p, q in
                  _positions(self.kernel)]  # fmt: skip
        self.y = self.xp[slices[0]].copy()
        for where in slices[1:]:
            np.maximum(self.y, self.xp[where], out=self.y)
        return self.y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        fresh = self.dilation == (1, 1) and windows_tile(
            self.xp.shape, self.kernel, self.stride, self.out
        )
        grad_xp = (empty_padded if fresh else zeros_padded)(self.x_shape, self.pad, grad_y.dtype)
        grad_y = batch_last(grad_y)  # the layout of x and y (after a Flatten it is not)
        for where, first in self._first_maxima():
            add_product(grad_xp, where, grad_y, first, fresh)  # dL/dx̃[where] += dL/dy ⊙ first
        return (unpad(grad_xp, self.x_shape, self.pad),)

    def _first_maxima(self):
        """For each kernel position (p, q): the slice of x̃ it reads and the mask of the
        windows whose FIRST maximal element it holds ("equal to y and not already claimed
        by an earlier position")."""
        positions, unclaimed = _positions(self.kernel), None
        for index, (p, q) in enumerate(positions):
            where = kernel_slice(p, q, self.stride, self.dilation, self.out)
            first = np.equal(self.xp[where], self.y)
            if unclaimed is None:
                unclaimed = ~first
            else:
                first &= unclaimed
                if index + 1 < len(positions):
                    np.greater(unclaimed, first, out=unclaimed)  # unclaimed and not first
            yield where, first


class AvgPool2D(_Window, Function):
    """Mean over each KH×KW window.

    Forward:   y[n, c, i, j] = (1 / (KH·KW)) Σ_{p,q} x̃[n, c, i·sh + p, j·sw + q]   (x̃ zero-padded)
    Backward:  dL/dx̃[n, c, i·sh + p, j·sw + q] += dL/dy[n, c, i, j] / (KH·KW)
    Shapes:    x (N, C, H, W) → y (N, C, Ho, Wo),  Ho = ⌊(H + 2·ph − KH) / sh⌋ + 1
               with setting ``divisor`` (Ho, Wo): y = Σ / divisor instead of KH·KW, where
               count_include_pad=False counts only the input's elements of each window
               and ceil_mode's extra windows count no padding beyond the declared one
    Notes:     padded zeros count in the mean (PyTorch's count_include_pad=True). When the
               stride equals the kernel and there is no padding the windows tile the image,
               so forward is a reshape to (N, C, Ho, KH, Wo, KW) and a mean over the KH
               and KW axes, and backward a broadcast back (no loop at all). The readable
               version is ops.reference.avg_pool2d_reference.
    """

    def __init__(
        self,
        kernel: tuple[int, int],
        stride: tuple[int, int],
        pad: tuple,
        out: tuple,
        divisor: np.ndarray | None = None,
    ) -> None:
        super().__init__(kernel, stride, pad, out)
        self.divisor = divisor

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_shape = x.shape
        if self.divisor is not None:
            xp = pad_batch_last(x, self.pad)
            y = sum(xp[kernel_slice(p, q, self.stride, (1, 1), self.out)]
                    for p, q in _positions(self.kernel))  # fmt: skip
            return y / self.divisor.astype(x.dtype)
        self.tiles = self.stride == self.kernel and self.pad == ((0, 0), (0, 0))
        if self.tiles:
            (Ho, Wo), (KH, KW) = self.out, self.kernel
            blocks = x[:, :, : Ho * KH, : Wo * KW].reshape(*x.shape[:2], Ho, KH, Wo, KW)
            return blocks.mean(axis=(3, 5), dtype=x.dtype)
        xp = pad_batch_last(x, self.pad)
        y = zeros_padded(x.shape[:2] + tuple(self.out), NO_PAD, x.dtype)
        for p, q in _positions(self.kernel):
            y += xp[kernel_slice(p, q, self.stride, (1, 1), self.out)]
        return y / x.dtype.type(self.kernel[0] * self.kernel[1])

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        if self.divisor is not None:
            share = grad_y / self.divisor.astype(grad_y.dtype)
        else:
            share = grad_y / grad_y.dtype.type(self.kernel[0] * self.kernel[1])
        if self.divisor is None and self.tiles:
            return (self._tile_backward(share),)
        grad_xp = zeros_padded(self.x_shape, self.pad, grad_y.dtype)
        for p, q in _positions(self.kernel):
            grad_xp[kernel_slice(p, q, self.stride, (1, 1), self.out)] += share
        return (unpad(grad_xp, self.x_shape, self.pad),)

    def _tile_backward(self, share: np.ndarray) -> np.ndarray:
        (N, C, H, W), (Ho, Wo), (KH, KW) = self.x_shape, self.out, self.kernel
        spread = np.broadcast_to(share[:, :, :, None, :, None], (N, C, Ho, KH, Wo, KW))
        if (Ho * KH, Wo * KW) == (H, W):
            return spread.reshape(self.x_shape)
        grad_x = np.zeros(self.x_shape, share.dtype)
        grad_x[:, :, : Ho * KH, : Wo * KW] = spread.reshape(N, C, Ho * KH, Wo * KW)
        return grad_x


class GlobalAvgPool2D(Function):
    """Mean over all pixels of each channel: one number per feature map.

    Forward:   y[n, c] = (1 / (H·W)) Σ_{i,j} x[n, c, i, j]
    Backward:  dL/dx[n, c, i, j] = dL/dy[n, c] / (H·W)
    Shapes:    x (N, C, H, W) → y (N, C)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_shape = x.shape
        return x.mean(axis=(2, 3), dtype=x.dtype)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        H, W = self.x_shape[2:]
        share = grad_y[:, :, None, None] / grad_y.dtype.type(H * W)
        return (np.broadcast_to(share, self.x_shape).copy(),)


def pool_config(
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None,
    padding: int | tuple[int, int],
    where: str,
) -> dict:
    """Validated kernel, stride (default: the kernel) and symmetric padding ≤ kernel / 2."""
    kernel = pair(kernel_size, "kernel_size", where)
    stride = kernel if stride is None else pair(stride, "stride", where)
    ph, pw = pair(padding, "padding", where, minimum=0)
    if 2 * ph > kernel[0] or 2 * pw > kernel[1]:
        raise ConfigError(
            message(
                where,
                "padding may be at most half the kernel (a window of padding alone has no input)",
                f"padding={(ph, pw)} for kernel_size={kernel}",
                f"padding ≤ {(kernel[0] // 2, kernel[1] // 2)}",
            )
        )
    return {"kernel": kernel, "stride": stride, "pad": ((ph, ph), (pw, pw))}


def _ceil_size(n: int, k: int, s: int, pad: tuple, d: int) -> int:
    """PyTorch's ceil_mode: Ho = ⌈(H + 2p − d·(k − 1) − 1) / s⌉ + 1, less one when the last
    window would start beyond the input and its left padding."""
    out = -(-(n + pad[0] + pad[1] - d * (k - 1) - 1) // s) + 1
    return out - 1 if (out - 1) * s >= n + pad[0] else out


def pool_settings(
    x: Tensor,
    config: dict,
    where: str,
    dilation: int | tuple[int, int] = (1, 1),
    ceil_mode: bool = False,
) -> dict:
    """``config`` plus the output size for the image batch x, which the window must fit.
    With ``ceil_mode`` the padding grows at the bottom/right to hold the last window."""
    check_image_batch(x, where)
    kernel, stride, pad = config["kernel"], config["stride"], config["pad"]
    size = _ceil_size if ceil_mode else output_size
    sizes = zip(x.shape[2:], kernel, stride, pad, dilation)
    out = tuple(size(n, k, s, p, d) for n, k, s, p, d in sizes)
    if ceil_mode:
        reach = [
            (o - 1) * s + d * (k - 1) + 1 for o, s, d, k in zip(out, stride, dilation, kernel)
        ]
        pad = tuple((p[0], max(r - n - p[0], p[1])) for r, n, p in zip(reach, x.shape[2:], pad))
    if min(out) < 1:
        raise ShapeError(
            message(
                where,
                f"the {kernel[0]}×{kernel[1]} window does not fit the "
                f"{x.shape[2]}×{x.shape[3]} image",
                f"x.shape={fmt_shape(x.shape)}",
                "an image at least as large as the window",
                "use a smaller kernel_size or pool fewer times",
            )
        )
    return {**config, "pad": pad, "out": out}


def avg_divisor(
    x_shape: tuple[int, ...], settings: dict, declared: tuple, count_include_pad: bool
) -> np.ndarray:
    """How many elements each window's mean counts, (Ho, Wo): per axis, the window positions
    inside [0, H + 2p) (padding counted) or [p, p + H) (the input only); ceil_mode's extra
    padding never counts. Separable: the product of the two axes' counts."""
    counts = []
    for n, k, s, o, p in zip(x_shape[2:], settings["kernel"], settings["stride"],
                             settings["out"], declared):  # fmt: skip
        lo, hi = (0, n + 2 * p) if count_include_pad else (p, p + n)
        starts = np.arange(o)[:, None] * s + np.arange(k)[None, :]
        counts.append(((starts >= lo) & (starts < hi)).sum(axis=1))
    return np.outer(*counts).astype(np.float64)


def max_pool2d(
    x: Tensor | ArrayLike,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, ...] = 0,
    dilation: int | tuple[int, int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of x (N, C, H, W); ``stride`` defaults to ``kernel_size``.

    Ties route the gradient to the first maximal element, as in PyTorch (see MaxPool2D).
    ``ceil_mode`` rounds the output size up (a last, partial window); ``return_indices``
    also returns each maximum's flat index i·W + j into its (H, W) input plane (int64),
    as PyTorch does. ``padding`` may also be four ints (left, right, top, bottom), as
    F.pad's widths: asymmetric, beyond half the kernel, or negative (a crop); that form
    and integer inputs take the readable N-d op (glassnet.ops.pool_nd).
    """
    x, where = as_tensor(x), "max_pool2d"
    if _general(padding) or x.dtype.kind != "f":
        return max_pool_nd(x, 2, kernel_size, stride, padding, dilation, ceil_mode,
                           return_indices, where)  # fmt: skip
    config = pool_config(kernel_size, stride, padding, where)
    dilation = pair(dilation, "dilation", where)
    settings = pool_settings(x, config, where, dilation, ceil_mode)
    y = MaxPool2D.apply(x, **settings, dilation=dilation)
    if not return_indices:
        return y
    return y, Tensor(_argmax_indices(x.data, y.data, settings, dilation))


def _general(padding) -> bool:
    """Whether ``padding`` is the explicit four-side form (F.pad's order)."""
    return isinstance(padding, tuple | list) and len(padding) == 4


def _argmax_indices(x: np.ndarray, y: np.ndarray, settings: dict, dilation) -> np.ndarray:
    """The flat (H, W) index of the first element of each window equal to its maximum."""
    (pt, _), (pl, _) = settings["pad"]
    index = np.full(y.shape, -1, np.int64)
    xp = pad_batch_last(x, settings["pad"], -np.inf)
    for p, q in _positions(settings["kernel"]):
        where = kernel_slice(p, q, settings["stride"], dilation, settings["out"])
        rows = np.arange(y.shape[2]) * settings["stride"][0] + p * dilation[0] - pt
        cols = np.arange(y.shape[3]) * settings["stride"][1] + q * dilation[1] - pl
        flat = rows[:, None] * x.shape[3] + cols[None, :]
        index = np.where((index < 0) & (xp[where] == y), flat, index)
    return index


def avg_pool2d(
    x: Tensor | ArrayLike,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, ...] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    dilation: int | tuple[int, int] = 1,
) -> Tensor:
    """Average pooling of x (N, C, H, W); ``stride`` defaults to ``kernel_size``.

    ``count_include_pad=False`` divides each window's sum by its input elements only;
    ``ceil_mode`` rounds the output size up (PyTorch's arguments and divisors).
    ``padding`` may also be four ints (left, right, top, bottom), and ``dilation`` spaces
    the window's elements (ONNX's AveragePool has it; PyTorch's does not): those forms
    take the readable N-d op (glassnet.ops.pool_nd).
    """
    x, where = as_tensor(x), "avg_pool2d"
    if _general(padding) or dilation not in (1, (1, 1), [1, 1]):
        return avg_pool_nd(x, 2, kernel_size, stride, padding, dilation, ceil_mode,
                           count_include_pad, where)  # fmt: skip
    config = pool_config(kernel_size, stride, padding, where)
    settings = pool_settings(x, config, where, (1, 1), ceil_mode)
    if settings["pad"] != config["pad"] or not count_include_pad:
        declared = tuple(side[0] for side in config["pad"])
        settings["divisor"] = avg_divisor(x.shape, settings, declared, count_include_pad)
    return AvgPool2D.apply(x, **settings)


def global_avg_pool2d(x: Tensor | ArrayLike) -> Tensor:
    """Mean of each channel over all its pixels: (N, C, H, W) → (N, C)."""
    x = as_tensor(x)
    check_image_batch(x, "global_avg_pool2d")
    return GlobalAvgPool2D.apply(x)
