"""Learning-rate callbacks: set the optimizer's rate each epoch, or lower it on a plateau.

Both log the rate in use as ``lr``. ``ReduceLROnPlateau`` is the one class defined in
:mod:`glassnet.optim.schedules` (a schedule that is also a callback), imported here so
that every import path finds it. Both are re-exported by
:mod:`glassnet.training.callbacks` (``gn.callbacks.LearningRateScheduler``, ...).
"""

from __future__ import annotations

import inspect
import math
from typing import TYPE_CHECKING

from glassnet._validate import is_number
from glassnet.errors import ConfigError, message
from glassnet.monitor import Callback
from glassnet.optim.schedules import ReduceLROnPlateau, Schedule

if TYPE_CHECKING:
    from collections.abc import Callable


__all__ = ["LearningRateScheduler", "ReduceLROnPlateau"]


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate each epoch from ``schedule``.

    ``schedule`` is a function ``(epoch, lr) -> new_lr`` (as in Keras) or ``(epoch) ->
    new_lr``, called at the start of each epoch (epochs count from 0), or a glassnet
    schedule bound to the model's optimizer (``gn.optim.StepLR(opt, 10)``, ...), stepped
    at the end of each epoch as in PyTorch. The rate in use is logged as ``lr``.
    """

    def __init__(self, schedule: Callable[..., float] | Schedule, verbose: int = 0) -> None:
        if not callable(schedule) and not isinstance(schedule, Schedule):
            raise ConfigError(
                message(
                    "LearningRateScheduler",
                    "schedule must be callable or a glassnet.optim schedule",
                    type(schedule).__name__,
                    "a function (epoch, lr) -> lr, or e.g. gn.optim.StepLR(optimizer, 10)",
                )
            )
        self.schedule, self.verbose = schedule, verbose
        try:
            self._arity = len(inspect.signature(schedule).parameters)
        except (TypeError, ValueError):
            self._arity = 2

    def on_train_begin(self, logs: dict | None = None) -> None:
        if (
            isinstance(self.schedule, Schedule)
            and self.schedule.optimizer is not self.model.optimizer
        ):
            raise ConfigError(
                message(
                    "LearningRateScheduler",
                    "the schedule drives another optimizer than the model's",
                    type(self.schedule.optimizer).__name__,
                    "the optimizer given to model.compile",
                    "build the schedule from the same optimizer object you compile with",
                )
            )

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if isinstance(self.schedule, Schedule):
            return
        optimizer = self.model.optimizer
        lr = self.schedule(epoch) if self._arity == 1 else self.schedule(epoch, optimizer.lr)
        if not is_number(lr) or not 0 < lr < math.inf:
            raise ConfigError(
                message(
                    "LearningRateScheduler",
                    f"the schedule returned an invalid learning rate for epoch {epoch}",
                    repr(lr),
                    "a finite float > 0",
                )
            )
        optimizer.lr = float(lr)
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {float(lr):.6g}")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["lr"] = float(self.model.optimizer.lr)
        if isinstance(self.schedule, Schedule):
            self.schedule.step()
