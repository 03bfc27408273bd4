"""Pooling over N-d windows: signals (N, C, L), images (N, C, H, W), volumes (N, C, D, H, W).

The readable general form of :mod:`glassnet.ops.pool`, for any number of spatial axes and
the settings the 2-D fast path lacks: padding given per side (asymmetric, larger than half
the window, or negative: a crop) and dilation for the average too. Every loop runs over the
kernel positions only: position k of every window, in every sample and channel, is one
strided slice of the padded input, so the code reads like the formula.

Padding is written like ``F.pad``'s widths: an int (every side), one int per spatial axis
(both sides of it; at most half the kernel, PyTorch's rule), or 2·R ints for the R spatial
axes, last axis first: (left, right) for a signal, (left, right, top, bottom) for an
image, (left, right, top, bottom, front, back) for a volume. In that explicit form a side
may exceed half the window (each window must still hold an input element: a side is at
most the dilated window d·(k − 1)) or be negative, which crops the input first.
"""

from __future__ import annotations

import itertools
from functools import reduce
from typing import TYPE_CHECKING

import numpy as np

from glassnet._validate import int_sizes
from glassnet.autograd import Function
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

Size = int | tuple[int, ...]  # one int for every spatial axis, or one per axis

__all__ = [
    "MaxPoolND",
    "AvgPoolND",
    "max_pool1d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool3d",
    "max_pool_nd",
    "avg_pool_nd",
    "pool_nd_settings",
]


def _slices(kernel, stride, dilation, out) -> list[tuple]:
    """For each kernel position k (row-major): the slices of the padded input it reads."""
    return [
        (slice(None), slice(None))
        + tuple(
            slice(k * d, k * d + s * (o - 1) + 1, s)
            for k, s, d, o in zip(ks, stride, dilation, out)
        )  # fmt: skip
        for ks in itertools.product(*(range(k) for k in kernel))
    ]


def _unpad(grad_xp: np.ndarray, x_shape, pad) -> np.ndarray:
    return grad_xp[(slice(None), slice(None), *(slice(b, b + n) for (b, _), n in
                                                 zip(pad, x_shape[2:])))]  # fmt: skip


class MaxPoolND(Function):
    """Maximum over each window of an N-d input.

    Forward:   y[n, c, o] = max_k x̃[n, c, o·s + k·d]   (o, k, s, d: one entry per spatial
               axis; x̃ = x padded with −∞, or the dtype's least value for integers)
    Backward:  dL/dx̃[n, c, o·s + k*·d] += dL/dy[n, c, o], k* the window's FIRST maximal
               position in row-major order (PyTorch's tie rule); other elements get 0
    Shapes:    x (N, C, *S) → y (N, C, *O),  O = ⌊(S + p_begin + p_end − d·(k − 1) − 1) / s⌋ + 1
    Notes:     settings ``pad`` ((begin, end) per spatial axis, ≥ 0) and ``out`` O come
               from :func:`pool_nd_settings`.
    """

    def __init__(
        self, kernel: tuple, stride: tuple, dilation: tuple, pad: tuple, out: tuple
    ) -> None:
        self.kernel, self.stride, self.dilation, self.pad, self.out = (
            kernel, stride, dilation, pad, out)  # fmt: skip

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_shape = x.shape
        least = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        self.xp = np.pad(x, ((0, 0), (0, 0), *self.pad), constant_values=least)
        self.where = _slices(self.kernel, self.stride, self.dilation, self.out)
        self.y = self.xp[self.where[0]].copy()
        for where in self.where[1:]:
            np.maximum(self.y, self.xp[where], out=self.y)
        return self.y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        grad_xp = np.zeros(self.xp.shape, grad_y.dtype)
        unclaimed = np.ones(self.y.shape, bool)
        for where in self.where:
            first = unclaimed & (self.xp[where] == self.y)
            unclaimed &= ~first
            grad_xp[where] += np.where(first, grad_y, 0)
        return (_unpad(grad_xp, self.x_shape, self.pad),)


class AvgPoolND(Function):
    """Mean over each window of an N-d input.

    Forward:   y[n, c, o] = (1 / m[o]) Σ_k x̃[n, c, o·s + k·d]   (x̃ zero-padded)
    Backward:  dL/dx̃[n, c, o·s + k·d] += dL/dy[n, c, o] / m[o]
    Shapes:    x (N, C, *S) → y (N, C, *O) (as MaxPoolND);  m (*O)
    Notes:     the divisor m counts each window's elements that lie in the input, plus the
               declared padding with count_include_pad (never ceil_mode's extra padding):
               see :func:`avg_divisor_nd`.
    """

    def __init__(
        self,
        kernel: tuple,
        stride: tuple,
        dilation: tuple,
        pad: tuple,
        out: tuple,
        divisor: np.ndarray,
    ) -> None:
        self.kernel, self.stride, self.dilation, self.pad, self.out = (
            kernel, stride, dilation, pad, out)  # fmt: skip
        self.divisor = divisor

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_shape = x.shape
        xp = np.pad(x, ((0, 0), (0, 0), *self.pad))
        self.where = _slices(self.kernel, self.stride, self.dilation, self.out)
        y = sum(xp[where] for where in self.where)
        return y / self.divisor.astype(x.dtype)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        share = grad_y / self.divisor.astype(grad_y.dtype)
        padded = [n + b + e for n, (b, e) in zip(self.x_shape[2:], self.pad)]
        grad_xp = np.zeros((*self.x_shape[:2], *padded), grad_y.dtype)
        for where in self.where:
            grad_xp[where] += share
        return (_unpad(grad_xp, self.x_shape, self.pad),)


def _sides(padding, rank: int, kernel: tuple, dilation: tuple, where: str) -> tuple:
    """((begin, end), ...) per spatial axis, first axis first, from ``padding``'s forms."""
    flat = (padding,) if isinstance(padding, int | np.integer) else padding
    ok = isinstance(flat, tuple | list) and all(isinstance(v, int | np.integer) for v in flat)
    if not ok or len(flat) not in (1, rank, 2 * rank):
        raise ConfigError(
            message(
                where,
                f"padding must be an int, {rank} ints (one per axis) or {2 * rank} ints "
                "(each side, last axis first, as F.pad)",
                repr(padding),
                f"e.g. padding=1 or {(1, 0) * rank}",
            )
        )
    if len(flat) == 2 * rank:  # explicit sides (F.pad's order: last axis first)
        pairs = [(int(flat[2 * i]), int(flat[2 * i + 1])) for i in range(rank)][::-1]
    else:
        per_axis = flat * rank if len(flat) == 1 else flat
        pairs = [(int(p), int(p)) for p in per_axis]
        if any(p < 0 or 2 * p > k for p, k in zip(per_axis, kernel)):
            raise ConfigError(
                message(
                    where,
                    "padding may be at most half the kernel (a window of padding alone "
                    "has no input)",
                    f"padding={tuple(per_axis)} for kernel_size={kernel}",
                    f"0 ≤ padding ≤ {tuple(k // 2 for k in kernel)}",
                    f"pad one side more with the explicit form ({2 * rank} ints)",
                )
            )
    reach = [d * (k - 1) for k, d in zip(kernel, dilation)]
    if any(max(b, e) > r for (b, e), r in zip(pairs, reach)):
        raise ConfigError(
            message(
                where,
                "a side's padding may be at most the dilated window d·(k − 1), so every "
                "window holds an input element",
                f"padding={tuple(padding) if not isinstance(padding, int) else padding}",
                f"each side ≤ {tuple(reach)}",
            )
        )
    return tuple(pairs)


def _out_size(n: int, k: int, s: int, d: int, pad: tuple, ceil_mode: bool) -> int:
    """⌊(n + p_b + p_e − d·(k − 1) − 1) / s⌋ + 1, or ⌈·⌉ with ceil_mode less one when the
    last window would start beyond the input and its begin padding (PyTorch's and ONNX's
    rule)."""
    span = n + pad[0] + pad[1] - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    return out - 1 if (out - 1) * s >= n + pad[0] else out


def _cropped(x: Tensor, pairs: tuple, padding: Size, where: str) -> Tensor:
    """x without the rows a negative side removes (a view; x itself when none is)."""
    crop = tuple(slice(max(-b, 0), n - max(-e, 0)) for (b, e), n in zip(pairs, x.shape[2:]))
    if any(c.stop - c.start < 1 for c in crop):
        raise ShapeError(
            message(
                where,
                "the negative padding crops a whole axis away",
                f"padding={padding}",
                f"crops smaller than {fmt_shape(x.shape[2:])}",
            )
        )
    if any(b < 0 or e < 0 for b, e in pairs):
        return x[(slice(None), slice(None), *crop)]
    return x


def pool_nd_settings(
    x: Tensor,
    rank: int,
    kernel_size: Size,
    stride: Size | None,
    padding: Size,
    dilation: Size,
    ceil_mode: bool,
    where: str,
) -> tuple[Tensor, dict, tuple]:
    """(x cropped by negative padding, the op's settings, the declared padding ≥ 0): the
    settings' ``pad`` grows at the end of an axis with ceil_mode to hold the last window."""
    kernel = int_sizes(where, "kernel_size", kernel_size, rank)
    stride = kernel if stride is None else int_sizes(where, "stride", stride, rank)
    dilation = int_sizes(where, "dilation", dilation, rank)
    pairs = _sides(padding, rank, kernel, dilation, where)
    if x.ndim != rank + 2:
        raise ShapeError(
            message(
                where,
                f"input must be (N, C) and {rank} spatial axes",
                f"x.shape={fmt_shape(x.shape)}",
                f"{rank + 2} axes, e.g. {fmt_shape((8, 3) + (16,) * rank)}",
            )
        )
    x = _cropped(x, pairs, padding, where)
    declared = tuple((max(b, 0), max(e, 0)) for b, e in pairs)
    sizes = zip(x.shape[2:], kernel, stride, dilation, declared)
    out = tuple(_out_size(n, k, s, d, p, ceil_mode) for n, k, s, d, p in sizes)
    if min(out) < 1:
        raise ShapeError(
            message(
                where,
                f"the {'×'.join(map(str, kernel))} window does not fit the input",
                f"x.shape={fmt_shape(x.shape)}",
                "an input at least as large as the (dilated) window after padding",
                "use a smaller kernel_size or pool fewer times",
            )
        )
    reach = [(o - 1) * s + d * (k - 1) + 1 for o, s, d, k in zip(out, stride, dilation, kernel)]
    pad = tuple((b, max(r - n - b, e)) for r, n, (b, e) in zip(reach, x.shape[2:], declared))
    settings = {"kernel": kernel, "stride": stride, "dilation": dilation, "pad": pad, "out": out}
    return x, settings, declared


def avg_divisor_nd(
    x_shape: tuple, settings: dict, declared: tuple, include_pad: bool
) -> np.ndarray:
    """How many elements each window's mean counts, shaped like the output's spatial axes:
    per axis, the window elements o·s + k·d inside [0, n + p_b + p_e) of the padded axis
    (count_include_pad) or inside the input [p_b, p_b + n); the product over the axes.
    ceil_mode's extra padding never counts (as PyTorch and ONNX)."""
    counts = []
    for n, k, s, d, o, (b, e) in zip(x_shape[2:], settings["kernel"], settings["stride"],
                                     settings["dilation"], settings["out"], declared):  # fmt: skip
        lo, hi = (0, n + b + e) if include_pad else (b, b + n)
        at = np.arange(o)[:, None] * s + np.arange(k)[None, :] * d
        counts.append(((at >= lo) & (at < hi)).sum(axis=1))
    return reduce(np.multiply.outer, counts).astype(np.float64)


def max_pool_nd(
    x: Tensor | ArrayLike,
    rank: int,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    where: str = "max_pool_nd",
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling over the last ``rank`` axes (see :class:`MaxPoolND`); ``return_indices``
    also returns each maximum's flat row-major index into its sample-and-channel plane of
    the (uncropped) input, int64, as PyTorch's max_pool1d/2d/3d do."""
    x = as_tensor(x)
    cropped, settings, _ = pool_nd_settings(
        x, rank, kernel_size, stride, padding, dilation, ceil_mode, where
    )
    y = MaxPoolND.apply(cropped, **settings)
    if not return_indices:
        return y
    return y, Tensor(_argmax(x.shape, cropped.shape, padding, rank, settings, y.data, cropped))


def _argmax(x_shape, cropped_shape, padding, rank, settings, y, cropped) -> np.ndarray:
    """The flat spatial index (in the uncropped input) of each window's first maximum."""
    pairs = _sides(padding, rank, settings["kernel"], settings["dilation"], "max_pool_nd")
    crop = [max(-b, 0) for b, _ in pairs]
    least = -np.inf if y.dtype.kind == "f" else np.iinfo(y.dtype).min
    xp = np.pad(cropped.data, ((0, 0), (0, 0), *settings["pad"]), constant_values=least)
    index = np.full(y.shape, -1, np.int64)
    positions = itertools.product(*(range(k) for k in settings["kernel"]))
    for ks, where in zip(positions, _slices(settings["kernel"], settings["stride"],
                                            settings["dilation"], settings["out"])):  # fmt: skip
        coords = [np.arange(o) * s + k * d - b + c for o, s, k, d, (b, _), c in
                  zip(settings["out"], settings["stride"], ks, settings["dilation"],
                      settings["pad"], crop)]  # fmt: skip
        flat = np.ravel_multi_index(np.meshgrid(*coords, indexing="ij"), x_shape[2:],
                                    mode="clip")  # fmt: skip
        index = np.where((index < 0) & (xp[where] == y), flat, index)
    return index


def avg_pool_nd(
    x: Tensor | ArrayLike,
    rank: int,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    where: str = "avg_pool_nd",
) -> Tensor:
    """Average pooling over the last ``rank`` axes (see :class:`AvgPoolND`)."""
    x = as_tensor(x)
    x, settings, declared = pool_nd_settings(
        x, rank, kernel_size, stride, padding, dilation, ceil_mode, where
    )
    divisor = avg_divisor_nd(x.shape, settings, declared, count_include_pad)
    return AvgPoolND.apply(x, **settings, divisor=divisor)


def max_pool1d(
    x: Tensor | ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of a signal batch x (N, C, L) (PyTorch's F.max_pool1d arguments; padding
    also (left, right), see the module docstring)."""
    return max_pool_nd(x, 1, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices, "max_pool1d")  # fmt: skip


def max_pool3d(
    x: Tensor | ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of a volume batch x (N, C, D, H, W) (PyTorch's F.max_pool3d arguments;
    padding also six sides, last axis first)."""
    return max_pool_nd(x, 3, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices, "max_pool3d")  # fmt: skip


def avg_pool1d(
    x: Tensor | ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    dilation: Size = 1,
) -> Tensor:
    """Average pooling of a signal batch x (N, C, L) (PyTorch's F.avg_pool1d arguments, and
    ``dilation`` as ONNX's AveragePool has it)."""
    return avg_pool_nd(x, 1, kernel_size, stride, padding, dilation, ceil_mode,
                       count_include_pad, "avg_pool1d")  # fmt: skip


def avg_pool3d(
    x: Tensor | ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    dilation: Size = 1,
) -> Tensor:
    """Average pooling of a volume batch x (N, C, D, H, W) (PyTorch's F.avg_pool3d
    arguments, and ``dilation`` as ONNX's AveragePool has it)."""
    return avg_pool_nd(x, 3, kernel_size, stride, padding, dilation, ceil_mode,
                       count_include_pad, "avg_pool3d")  # fmt: skip
