"""RMSprop: divide each weight's gradient by a running root mean square of that gradient."""

from __future__ import annotations

import numpy as np

from glassnet.optim.base import Optimizer, check_fraction, check_non_negative, check_positive

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: steps of similar size for every weight, however steep its slope.

    For each parameter w with gradient g = dL/dw at step t = 1, 2, ... (s, ḡ, b start at 0):

        1. g ← g + λ·w                           (only when weight_decay λ > 0)
        2. s ← ρ·s + (1 − ρ)·g²                  (running mean of squared gradients)
        3. ḡ ← ρ·ḡ + (1 − ρ)·g                   (only when centered)
        4. r = √(s − ḡ²) + ε  if centered,  √s + ε  otherwise
        5. b ← μ·b + g / r                       (only when momentum μ > 0)
        6. w ← w − η·b  if μ > 0,  w − η·g / r  otherwise

    Defaults follow Keras (η = 1e-3, ρ = 0.9, ε = 1e-7); the update follows
    ``torch.optim.RMSprop`` (whose ``alpha`` is ρ), so both give the same numbers.
    Reference: Tieleman & Hinton 2012, Coursera lecture 6.5.
    """

    name = "rmsprop"
    hyperparameter_names = ("lr", "rho", "eps", "momentum", "centered", "weight_decay")
    scratch_count = 2

    def __init__(
        self,
        params=None,
        lr: float = 1e-3,
        rho: float = 0.9,
        eps: float = 1e-7,
        momentum: float = 0.0,
        centered: bool = False,
        weight_decay: float = 0.0,
        clipnorm: float | None = None,
    ):
        self.lr = check_positive("RMSprop", "lr", lr)
        self.rho = check_fraction("RMSprop", "rho", rho)
        self.eps = check_positive("RMSprop", "eps", eps)
        self.momentum = check_non_negative("RMSprop", "momentum", momentum)
        self.weight_decay = check_non_negative("RMSprop", "weight_decay", weight_decay)
        self.centered = bool(centered)
        super().__init__(params, clipnorm)

    @property
    def buffer_names(self) -> tuple[str, ...]:
        names = ("square_avg",)
        if self.centered:
            names += ("grad_avg",)
        return names + (("velocity",) if self.momentum else ())

    def update(self, i: int, w: np.ndarray, grad_w: np.ndarray, t: int) -> None:
        g = self.l2_gradient(i, w, grad_w)
        s, work, rho = self.buffers["square_avg"][i], self.scratch[i][1], self.rho
        s *= rho
        np.multiply(g, g, out=work)
        work *= 1 - rho
        s += work
        if self.centered:
            mean = self.buffers["grad_avg"][i]
            mean *= rho
            np.multiply(g, 1 - rho, out=work)
            mean += work
            np.multiply(mean, mean, out=work)
            np.subtract(s, work, out=work)
            np.sqrt(work, out=work)
        else:
            np.sqrt(s, out=work)
        work += self.eps
        np.divide(g, work, out=work)
        if self.momentum:
            b = self.buffers["velocity"][i]
            b *= self.momentum
            b += work
            np.multiply(b, self.lr, out=work)
        else:
            work *= self.lr
        w -= work
