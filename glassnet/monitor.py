"""Callbacks and monitored quantities: the base classes that training and schedules share.

``Callback`` is an object ``Model.fit`` calls at fixed points of its loop (see
:mod:`glassnet.training.callbacks`). ``Monitor`` is a callback that watches one logged
quantity (``"val_loss"``, ``"accuracy"``) from epoch to epoch and says when it improved.
``EarlyStopping``, ``ModelCheckpoint`` and ``ReduceLROnPlateau`` are monitors.

Which way is better is declared by the quantity itself, never guessed from its name:
every metric and loss has ``higher_is_better`` (accuracy and R² True, losses and errors
False), and with ``mode="auto"`` a monitor reads it from the model's compiled loss or
metric of that name (a ``val_`` prefix is stripped: ``val_accuracy`` is accuracy).

This module sits below :mod:`glassnet.optim` and :mod:`glassnet.training` because both
build on it (``ReduceLROnPlateau`` is a schedule and a callback); it imports neither.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from glassnet._validate import choice, non_negative_number
from glassnet.errors import ConfigError, message

if TYPE_CHECKING:
    from glassnet.nn.module import Module

__all__ = ["Callback", "Monitor", "higher_is_better"]


class Callback:
    """Base class: every hook does nothing; override the ones you need.

    ``self.model`` is the model being trained (set before training), ``self.params`` the
    run's settings: epochs, steps, samples, batch_size, verbose.
    """

    model = None
    params: dict = {}

    def set_model(self, model: Module) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called once before the first epoch."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Called before the first batch of epoch ``epoch`` (counted from 0)."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each update; ``logs`` holds the batch's ``loss`` and ``size``."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Called after each epoch; ``logs`` holds loss, metrics and validation values."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """Called once after the last epoch, also when training stopped early."""


def higher_is_better(monitor: str, model: Module | None = None) -> bool | None:
    """Whether a larger value of the logged quantity ``monitor`` is better, as declared by
    the model's loss (``"loss"``) or the compiled metric of that name (``val_`` stripped);
    None when nothing declares it."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss":
        return bool(getattr(getattr(model, "loss", None), "higher_is_better", False))
    for metric in getattr(model, "metrics", ()):
        if getattr(metric, "name", None) == name:
            return bool(getattr(metric, "higher_is_better", False))
    return None


class Monitor(Callback):
    """A callback that watches the logged quantity ``monitor`` and keeps its best value.

    Direction: ``mode`` "min" or "max", or "auto" (the default): the direction the loss
    or metric declares (see the module docstring).
    Improvement (δ = ``min_delta``, with s = +1 for "min", −1 for "max"):
        threshold_mode "abs":  s·value < s·(best − s·δ)        (Keras' min_delta)
        threshold_mode "rel":  s·value < s·best·(1 − s·δ)      (torch's threshold)
    ``best`` starts at +∞ ("min") or −∞ ("max"): the first value always improves.
    """

    def __init__(
        self, monitor: str, mode: str, min_delta: float, threshold_mode: str = "abs"
    ) -> None:
        where = type(self).__name__
        if not isinstance(monitor, str) or not monitor:
            raise ConfigError(
                message(where, "monitor must be a log key", repr(monitor), "e.g. 'val_loss'")
            )
        if mode != "auto":
            choice(where, "mode", mode, ("min", "max"))
        self.monitor, self.mode = monitor, mode
        self.min_delta = non_negative_number(where, "min_delta", min_delta)
        self.threshold_mode = choice(where, "threshold_mode", threshold_mode, ("rel", "abs"))
        self._higher: bool | None = None
        self.best: float | None = None

    def set_model(self, model: Module) -> None:
        super().set_model(model)
        self._higher = None  # read the direction from this model's loss and metrics

    def higher_is_better(self) -> bool:
        """True for mode "max"; for "auto", what the monitored loss or metric declares."""
        if self.mode != "auto":
            return self.mode == "max"
        if self._higher is None:
            declared = higher_is_better(self.monitor, self.model)
            if declared is None:
                raise ConfigError(
                    message(
                        type(self).__name__,
                        f"mode='auto' cannot tell whether {self.monitor!r} should rise or fall",
                        "no compiled loss or metric of that name",
                        "the name of a compiled metric, or mode='min' / mode='max'",
                        "metrics declare the direction in their higher_is_better attribute",
                    )
                )
            self._higher = declared
        return self._higher

    def reset(self) -> None:
        """Forget the best value (a new run starts)."""
        self.best = -math.inf if self.higher_is_better() else math.inf

    def improves(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than ``min_delta`` (see above)."""
        if self.best is None:
            self.reset()
        sign = -1 if self.higher_is_better() else 1
        if self.threshold_mode == "rel":
            bar = self.best * (1 - sign * self.min_delta)
        else:
            bar = self.best - sign * self.min_delta
        return value * sign < bar * sign

    def value(self, logs: dict | None) -> float:
        """The monitored value in this epoch's logs, or a ConfigError naming the keys."""
        logs = logs or {}
        if self.monitor not in logs:
            raise ConfigError(
                message(
                    type(self).__name__,
                    f"the monitored value {self.monitor!r} is not in the logs",
                    f"keys {sorted(logs)}",
                    "one of them",
                    "monitor a 'val_*' key only when fit gets validation data or validation_split",
                )
            )
        return float(logs[self.monitor])
