"""Adagrad: step sizes that shrink with the total squared gradient each weight has seen."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet._validate import non_negative_number, positive_number
from glassnet.optim.base import Optimizer

if TYPE_CHECKING:
    from collections.abc import Iterable

    from glassnet.nn.module import Module
    from glassnet.tensor import Tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: rarely-updated weights keep large steps, busy ones get small steps.

    For each parameter w with gradient g = dL/dw at step t = 1, 2, ... (s starts at s₀):

        1. g ← g + λ·w                           (only when weight_decay λ > 0)
        2. η_t = η / (1 + (t − 1)·lr_decay)
        3. s ← s + g²                            (sum of every squared gradient so far)
        4. w ← w − η_t·g / (√s + ε)

    Matches ``torch.optim.Adagrad`` (s₀ = initial_accumulator_value).
    Reference: Duchi, Hazan & Singer 2011, "Adaptive Subgradient Methods".
    """

    name = "adagrad"
    settings = {
        "lr": positive_number,
        "lr_decay": non_negative_number,
        "initial_accumulator_value": non_negative_number,
        "eps": positive_number,
    }
    buffer_names = ("sum",)
    scratch_count = 2

    def __init__(
        self,
        params: Module | Iterable[Tensor] | None = None,
        lr: float = 0.01,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        clipnorm: float | None = None,
        learning_rate: float | None = None,
    ) -> None:
        super().__init__(
            params,
            weight_decay,
            clipnorm,
            learning_rate,
            lr=lr,
            lr_decay=lr_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )

    def initial_buffer(self, name: str, w: np.ndarray) -> np.ndarray:
        return np.full_like(w, self.initial_accumulator_value)

    def update(self, i: int, w: np.ndarray, g: np.ndarray, t: int) -> None:
        s, work = self.buffers["sum"][i], self.scratch[i][1]
        np.multiply(g, g, out=work)
        s += work
        np.sqrt(s, out=work)
        work += self.eps
        np.divide(g, work, out=work)
        work *= self.lr / (1 + (t - 1) * self.lr_decay)
        w -= work
