"""Learning-rate schedules: change ``optimizer.lr`` as training goes on.

Call ``schedule.step()`` once per epoch (``ReduceLROnPlateau.step(metric)`` with the
monitored value). After k calls the learning rate is the formula of the schedule at
epoch k; η₀ is the optimizer's learning rate when the schedule was made. The values
match ``torch.optim.lr_scheduler``'s.
"""

from __future__ import annotations

import math

from glassnet.errors import ConfigError, message
from glassnet.optim.base import Optimizer, check_fraction, check_non_negative, check_positive

__all__ = [
    "Schedule",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CosineAnnealing",
    "ReduceLROnPlateau",
]


class Schedule:
    """Base class: ``lr_at(k)`` is the learning rate after k calls to ``step()``."""

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            raise ConfigError(
                message(
                    type(self).__name__,
                    "the first argument must be an optimizer",
                    type(optimizer).__name__,
                    "a glassnet.optim.Optimizer",
                )
            )
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def lr_at(self, epoch: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must define lr_at")

    def step(self) -> float:
        """Advance one epoch and set ``optimizer.lr``; returns the new learning rate."""
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr

    @property
    def lr(self) -> float:
        return self.optimizer.lr

    def state_dict(self) -> dict:
        """Plain numbers: everything that changes while training (the settings are in code)."""
        return {"epoch": self.epoch, "base_lr": self.base_lr}

    def load_state_dict(self, state: dict) -> None:
        for key, value in state.items():
            setattr(self, key, value)


class StepLR(Schedule):
    """Multiply the learning rate by γ every ``step_size`` epochs.

    Formula:  η_k = η₀ · γ^⌊k / step_size⌋
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        if type(step_size) is not int or step_size < 1:
            raise ConfigError(
                message("StepLR", "step_size must be a positive int", repr(step_size), "≥ 1")
            )
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, check_positive("StepLR", "gamma", gamma)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(Schedule):
    """Multiply the learning rate by γ every epoch.

    Formula:  η_k = η₀ · γᵏ
    """

    def __init__(self, optimizer: Optimizer, gamma: float):
        super().__init__(optimizer)
        self.gamma = check_positive("ExponentialLR", "gamma", gamma)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(Schedule):
    """Follow half a cosine from η₀ down to η_min over T_max epochs (then back up).

    Formula:  η_k = η_min + (η₀ − η_min) · (1 + cos(π·k / T_max)) / 2
    Reference: Loshchilov & Hutter 2017, "SGDR", eq. 5 (without restarts).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):  # noqa: N803
        if type(T_max) is not int or T_max < 1:
            raise ConfigError(
                message("CosineAnnealingLR", "T_max must be a positive int", repr(T_max), "≥ 1")
            )
        super().__init__(optimizer)
        self.T_max = T_max
        self.eta_min = check_non_negative("CosineAnnealingLR", "eta_min", eta_min)

    def lr_at(self, epoch: int) -> float:
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cosine


CosineAnnealing = CosineAnnealingLR


class ReduceLROnPlateau(Schedule):
    """Multiply the learning rate by ``factor`` when a monitored value stops improving.

    Rule, at each ``step(value)``:
        1. value improves on the best so far when (mode "min", threshold_mode "rel")
           value < best·(1 − threshold); "abs": value < best − threshold; "max" mirrors it
        2. an epoch without improvement counts as bad (none count during cooldown)
        3. after more than ``patience`` bad epochs: η ← max(η·factor, min_lr),
           then wait ``cooldown`` epochs and start counting again
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ):
        where = "ReduceLROnPlateau"
        for name, value, allowed in (
            ("mode", mode, ("min", "max")),
            ("threshold_mode", threshold_mode, ("rel", "abs")),
        ):
            if value not in allowed:
                raise ConfigError(
                    message(where, f"unknown {name}", repr(value), " or ".join(map(repr, allowed)))
                )
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if type(value) is not int or value < 0:
                raise ConfigError(
                    message(where, f"{name} must be an int ≥ 0", repr(value), "0, 1, 2, ...")
                )
        super().__init__(optimizer)
        self.mode, self.threshold_mode = mode, threshold_mode
        self.factor = check_fraction(where, "factor", factor)
        if self.factor == 0:
            raise ConfigError(message(where, "factor must be in (0, 1)", "0", "0 < factor < 1"))
        self.patience, self.cooldown = patience, cooldown
        self.threshold = check_non_negative(where, "threshold", threshold)
        self.min_lr = check_non_negative(where, "min_lr", min_lr)
        self.eps = check_non_negative(where, "eps", eps)
        self.best = math.inf if mode == "min" else -math.inf
        self.bad_epochs = 0
        self.cooldown_left = 0

    def improves(self, value: float) -> bool:
        """Line 1 of the rule."""
        sign = 1 if self.mode == "min" else -1
        if self.threshold_mode == "rel":
            bar = self.best * (1 - sign * self.threshold)
        else:
            bar = self.best - sign * self.threshold
        return value * sign < bar * sign

    def step(self, value: float) -> float:  # type: ignore[override]
        """Record this epoch's monitored ``value``; returns the (maybe reduced) learning rate."""
        value = float(value)
        self.epoch += 1
        if self.improves(value):
            self.best, self.bad_epochs = value, 0
        else:
            self.bad_epochs += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad_epochs = 0
        if self.bad_epochs > self.patience:
            new_lr = max(self.optimizer.lr * self.factor, self.min_lr)
            if self.optimizer.lr - new_lr > self.eps:
                self.optimizer.lr = new_lr
            self.cooldown_left, self.bad_epochs = self.cooldown, 0
        return self.optimizer.lr

    def state_dict(self) -> dict:
        return {
            **super().state_dict(),
            "best": self.best,
            "bad_epochs": self.bad_epochs,
            "cooldown_left": self.cooldown_left,
        }
