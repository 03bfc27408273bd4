"""Stochastic gradient descent, with optional momentum, Nesterov momentum and L2 decay."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet._validate import non_negative_number, positive_number
from glassnet.errors import ConfigError, message
from glassnet.optim.base import Optimizer

if TYPE_CHECKING:
    from collections.abc import Iterable

    from glassnet.nn.module import Module
    from glassnet.tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent: step every weight a little way downhill, against its gradient.

    For each parameter w with gradient g = dL/dw at step t = 1, 2, ...:

        1. g ← g + λ·w                      (only when weight_decay λ > 0)
        2. v ← μ·v + g                      (only when momentum μ > 0; v starts at 0)
        3. d ← g + μ·v  if nesterov,  v  if μ > 0,  g  otherwise
        4. w ← w − η·d                      (η = lr)

    With μ = 0 this is the seeds' rule w ← w − η·∂C/∂w. Fed a full batch it is gradient
    descent, fed one example it is stochastic gradient descent, fed k it is mini-batch.
    Matches ``torch.optim.SGD`` (dampening 0).
    Reference: Sutskever et al. 2013, "On the importance of initialization and momentum".
    """

    name = "sgd"
    settings = {
        "lr": positive_number,
        "momentum": non_negative_number,
        "nesterov": lambda where, name, value: bool(value),
    }
    buffer_names = ("velocity",)
    buffer_needs = {"velocity": "momentum"}

    def __init__(
        self,
        params: Module | Iterable[Tensor] | None = None,
        lr: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
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
            momentum=momentum,
            nesterov=nesterov,
        )

    def check_settings(self, settings: dict) -> None:
        if settings["nesterov"] and settings["momentum"] == 0:
            raise ConfigError(
                message(
                    "SGD",
                    "nesterov=True needs momentum",
                    "momentum=0",
                    "momentum > 0",
                    "e.g. SGD(lr=0.01, momentum=0.9, nesterov=True)",
                )
            )

    def update(self, i: int, w: np.ndarray, g: np.ndarray, t: int) -> None:
        work = self.scratch[i][0]  # g may live here too (coupled decay): used in place
        if not self.momentum:
            np.multiply(g, self.lr, out=work)
            w -= work
            return
        v = self.buffers["velocity"][i]
        v *= self.momentum
        v += g
        if self.nesterov:
            np.multiply(g, self.lr, out=work)  # w ← w − η·g − η·μ·v
            w -= work
            np.multiply(v, self.lr * self.momentum, out=work)
        else:
            np.multiply(v, self.lr, out=work)
        w -= work

    def replay_lines(self) -> list[str]:
        """:meth:`update` as lines of a captured step (see :mod:`glassnet.optim.replay`):
        the same NumPy calls on ``{w}``, ``{g}``, ``{velocity}`` and ``{work0}``."""
        if not self.momentum:
            return ["multiply({g}, lr, out={work0})", "{w} -= {work0}"]
        lines = ["{velocity} *= momentum", "{velocity} += {g}"]
        if self.nesterov:
            lines += ["multiply({g}, lr, out={work0})", "{w} -= {work0}"]
            lines.append("multiply({velocity}, lr * momentum, out={work0})")
        else:
            lines.append("multiply({velocity}, lr, out={work0})")
        return [*lines, "{w} -= {work0}"]

    def replay_key(self) -> tuple:
        return bool(self.momentum), bool(self.nesterov)
