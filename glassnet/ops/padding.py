"""Padding in every mode PyTorch's ``F.pad`` has, and negative widths (cropping).

Each padded axis gets an index map: output position k reads input element ``src[k]``
(or the constant when ``src[k] = −1``). The modes differ only in that map, built by
``np.pad`` on ``arange(n)``: for n = 4 and two elements each side,

    constant    −1 −1 | 0 1 2 3 | −1 −1
    reflect      2  1 | 0 1 2 3 |  2  1      (mirror, the edge not repeated)
    replicate    0  0 | 0 1 2 3 |  3  3      (the edge repeated)
    circular     2  3 | 0 1 2 3 |  0  1      (wrap around)

A negative width removes elements from that side instead. Forward gathers along each
axis; backward scatter-adds the gradient back through the same maps, so an input element
read twice (reflect, replicate, circular) receives both gradients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.autograd import Function
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.ops.shape import Pad
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike


__all__ = ["PadIndexed", "pad", "MODES"]

MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


class PadIndexed(Function):
    """Pad (or crop) by index maps: reflect, replicate, circular or negative widths.

    Forward:   y[…, k, …] = x[…, src[k], …] along each padded axis (the constant where
               src[k] = −1)
    Backward:  dL/dx[…, i, …] = Σ_{k: src[k] = i} dL/dy[…, k, …]   (scatter-add per axis)
    Shapes:    x (*) → y (each axis grown by before + after; negative widths shrink it)
    Notes:     settings ``maps``: one src array per axis (None: the axis is unchanged)
               and ``value``, the constant.
    """

    def __init__(self, maps: tuple, value: float = 0.0) -> None:
        self.maps, self.value = maps, value

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_shape, y = x.shape, x
        for axis, src in enumerate(self.maps):
            if src is not None:
                y = np.take(y, np.maximum(src, 0), axis=axis)
                if (src < 0).any():
                    fill = [slice(None)] * y.ndim
                    fill[axis] = src < 0
                    y[tuple(fill)] = self.value
        return y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        grad = grad_y
        for axis in reversed(range(len(self.maps))):
            src = self.maps[axis]
            if src is None:
                continue
            kept = np.flatnonzero(src >= 0)  # output positions that read an input element
            shape = list(grad.shape)
            shape[axis] = self.x_shape[axis]
            total = np.zeros(shape, grad.dtype)
            moved = np.moveaxis(total, axis, 0)  # a view: add.at writes into total
            np.add.at(moved, src[kept], np.moveaxis(np.take(grad, kept, axis=axis), axis, 0))
            grad = total
        return (grad,)


def pad(
    x: Tensor | ArrayLike,
    pad_width: int | Sequence[int] | Sequence[Sequence[int]],
    value: float = 0.0,
    mode: str = "constant",
) -> Tensor:
    """Pad x: ``pad_width`` is an int, a (before, after) pair or one pair per axis (NumPy's
    order, first axis first; PyTorch's ``F.pad`` lists the LAST axis first). A negative
    width crops that side. ``mode``: 'constant' (``value``), 'reflect', 'replicate' or
    'circular', as in PyTorch.
    """
    x = as_tensor(x)
    if mode not in MODES:
        raise ConfigError(
            message("pad", f"unknown mode {mode!r}", repr(mode), f"one of {list(MODES)}")
        )
    widths = _widths(pad_width, x.shape)
    if mode == "constant" and all(a >= 0 and b >= 0 for a, b in widths):
        return Pad.apply(x, pad_width=widths, value=value)
    maps = tuple(_index_map(n, w, mode) for n, w in zip(x.shape, widths))
    return PadIndexed.apply(x, maps=maps, value=value)


def _widths(pad_width, shape: tuple) -> tuple:
    """One (before, after) pair of ints per axis; a crop may not remove a whole axis."""
    if type(pad_width) is int and pad_width >= 0:  # the common case, without NumPy
        return ((pad_width, pad_width),) * len(shape)
    widths = np.asarray(pad_width)
    ok = widths.dtype.kind in "iu" and widths.ndim <= 2
    ok = ok and (widths.shape[-1:] in ((), (2,), (1,)) if widths.ndim else True)
    if ok:
        try:
            widths = np.broadcast_to(widths, (len(shape), 2))
        except ValueError:
            ok = False
    if not ok or any(n + a + b < 0 for n, (a, b) in zip(shape, widths.tolist())):
        raise ShapeError(
            message(
                "pad",
                "pad_width must give integer widths (before, after) per axis, and a crop "
                "(negative width) may not remove more than the axis holds",
                f"pad_width={pad_width!r} for x.shape={fmt_shape(shape)}",
                f"an int, a (before, after) pair, or {len(shape)} such pairs",
            )
        )
    return tuple(map(tuple, widths.tolist()))


def _index_map(n: int, width: tuple[int, int], mode: str):
    """src for one axis: crop first (negative widths), then pad by ``mode``; None if unchanged."""
    before, after = width
    if before == after == 0:
        return None
    if mode != "constant" and min(width) < 0:
        raise ConfigError(
            message(
                "pad",
                f"mode={mode!r} pads only; negative widths (crops) need mode='constant'",
                f"widths {width}",
                "widths ≥ 0",
                "crop with slicing first, e.g. x[:, :, 1:-1]",
            )
        )
    limit = n - 1 if mode == "reflect" else n
    if max(width) > limit:
        raise ShapeError(
            message(
                "pad",
                f"mode={mode!r} can add at most {limit} elements per side to an axis of {n}",
                f"widths {width}",
                f"widths ≤ {limit}",
            )
        )
    src = np.arange(n)[max(-before, 0) : n - max(-after, 0)]
    if mode == "constant":
        return np.pad(src, (max(before, 0), max(after, 0)), constant_values=-1)
    return np.pad(src, (before, after), mode=MODES[mode])
