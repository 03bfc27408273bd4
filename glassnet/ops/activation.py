"""Activation functions: the nonlinearity a neuron applies to its weighted sum z.

Each backward is written from a value saved in forward, so nothing is recomputed:
sigmoid and tanh from their output y, ReLU from a mask.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import Function


class Identity(Function):
    """The identity (a linear output, as in regression).

    Forward:   y = x
    Backward:  dL/dx = dL/dy
    Shapes:    x (*) → y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y,)


class ReLU(Function):
    """Rectified linear unit.

    Forward:   y = max(0, x)
    Backward:  dL/dx = dL/dy ⊙ [x > 0]
    Shapes:    x (*) → y (*)
    Notes:     kink at 0, where the slope 0 is used (as PyTorch does). max, not x·[x > 0]:
               that product would turn x = −∞ into 0·(−∞) = NaN. The mask is [y ≠ 0], so a
               NaN passes its gradient on, as in PyTorch ([x ≤ 0] is false for NaN).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.maximum(x, x.dtype.type(0))
        self.mask = y != 0
        return y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y * self.mask,)


class LeakyReLU(Function):
    """Leaky ReLU with slope α for negative inputs.

    Forward:   y = x if x > 0 else α·x
    Backward:  dL/dx = dL/dy ⊙ (1 if x > 0 else α)
    Shapes:    x (*) → y (*)
    Notes:     kink at 0, where the slope α is used (as PyTorch does).
    """

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = alpha

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.slope = np.where(x > 0, x.dtype.type(1), x.dtype.type(self.alpha))
        return x * self.slope

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y * self.slope,)


class Sigmoid(Function):
    """Logistic sigmoid σ, squashing any z into (0, 1).

    Forward:   y = σ(x) = 1 / (1 + e⁻ˣ)
    Backward:  dL/dx = dL/dy ⊙ y(1 − y)
    Shapes:    x (*) → y (*)
    Notes:     for x below about −88 (float32) e⁻ˣ overflows to +∞ and 1/(1 + ∞) = 0, the
               correctly rounded σ(x); that overflow is expected, so it raises no warning.
               No subtraction anywhere, so small σ(x) keep their full relative precision.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            e = np.negative(x, out=np.empty_like(x))  # out= keeps a 0-d input an array
            np.exp(e, out=e)
        e += 1
        self.y = np.reciprocal(e, out=e)
        return self.y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y * (self.y * (1 - self.y)),)


class Tanh(Function):
    """Hyperbolic tangent, squashing any z into (−1, 1).

    Forward:   y = tanh(x)
    Backward:  dL/dx = dL/dy ⊙ (1 − y²)
    Shapes:    x (*) → y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y * (1 - self.y * self.y),)


class Softplus(Function):
    """Softplus, a smooth ReLU; β sharpens the bend (β → ∞ gives ReLU).

    Forward:   y = (1/β) ln(1 + e^(βx)) = max(x, 0) + (1/β) ln(1 + e^(−β|x|))
    Backward:  dL/dx = dL/dy ⊙ σ(βx)
    Shapes:    x (*) → y (*)
    Notes:     setting ``beta`` (> 0, default 1). The right-hand form never overflows
               (PyTorch switches to y = x above βx > 20 instead; the two differ by
               less than e^(−20)/β).
    """

    def __init__(self, beta: float = 1.0) -> None:
        self.beta = beta

    def forward(self, x: np.ndarray) -> np.ndarray:
        bx = x * x.dtype.type(self.beta) if self.beta != 1 else x
        e = np.exp(-np.abs(bx))
        self.slope = np.where(bx >= 0, 1 / (1 + e), e / (1 + e))
        soft = np.log1p(e) if self.beta == 1 else np.log1p(e) / x.dtype.type(self.beta)
        return np.maximum(x, 0) + soft

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y * self.slope,)


class Softmax(Function):
    """Softmax along an axis: turns scores into probabilities that sum to 1.

    Forward:   yᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m),   m = maxⱼ xⱼ
    Backward:  dL/dxᵢ = yᵢ (dL/dyᵢ − Σⱼ dL/dyⱼ yⱼ)
    Shapes:    x (*) → y (*)
    Notes:     subtracting m changes nothing mathematically and keeps e^(·) ≤ 1, so
               logits of 1e4 do not overflow.
    """

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        self.y = e / e.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        y = self.y
        return (y * (grad_y - (grad_y * y).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """Log of the softmax along an axis, computed without forming the softmax.

    Forward:   yᵢ = xᵢ − m − ln Σⱼ e^(xⱼ − m),   m = maxⱼ xⱼ
    Backward:  dL/dxᵢ = dL/dyᵢ − softmax(x)ᵢ Σⱼ dL/dyⱼ
    Shapes:    x (*) → y (*)
    Notes:     stable for logits of 1e4; the building block of cross-entropy.
    """

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: np.ndarray) -> np.ndarray:
        shifted = x - x.max(axis=self.axis, keepdims=True)
        self.y = shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        return self.y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        total = grad_y.sum(axis=self.axis, keepdims=True)
        return (grad_y - np.exp(self.y) * total,)
