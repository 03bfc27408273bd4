"""Loss kernels: fused primitives that turn a prediction and a target into one number.

Each kernel takes the prediction as its only tensor input and the target as a setting
(``target``, an ndarray already checked and cast by :mod:`glassnet.losses`): targets
are data, not parameters, so they get no gradient. The output L is a scalar, so the
upstream gradient ``grad_y`` is one number (1 when L is the loss itself).

Fusing the pieces of a loss into one op keeps the graph small (one node instead of four)
and lets the numerically delicate pairs (softmax + log, sigmoid + log) be rewritten so
that nothing overflows.

Every kernel reduces to a scalar: ``scale`` multiplies the sum (1/n for a mean).
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import Function

__all__ = [
    "SquaredError",
    "AbsoluteError",
    "BinaryCrossEntropy",
    "SigmoidBinaryCrossEntropy",
    "SoftmaxCrossEntropy",
]


def _scalar(value, like: np.ndarray) -> np.ndarray:
    return np.asarray(value, dtype=like.dtype)


class SquaredError(Function):
    """Scaled sum of squared errors (MSE with scale 1/size, the quadratic cost with 1/(2N)).

    Forward:   L = s · Σᵢ (aᵢ − yᵢ)²,   s = 1/m for MSE (m elements), 1/(2n) for the quadratic cost
    Backward:  dL/da = grad_y · 2s (a − y)
    Shapes:    a (*), y (*) → L ()
    """

    def __init__(self, target: np.ndarray, scale: float) -> None:
        self.target, self.scale = target, scale

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.diff = a - self.target
        return _scalar(self.scale * np.vdot(self.diff, self.diff), a)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (self.diff * (2 * self.scale * grad_y),)


class AbsoluteError(Function):
    """Scaled sum of absolute errors (MAE with scale 1/size).

    Forward:   L = s · Σᵢ |aᵢ − yᵢ|
    Backward:  dL/da = grad_y · s · sign(a − y)
    Shapes:    a (*), y (*) → L ()
    Notes:     at a = y the slope 0 is used (as PyTorch's l1_loss does).
    """

    def __init__(self, target: np.ndarray, scale: float) -> None:
        self.target, self.scale = target, scale

    def forward(self, a: np.ndarray) -> np.ndarray:
        diff = a - self.target
        self.sign = np.sign(diff)
        return _scalar(self.scale * np.abs(diff).sum(), a)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (self.sign * (self.scale * grad_y),)


class BinaryCrossEntropy(Function):
    """Binary cross-entropy of probabilities p against targets y in [0, 1], averaged.

    Forward:   L = −(1/n) Σᵢ [yᵢ ln pᵢ + (1 − yᵢ) ln(1 − pᵢ)],  pᵢ clipped to [ε, 1 − ε]
    Backward:  dL/dpᵢ = grad_y · (pᵢ − yᵢ) / (pᵢ (1 − pᵢ)) / n   (with the clipped pᵢ)
    Shapes:    p (*), y (*) → L ()
    Notes:     clipping keeps ln finite when a sigmoid saturates to exactly 0 or 1; the
               gradient at a clipped point keeps the clipped formula (large, pointing the
               right way) instead of dropping to 0. Prefer from_logits=True: it never clips.
    """

    def __init__(self, target: np.ndarray, eps: float) -> None:
        self.target, self.eps = target, eps

    def forward(self, p: np.ndarray) -> np.ndarray:
        eps = self.eps
        self.p = np.clip(p, eps, 1 - eps)
        y = self.target
        total = np.vdot(y, np.log(self.p)) + np.vdot(1 - y, np.log1p(-self.p))
        return _scalar(-total / p.size, p)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        p = self.p
        return ((p - self.target) / (p * (1 - p)) * (grad_y / p.size),)


class SigmoidBinaryCrossEntropy(Function):
    """Sigmoid followed by binary cross-entropy, from logits z, averaged.

    Forward:   L = (1/n) Σᵢ [max(zᵢ, 0) − zᵢ yᵢ + ln(1 + e^(−|zᵢ|))]
    Backward:  dL/dzᵢ = grad_y · (σ(zᵢ) − yᵢ) / n
    Shapes:    z (*), y (*) → L ()
    Notes:     the forward line equals −[y ln σ(z) + (1 − y) ln(1 − σ(z))] rewritten so
               that e^(·) only sees −|z| ≤ 0: no overflow, no log of 0, even for |z| = 1e4.
    """

    def __init__(self, target: np.ndarray) -> None:
        self.target = target

    def forward(self, z: np.ndarray) -> np.ndarray:
        e = np.exp(-np.abs(z))
        self.sigma = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        total = np.maximum(z, 0).sum() - np.vdot(z, self.target) + np.log1p(e).sum()
        return _scalar(total / z.size, z)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return ((self.sigma - self.target) * (grad_y / self.sigma.size),)


class SoftmaxCrossEntropy(Function):
    """Softmax followed by cross-entropy, from logits z (N, C), averaged over the batch.

    Forward:   ln pₙ꜀ = zₙ꜀ − mₙ − ln Σⱼ e^(zₙⱼ − mₙ),   mₙ = maxⱼ zₙⱼ
               L = −(1/N) Σₙ Σ꜀ tₙ꜀ ln pₙ꜀     (integer labels: tₙ꜀ = [c = yₙ])
    Backward:  dL/dzₙ꜀ = grad_y · (pₙ꜀ Σⱼ tₙⱼ − tₙ꜀) / N   (= (p − t)/N for one-hot t)
    Shapes:    z (N, C), target: labels (N,) int in [0, C) or t (N, C) → L ()
    Notes:     the log-sum-exp shift mₙ keeps e^(·) ≤ 1, so logits of 1e4 are fine; the
               softmax is never divided by or logged directly. Integer labels index the
               log-probabilities instead of building a one-hot matrix.
    """

    def __init__(self, target: np.ndarray) -> None:
        self.target = target

    def forward(self, z: np.ndarray) -> np.ndarray:
        shifted = z - z.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        log_p = shifted - np.log(total)
        self.p = exp / total
        n = z.shape[0]
        target = self.target
        if target.ndim == 1:
            picked = log_p[np.arange(n), target].sum()
        else:
            picked = np.vdot(target, log_p)
        return _scalar(-picked / n, z)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        n = self.p.shape[0]
        target = self.target
        if target.ndim == 1:
            grad = self.p.copy()
            grad[np.arange(n), target] -= 1
        else:
            grad = self.p * target.sum(axis=1, keepdims=True) - target
        grad *= grad_y / n
        return (grad,)
