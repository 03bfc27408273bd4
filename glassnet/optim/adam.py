"""Adam and AdamW: per-weight step sizes from running moments of the gradient."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from glassnet._validate import fraction, positive_number
from glassnet.optim import fused
from glassnet.optim.base import Optimizer

if TYPE_CHECKING:
    from collections.abc import Iterable

    from glassnet.nn.module import Module
    from glassnet.tensor import Tensor

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam: momentum on the gradient, divided by a running root mean square of it.

    For each parameter w with gradient g = dL/dw at step t = 1, 2, ... (m, v start at 0):

        1. g ← g + λ·w                             (only when weight_decay λ > 0: L2)
        2. m ← β₁·m + (1 − β₁)·g                   (first moment: a running mean)
        3. v ← β₂·v + (1 − β₂)·g²                  (second moment, elementwise square)
        4. m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)    (bias correction: m, v start at 0)
        5. w ← w − η·m̂ / (√v̂ + ε)

    Matches ``torch.optim.Adam`` (amsgrad off).
    Reference: Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Alg. 1.
    """

    name = "adam"
    settings = {
        "lr": positive_number,
        "beta1": fraction,
        "beta2": fraction,
        "eps": positive_number,
    }
    buffer_names = ("m", "v")
    scratch_count = 2

    def __init__(
        self,
        params: Module | Iterable[Tensor] | None = None,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        learning_rate: float | None = None,
    ) -> None:
        super().__init__(
            params,
            weight_decay,
            clipnorm,
            learning_rate,
            lr=lr,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
        )

    def update(self, i: int, w: np.ndarray, g: np.ndarray, t: int) -> None:
        """Lines 2–5 of the update rule, in place: in one pass when numba is installed
        (:mod:`glassnet.optim.fused`, the same bits), else as the NumPy passes below,
        using scratch 1 only."""
        m, v, work = self.buffers["m"][i], self.buffers["v"][i], self.scratch[i][1]
        beta1, beta2 = self.beta1, self.beta2
        if fused.adam(w, g, m, v, beta1, beta2, self.eps, self.lr, t):
            return
        m *= beta1
        np.multiply(g, 1 - beta1, out=work)
        m += work
        v *= beta2
        np.multiply(g, g, out=work)
        work *= 1 - beta2
        v += work
        np.sqrt(v, out=work)
        work *= 1 / math.sqrt(1 - beta2**t)
        work += self.eps
        np.divide(m, work, out=work)
        work *= self.lr / (1 - beta1**t)
        w -= work

    def replay_lines(self) -> list[str]:
        """:meth:`update` as lines of a captured step (see :mod:`glassnet.optim.replay`)."""
        passes = [
            "{m} *= beta1",
            "multiply({g}, 1 - beta1, out={work1})",
            "{m} += {work1}",
            "{v} *= beta2",
            "multiply({g}, {g}, out={work1})",
            "{work1} *= 1 - beta2",
            "{v} += {work1}",
            "sqrt({v}, out={work1})",
            "{work1} *= 1 / msqrt(1 - beta2**{t})",
            "{work1} += eps",
            "divide({m}, {work1}, out={work1})",
            "{work1} *= lr / (1 - beta1**{t})",
            "{w} -= {work1}",
        ]
        if not fused.available():
            return passes
        call = "if not fused_adam({w}, {g}, {m}, {v}, beta1, beta2, eps, lr, {t}):"
        return [call, *("    " + line for line in passes)]


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (the decay skips the adaptive scaling).

    For each parameter w with gradient g = dL/dw at step t = 1, 2, ... (m, v start at 0):

        1. w ← w − η·λ·w                           (decay applied to w directly)
        2. m ← β₁·m + (1 − β₁)·g
        3. v ← β₂·v + (1 − β₂)·g²
        4. m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
        5. w ← w − η·m̂ / (√v̂ + ε)

    With Adam's L2 term, large-gradient weights are barely decayed because the decay is
    divided by √v̂ too; decoupling fixes that. Matches ``torch.optim.AdamW``.
    Reference: Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", Alg. 2.
    """

    name = "adamw"
    decoupled_weight_decay = True
    default_weight_decay = 0.01
