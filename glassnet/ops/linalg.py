"""Matrix multiplication, the heart of a layer's weighted sum z = x·w + b."""

from __future__ import annotations

from glassnet.autograd import Function


class MatMul(Function):
    """Matrix product with NumPy's rules for 1-D and batched (broadcast) operands.

    Forward:   y = a @ b,   yᵢⱼ = Σₖ aᵢₖ bₖⱼ
    Backward:  dL/da = dL/dy @ bᵀ,   dL/db = aᵀ @ dL/dy
    Shapes:    a (..., M, K), b (..., K, N) → y (..., M, N); a 1-D a is a row (K,),
               a 1-D b a column (K,), and that axis is dropped from y.
    Notes:     batch axes broadcast; the engine sums their gradients back.
    """

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad_y):
        a, b = self.a, self.b
        if a.ndim == 1 and b.ndim == 1:
            return grad_y * b, grad_y * a
        if a.ndim == 1:
            g = grad_y[..., None, :]  # (..., 1, N)
            return (g @ b.swapaxes(-1, -2))[..., 0, :], a[:, None] @ g
        if b.ndim == 1:
            g = grad_y[..., None]  # (..., M, 1)
            return g @ b[None, :], (a.swapaxes(-1, -2) @ g)[..., 0]
        return grad_y @ b.swapaxes(-1, -2), a.swapaxes(-1, -2) @ grad_y
