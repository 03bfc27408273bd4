"""RMSprop: divide each weight's gradient by a running root mean square of that gradient."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet._validate import fraction, non_negative_number, positive_number
from glassnet.optim.base import Optimizer

if TYPE_CHECKING:
    from collections.abc import Iterable

    from glassnet.nn.module import Module
    from glassnet.tensor import Tensor

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
    settings = {
        "lr": positive_number,
        "rho": fraction,
        "eps": positive_number,
        "momentum": non_negative_number,
        "centered": lambda where, name, value: bool(value),
    }
    buffer_names = ("square_avg", "grad_avg", "velocity")
    buffer_needs = {"grad_avg": "centered", "velocity": "momentum"}
    scratch_count = 2

    def __init__(
        self,
        params: Module | Iterable[Tensor] | None = None,
        lr: float = 1e-3,
        rho: float = 0.9,
        eps: float = 1e-7,
        momentum: float = 0.0,
        centered: bool = False,
        weight_decay: float = 0.0,
        clipnorm: float | None = None,
        learning_rate: float | None = None,
    ) -> None:
        super().__init__(
            params,
            weight_decay,
            clipnorm,
            learning_rate,
            lr=lr,
            rho=rho,
            eps=eps,
            momentum=momentum,
            centered=centered,
        )

    def update(self, i: int, w: np.ndarray, g: np.ndarray, t: int) -> None:
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
