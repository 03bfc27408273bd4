"""Elementwise arithmetic: + − × ÷ **, neg, exp, log, sqrt, abs, maximum, minimum, clip, where.

Binary ops broadcast like NumPy; their backward returns gradients in the broadcast shape
and the engine sums them back to each input's shape (``autograd.unbroadcast``).
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import Function


class Add(Function):
    """Elementwise sum.

    Forward:   y = a + b
    Backward:  dL/da = dL/dy,  dL/db = dL/dy
    Shapes:    a (*), b (*) broadcastable → y (broadcast shape)
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return grad_y, grad_y


class Sub(Function):
    """Elementwise difference.

    Forward:   y = a − b
    Backward:  dL/da = dL/dy,  dL/db = −dL/dy
    Shapes:    a (*), b (*) broadcastable → y (broadcast shape)
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return grad_y, -grad_y


class Mul(Function):
    """Elementwise product.

    Forward:   y = a ⊙ b
    Backward:  dL/da = dL/dy ⊙ b,  dL/db = dL/dy ⊙ a
    Shapes:    a (*), b (*) broadcastable → y (broadcast shape)
    Notes:     a gradient no input needs is not computed (a dropout mask's, say).
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return a * b

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        need_a, need_b = self.needs_input_grad
        return grad_y * self.b if need_a else None, grad_y * self.a if need_b else None


class Div(Function):
    """Elementwise quotient.

    Forward:   y = a / b
    Backward:  dL/da = dL/dy / b,  dL/db = −dL/dy ⊙ a / b² = −dL/dy ⊙ y / b
    Shapes:    a (*), b (*) broadcastable → y (broadcast shape)
    Notes:     b must be non-zero.
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.b = b
        self.y = a / b
        return self.y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        grad_a = grad_y / self.b
        return grad_a, -grad_a * self.y


def _power(x: np.ndarray, p) -> np.ndarray:
    """xᵖ. NumPy's power kernel costs ~50 ns an element for any p but −1, 0, ½, 1 and 2, so
    whole exponents 3 … 8 are computed as products (x³ = x·x·x), 20× faster on small x."""
    if type(p) is int and 2 < p <= 8:
        y = x * x
        for _ in range(p - 2):
            y *= x
        return y
    return x**p


class PowScalar(Function):
    """Power with a constant exponent p.

    Forward:   y = xᵖ
    Backward:  dL/dx = dL/dy ⊙ p·xᵖ⁻¹
    Shapes:    x (*) → y (*)
    Notes:     for non-integer p, x must be positive. p = 0 has slope 0 everywhere, also at
               x = 0 where p·xᵖ⁻¹ would read 0·∞ (as PyTorch does).
    """

    def __init__(self, p: float) -> None:
        self.p = p

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return _power(x, self.p)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        if self.p == 0:
            return (np.zeros_like(grad_y),)
        return (grad_y * (self.p * _power(self.x, self.p - 1)),)


class Pow(Function):
    """Power with a tensor exponent.

    Forward:   y = aᵇ
    Backward:  dL/da = dL/dy ⊙ b·aᵇ⁻¹,  dL/db = dL/dy ⊙ y·ln a
    Shapes:    a (*), b (*) broadcastable → y (broadcast shape)
    Notes:     a must be positive for the gradient with respect to b to exist. Where the
               formulas read 0·∞ (only at a = 0) the limits PyTorch uses are taken:
               dL/da = 0 where b = 0, and dL/db = 0 where b ≥ 0 (y·ln a = 0·(−∞)).
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        self.y = a**b
        return self.y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        a, b = self.a, self.b
        need_a, need_b = self.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_a = grad_y * b * a ** (b - 1) if need_a else None
            grad_b = grad_y * self.y * np.log(a) if need_b else None
        if np.count_nonzero(a) == a.size:  # no 0·∞ anywhere (half the cost of a.all())
            return grad_a, grad_b
        zero = a == 0
        if need_a:
            grad_a = np.where(zero & (b == 0), 0, grad_a)
        if need_b:
            grad_b = np.where(zero & (b >= 0), 0, grad_b)
        return grad_a, grad_b


class Neg(Function):
    """Negation.

    Forward:   y = −x
    Backward:  dL/dx = −dL/dy
    Shapes:    x (*) → y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        return -x

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (-grad_y,)


class Exp(Function):
    """Exponential.

    Forward:   y = eˣ
    Backward:  dL/dx = dL/dy ⊙ y      (the slope of eˣ is eˣ itself)
    Shapes:    x (*) → y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.exp(x)
        return self.y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y * self.y,)


class Log(Function):
    """Natural logarithm.

    Forward:   y = ln x
    Backward:  dL/dx = dL/dy / x
    Shapes:    x (*) → y (*)
    Notes:     x must be positive.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.log(x)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y / self.x,)


class Sqrt(Function):
    """Square root.

    Forward:   y = √x
    Backward:  dL/dx = dL/dy / (2y)
    Shapes:    x (*) → y (*)
    Notes:     x must be positive for a finite slope.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.sqrt(x)
        return self.y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y / (2 * self.y),)


class Abs(Function):
    """Absolute value.

    Forward:   y = |x|
    Backward:  dL/dx = dL/dy ⊙ sign(x)
    Shapes:    x (*) → y (*)
    Notes:     kink at 0, where sign(0) = 0 is used (as PyTorch does).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.abs(x)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y * np.sign(self.x),)


def _tie_share(wins, ties, dtype):
    """1 where the first input wins, ½ on a tie, 0 where it loses."""
    return np.where(ties, 0.5, wins).astype(dtype, copy=False)


class Maximum(Function):
    """Elementwise maximum of two tensors.

    Forward:   y = max(a, b)
    Backward:  dL/da = dL/dy ⊙ [a > b] + ½ dL/dy ⊙ [a = b],  dL/db likewise with [b > a]
    Shapes:    a (*), b (*) broadcastable → y (broadcast shape)
    Notes:     a tie splits the gradient evenly between a and b (as PyTorch does).
    """

    pick, wins = staticmethod(np.maximum), staticmethod(np.greater)

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.share = _tie_share(self.wins(a, b), a == b, np.result_type(a, b))
        return self.pick(a, b)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        grad_a = (grad_y * self.share).astype(grad_y.dtype, copy=False)
        return grad_a, grad_y - grad_a


class Minimum(Maximum):
    """Elementwise minimum of two tensors.

    Forward:   y = min(a, b)
    Backward:  dL/da = dL/dy ⊙ [a < b] + ½ dL/dy ⊙ [a = b],  dL/db likewise with [b < a]
    Shapes:    a (*), b (*) broadcastable → y (broadcast shape)
    Notes:     a tie splits the gradient evenly between a and b (as PyTorch does).
    """

    pick, wins = staticmethod(np.minimum), staticmethod(np.less)


class Clip(Function):
    """Clamp every element into [low, high] (either bound may be None).

    Forward:   y = min(max(x, low), high)
    Backward:  dL/dx = dL/dy ⊙ [low ≤ x ≤ high]
    Shapes:    x (*) → y (*)
    Notes:     at a bound the gradient passes (as PyTorch's clamp does).
    """

    def __init__(self, low: float | None = None, high: float | None = None) -> None:
        self.low, self.high = low, high

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = np.ones(x.shape, dtype=bool)
        if self.low is not None:
            self.mask &= x >= self.low
        if self.high is not None:
            self.mask &= x <= self.high
        return np.clip(x, self.low, self.high)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y * self.mask,)


class Where(Function):
    """Pick from a where a condition holds, else from b.

    Forward:   y = a if condition else b     (condition is a constant boolean array)
    Backward:  dL/da = dL/dy ⊙ [condition],  dL/db = dL/dy ⊙ [not condition]
    Shapes:    condition, a, b broadcastable → y (broadcast shape)
    """

    def __init__(self, condition: np.ndarray) -> None:
        self.condition = condition

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(self.condition, a, b)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        zero = np.zeros((), dtype=grad_y.dtype)
        return np.where(self.condition, grad_y, zero), np.where(self.condition, zero, grad_y)


class Cast(Function):
    """Change the dtype.

    Forward:   y = x as dtype
    Backward:  dL/dx = dL/dy as x's dtype
    Shapes:    x (*) → y (*)
    """

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.source = x.dtype
        return x.astype(self.dtype)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y.astype(self.source),)
