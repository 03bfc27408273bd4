"""Reductions over axes: sum, mean, max, min, var.

``axis`` is None (all axes), an int or a tuple; ``keepdims`` keeps reduced axes as size 1.
Every backward first re-inserts the reduced axes (``_expand``) so that the upstream
gradient broadcasts against the input again.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import Function
from glassnet.errors import check_axis


def _axes(axis, ndim: int, where: str) -> tuple[int, ...]:
    """The reduced axes as non-negative ints (all axes when ``axis`` is None)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int | np.integer):
        axis = (axis,)
    return tuple(check_axis(a, ndim, where) for a in axis)


def _expand(grad_y: np.ndarray, axes: tuple, keepdims: bool) -> np.ndarray:
    """Put the reduced axes back as size 1 so grad_y broadcasts to the input shape."""
    return grad_y if keepdims else np.expand_dims(grad_y, axes)


def _count(shape: tuple, axes: tuple) -> int:
    n = 1
    for a in axes:
        n *= shape[a]
    return n


class Sum(Function):
    """Sum over axes.

    Forward:   y = Σᵢ xᵢ   (over the reduced axes)
    Backward:  dL/dxᵢ = dL/dy   (every summed element gets the upstream gradient)
    Shapes:    x (*) → y (* without the reduced axes, or with size 1 if keepdims)
    """

    def forward(self, x):
        self.shape, self.axes = x.shape, _axes(self.axis, x.ndim, self.name)
        return np.sum(x, axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad_y):
        return (np.broadcast_to(_expand(grad_y, self.axes, self.keepdims), self.shape),)


class Mean(Function):
    """Arithmetic mean over axes.

    Forward:   y = (1/n) Σᵢ xᵢ
    Backward:  dL/dxᵢ = dL/dy / n
    Shapes:    x (*) → y (reduced)
    """

    def forward(self, x):
        self.shape, self.axes = x.shape, _axes(self.axis, x.ndim, self.name)
        self.n = _count(x.shape, self.axes)
        return np.mean(x, axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad_y):
        grad = _expand(grad_y, self.axes, self.keepdims) / grad_y.dtype.type(self.n)
        return (np.broadcast_to(grad, self.shape),)


class Max(Function):
    """Maximum over axes.

    Forward:   y = maxᵢ xᵢ
    Backward:  dL/dxᵢ = dL/dy ⊙ [xᵢ = y] / (number of maximal elements)
    Shapes:    x (*) → y (reduced)
    Notes:     ties share the gradient evenly (as PyTorch's amax/amin do).
    """

    reduce = staticmethod(np.max)

    def forward(self, x):
        self.axes = _axes(self.axis, x.ndim, self.name)
        y = self.reduce(x, axis=self.axes, keepdims=True)
        hits = x == y
        self.route = hits / np.sum(hits, axis=self.axes, keepdims=True).astype(x.dtype)
        return y if self.keepdims else np.squeeze(y, axis=self.axes)

    def backward(self, grad_y):
        return (_expand(grad_y, self.axes, self.keepdims) * self.route,)


class Min(Max):
    """Minimum over axes.

    Forward:   y = minᵢ xᵢ
    Backward:  dL/dxᵢ = dL/dy ⊙ [xᵢ = y] / (number of minimal elements)
    Shapes:    x (*) → y (reduced)
    Notes:     ties share the gradient evenly (as PyTorch's amax/amin do).
    """

    reduce = staticmethod(np.min)


class Var(Function):
    """Variance over axes, with ``ddof`` (0: population variance, 1: sample variance).

    Forward:   y = Σᵢ (xᵢ − x̄)² / (n − ddof)
    Backward:  dL/dxᵢ = dL/dy ⊙ 2 (xᵢ − x̄) / (n − ddof)
    Shapes:    x (*) → y (reduced)
    """

    def forward(self, x):
        self.axes = _axes(self.axis, x.ndim, self.name)
        self.centered = x - np.mean(x, axis=self.axes, keepdims=True)
        self.denominator = x.dtype.type(_count(x.shape, self.axes) - self.ddof)
        squares = np.sum(self.centered**2, axis=self.axes, keepdims=self.keepdims)
        return squares / self.denominator

    def backward(self, grad_y):
        grad = _expand(grad_y, self.axes, self.keepdims)
        return (grad * (2 * self.centered / self.denominator),)
