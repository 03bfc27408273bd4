"""Matrix multiplication, the heart of a layer's weighted sum z = x·w + b."""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassnet._fastpath import matmul_t_like
from glassnet.autograd import Function

if TYPE_CHECKING:
    import numpy as np


class MatMul(Function):
    """Matrix product with NumPy's rules for 1-D and batched (broadcast) operands.

    Forward:   y = a @ b,   yᵢⱼ = Σₖ aᵢₖ bₖⱼ
    Backward:  dL/da = dL/dy @ bᵀ,   dL/db = aᵀ @ dL/dy
    Shapes:    a (..., M, K), b (..., K, N) → y (..., M, N); a 1-D a is a row (K,),
               a 1-D b a column (K,), and that axis is dropped from y.
    Notes:     batch axes broadcast; the engine sums their gradients back.
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        a, b = self.a, self.b
        if a.ndim == 1 and b.ndim == 1:
            return grad_y * b, grad_y * a
        if a.ndim == 1:
            grad_y = grad_y[..., None, :]  # (..., 1, N): a as a row
            return (grad_y @ b.swapaxes(-1, -2))[..., 0, :], a[:, None] @ grad_y
        if b.ndim == 1:
            grad_y = grad_y[..., None]  # (..., M, 1): b as a column
            return grad_y @ b[None, :], (a.swapaxes(-1, -2) @ grad_y)[..., 0]
        need_a, need_b = self.needs_input_grad
        grad_a = grad_y @ b.swapaxes(-1, -2) if need_a else None
        grad_b = a.swapaxes(-1, -2) @ grad_y if need_b else None
        return grad_a, grad_b


class Linear(Function):
    """The weighted sum of a Dense layer as one fused op: matrix product plus bias.

    Forward:   z = x·w + b,   zₙⱼ = Σᵢ xₙᵢ wᵢⱼ + bⱼ
    Backward:  dL/dx = dL/dz·wᵀ,   dL/dw = xᵀ·dL/dz,   dL/db = Σₙ dL/dz
    Shapes:    x (N, in) or (..., in), w (in, out), b (out,) → z (N, out) or (..., out)
    Notes:     one op instead of matmul + add halves the bookkeeping per layer; leading
               axes of x are folded into N for the two GEMMs of the backward, and dL/dx
               is skipped when x needs no gradient (the input layer). Fast path: dL/dx
               comes back in x's memory layout (see glassnet._fastpath.matmul_t_like).
    """

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.x, self.w = x, w
        z = x @ w
        z += b
        return z

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        x, w = self.x, self.w
        grad_x = matmul_t_like(grad_y, w, x) if self.needs_input_grad[0] else None  # dL/dz·wᵀ
        grad_y = grad_y.reshape(-1, grad_y.shape[-1])  # leading axes folded into N
        grad_w = x.reshape(-1, x.shape[-1]).T @ grad_y
        return grad_x, grad_w, grad_y.sum(axis=0)
