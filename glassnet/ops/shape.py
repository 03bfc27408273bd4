"""Ops that move or copy elements without arithmetic: reshape, transpose, broadcast_to,
getitem, concatenate, stack, pad. Their backward puts each gradient back where its
element came from.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import Function


class Reshape(Function):
    """View the same elements with another shape (also expand_dims, squeeze, flatten).

    Forward:   y = x laid out as ``shape`` (row-major order unchanged)
    Backward:  dL/dx = dL/dy laid out as x's shape
    Shapes:    x (*) → y (shape), same number of elements
    """

    def forward(self, x):
        self.source = x.shape
        return x.reshape(self.shape)

    def backward(self, grad_y):
        return (grad_y.reshape(self.source),)


class Transpose(Function):
    """Permute axes (``axes=None`` reverses them; a matrix gets yᵢⱼ = xⱼᵢ).

    Forward:   y = x with axes permuted by p:  y.shape[k] = x.shape[p[k]]
    Backward:  dL/dx = dL/dy permuted by the inverse permutation p⁻¹
    Shapes:    x (*) → y (permuted *)
    """

    def forward(self, x):
        self.perm = tuple(range(x.ndim))[::-1] if self.axes is None else self.axes
        return x.transpose(self.perm)

    def backward(self, grad_y):
        inverse = sorted(range(len(self.perm)), key=self.perm.__getitem__)
        return (grad_y.transpose(inverse),)


class BroadcastTo(Function):
    """Repeat x along new leading axes and along its axes of size 1.

    Forward:   y = broadcast(x, shape)
    Backward:  dL/dx = Σ dL/dy over the repeated axes (done by the engine's unbroadcast)
    Shapes:    x (*) → y (shape)
    """

    def forward(self, x):
        return np.broadcast_to(x, self.shape)

    def backward(self, grad_y):
        return (grad_y,)


class GetItem(Function):
    """Indexing and slicing: ints, slices, integer arrays, boolean masks.

    Forward:   y = x[index]
    Backward:  dL/dx = zeros like x, with dL/dy scatter-added at x[index]
    Shapes:    x (*) → y (whatever the index selects)
    Notes:     an index that repeats an element (x[[0, 0]]) adds both gradients (np.add.at).
    """

    def forward(self, x):
        self.shape = x.shape
        return x[self.index]

    def backward(self, grad_y):
        grad = np.zeros(self.shape, dtype=grad_y.dtype)
        if self.advanced:
            np.add.at(grad, self.index, grad_y)
        else:
            grad[self.index] = grad_y
        return (grad,)


class Concatenate(Function):
    """Join tensors along an existing axis.

    Forward:   y = [x₁ | x₂ | …] along ``axis``
    Backward:  dL/dxₖ = the slice of dL/dy that xₖ occupies
    Shapes:    xₖ (..., nₖ, ...) → y (..., Σ nₖ, ...)
    """

    def forward(self, *xs):
        self.splits = np.cumsum([x.shape[self.axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=self.axis)

    def backward(self, grad_y):
        return tuple(np.split(grad_y, self.splits, axis=self.axis))


class Stack(Function):
    """Stack same-shaped tensors along a new axis.

    Forward:   y[..., k, ...] = xₖ
    Backward:  dL/dxₖ = dL/dy[..., k, ...]
    Shapes:    xₖ (*) → y (with a new axis of size K)
    """

    def forward(self, *xs):
        return np.stack(xs, axis=self.axis)

    def backward(self, grad_y):
        return tuple(np.moveaxis(grad_y, self.axis, 0))


class Pad(Function):
    """Pad with a constant value (zero by default).

    Forward:   y = x surrounded by ``pad_width`` constant elements per axis
    Backward:  dL/dx = dL/dy with the padding cut away
    Shapes:    x (*) → y (each axis grown by before + after)
    """

    def forward(self, x):
        self.inner = tuple(
            slice(before, before + n) for (before, _), n in zip(self.pad_width, x.shape)
        )
        return np.pad(x, self.pad_width, constant_values=self.value)

    def backward(self, grad_y):
        return (grad_y[self.inner],)
