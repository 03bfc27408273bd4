"""Reductions over axes: sum, mean, max, min, var.

``axis`` is None (all axes), an int or a tuple; ``keepdims`` keeps reduced axes as size 1.
Every forward remembers the input's shape with the reduced axes kept as size 1
(``kept``); every backward lays the upstream gradient out in that shape so it
lines up with the input again, then spreads it over the reduced axes.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import Function
from glassnet.errors import check_axis


class _Reduction:
    """Bookkeeping the reduction ops share (a mixin, not an op): settings, axes, shapes."""

    def __init__(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def _prepare(self, x: np.ndarray) -> None:
        """Save the reduced axes, x's shape, its shape with those axes as 1, and n."""
        if self.axis is None:
            self.axes = tuple(range(x.ndim))
        else:
            axis = self.axis if isinstance(self.axis, tuple | list) else (self.axis,)
            self.axes = tuple(check_axis(a, x.ndim, self.name) for a in axis)
        self.shape = x.shape
        self.kept = tuple(1 if i in self.axes else s for i, s in enumerate(x.shape))
        self.n = math.prod(x.shape[a] for a in self.axes)

    def _lined_up(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dy with the reduced axes put back as size 1, so it broadcasts against x."""
        return grad_y.reshape(self.kept)

    def _spread(self, grad: np.ndarray) -> np.ndarray:
        """A full-size array of x's shape holding ``grad`` repeated over the reduced axes."""
        out = np.empty(self.shape, dtype=grad.dtype)
        out[...] = grad
        return out


class Sum(_Reduction, Function):
    """Sum over axes.

    Forward:   y = Σᵢ xᵢ   (over the reduced axes)
    Backward:  dL/dxᵢ = dL/dy   (every summed element gets the upstream gradient)
    Shapes:    x (*) → y (* without the reduced axes, or with size 1 if keepdims)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._prepare(x)
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (self._spread(self._lined_up(grad_y)),)


class Mean(_Reduction, Function):
    """Arithmetic mean over axes.

    Forward:   y = (1/n) Σᵢ xᵢ
    Backward:  dL/dxᵢ = dL/dy / n
    Shapes:    x (*) → y (reduced)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._prepare(x)
        return x.sum(axis=self.axes, keepdims=self.keepdims) / x.dtype.type(self.n)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (self._spread(self._lined_up(grad_y) / grad_y.dtype.type(self.n)),)


class Max(_Reduction, Function):
    """Maximum over axes.

    Forward:   y = maxᵢ xᵢ
    Backward:  dL/dxᵢ = dL/dy ⊙ [xᵢ = y] / (number of maximal elements)
    Shapes:    x (*) → y (reduced)
    Notes:     ties share the gradient evenly (as PyTorch's amax/amin do).
    """

    reduce = staticmethod(np.maximum.reduce)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._prepare(x)
        y = self.reduce(x, axis=self.axes, keepdims=self.keepdims)
        self.x, self.y = x, y.reshape(self.kept)
        return y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        hits = self.x == self.y
        share = self._lined_up(grad_y) / hits.sum(
            axis=self.axes, keepdims=True, dtype=grad_y.dtype
        )
        return (hits * share,)


class Min(Max):
    """Minimum over axes.

    Forward:   y = minᵢ xᵢ
    Backward:  dL/dxᵢ = dL/dy ⊙ [xᵢ = y] / (number of minimal elements)
    Shapes:    x (*) → y (reduced)
    Notes:     ties share the gradient evenly (as PyTorch's amax/amin do).
    """

    reduce = staticmethod(np.minimum.reduce)


class Var(_Reduction, Function):
    """Variance over axes, with ``ddof`` (0: population variance, 1: sample variance).

    Forward:   y = Σᵢ (xᵢ − x̄)² / (n − ddof)
    Backward:  dL/dxᵢ = dL/dy ⊙ 2 (xᵢ − x̄) / (n − ddof)
    Shapes:    x (*) → y (reduced)
    """

    def __init__(
        self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, ddof: int = 0
    ) -> None:
        super().__init__(axis, keepdims)
        self.ddof = ddof

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._prepare(x)
        mean = x.sum(axis=self.axes, keepdims=True) / x.dtype.type(self.n)
        self.centered = x - mean
        self.denominator = x.dtype.type(self.n - self.ddof)
        squares = (self.centered * self.centered).sum(axis=self.axes, keepdims=self.keepdims)
        return squares / self.denominator

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (self._lined_up(grad_y) * (2 * self.centered / self.denominator),)
