"""Learning-rate schedules: change ``optimizer.lr`` as training goes on.

Call ``schedule.step()`` once per epoch (``ReduceLROnPlateau.step(metric)`` with the
monitored value). After k calls the learning rate is the formula of the schedule at
epoch k; η₀ is the optimizer's learning rate when the schedule was made. The values
match ``torch.optim.lr_scheduler``'s.
"""

from __future__ import annotations

import math

from glassnet._validate import (
    fraction,
    int_at_least,
    non_negative_number,
    positive_int,
    positive_number,
)
from glassnet.errors import ConfigError, message
from glassnet.monitor import Monitor
from glassnet.optim.base import Optimizer

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

    def __init__(self, optimizer: Optimizer) -> None:
        self.attach(optimizer)
        self.epoch = 0

    def attach(self, optimizer: Optimizer) -> None:
        """Drive ``optimizer``; η₀ is its learning rate now."""
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

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        step_size = positive_int("StepLR", "step_size", step_size)
        gamma = positive_number("StepLR", "gamma", gamma)
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(Schedule):
    """Multiply the learning rate by γ every epoch.

    Formula:  η_k = η₀ · γᵏ
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        gamma = positive_number("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer)
        self.gamma = gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(Schedule):
    """Follow half a cosine from η₀ down to η_min over T_max epochs (then back up).

    Formula:  η_k = η_min + (η₀ − η_min) · (1 + cos(π·k / T_max)) / 2
    Reference: Loshchilov & Hutter 2017, "SGDR", eq. 5 (without restarts).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,  # noqa: N803
        eta_min: float = 0.0,
    ) -> None:
        T_max = positive_int("CosineAnnealingLR", "T_max", T_max)  # noqa: N806
        eta_min = non_negative_number("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer)
        self.T_max, self.eta_min = T_max, eta_min

    def lr_at(self, epoch: int) -> float:
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cosine


CosineAnnealing = CosineAnnealingLR


class ReduceLROnPlateau(Schedule, Monitor):
    """Multiply the learning rate by ``factor`` when a monitored value stops improving.

    Rule, at each ``step(value)`` (δ = ``threshold``; see :class:`glassnet.monitor.Monitor`):
        1. value improves on the best so far when (mode "min", threshold_mode "rel")
           value < best·(1 − δ); "abs": value < best − δ; "max" mirrors it
        2. an epoch without improvement counts as bad (none count during cooldown)
        3. after more than ``patience`` bad epochs: η ← max(η·factor, min_lr),
           then wait ``cooldown`` epochs and start counting again

    One class, two uses (the values match torch's ``ReduceLROnPlateau`` in both):

    - a schedule, as in torch: ``ReduceLROnPlateau(opt, mode="min", threshold=1e-4)``,
      then ``step(val_loss)`` once per epoch; ``threshold_mode`` defaults to "rel";
    - a callback, as in Keras: ``fit(callbacks=[ReduceLROnPlateau(monitor="val_loss",
      min_delta=1e-4)])`` drives the model's optimizer and reads ``monitor`` from the
      epoch's logs; ``min_delta`` is an absolute δ, and without an optimizer
      ``threshold_mode`` defaults to "abs". The rate in use is logged as ``lr``.
      A string first argument is read as ``monitor`` (Keras' argument order).

    ``mode="auto"`` (the default) reads the direction from the monitored loss or metric.
    """

    def __init__(
        self,
        optimizer: Optimizer | str | None = None,
        mode: str = "auto",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str | None = None,
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
        *,
        monitor: str = "val_loss",
        min_delta: float | None = None,
        verbose: int = 0,
    ) -> None:
        where = "ReduceLROnPlateau"
        if isinstance(optimizer, str):
            optimizer, monitor = None, optimizer
        if min_delta is not None:
            threshold, threshold_mode = min_delta, threshold_mode or "abs"
        threshold_mode = threshold_mode or ("abs" if optimizer is None else "rel")
        Monitor.__init__(self, monitor, mode, threshold, threshold_mode)
        self.factor = fraction(where, "factor", factor)
        if self.factor == 0:
            raise ConfigError(message(where, "factor must be in (0, 1)", "0", "0 < factor < 1"))
        self.patience = int_at_least(where, "patience", patience, 0)
        self.cooldown = int_at_least(where, "cooldown", cooldown, 0)
        self.min_lr = non_negative_number(where, "min_lr", min_lr)
        self.eps = non_negative_number(where, "eps", eps)
        self.verbose, self.optimizer, self.epoch = verbose, None, 0
        if optimizer is not None:
            self.attach(optimizer)
        self.bad_epochs = self.cooldown_left = 0

    @property
    def threshold(self) -> float:
        """δ of the improvement rule (torch's name for Keras' ``min_delta``)."""
        return self.min_delta

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

    # ---- as a callback: drive the model's optimizer with the epoch's logged value ------
    def on_train_begin(self, logs: dict | None = None) -> None:
        self.attach(self.model.optimizer)
        self.epoch, self.bad_epochs, self.cooldown_left = 0, 0, 0
        self.reset()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = {} if logs is None else logs
        logs["lr"] = before = float(self.optimizer.lr)
        after = self.step(self.value(logs))
        if self.verbose and after < before:
            print(f"Epoch {epoch + 1}: ReduceLROnPlateau lowered the learning rate to {after:.6g}")

    def state_dict(self) -> dict:
        return {
            **super().state_dict(),
            "best": self.best,
            "bad_epochs": self.bad_epochs,
            "cooldown_left": self.cooldown_left,
        }
