"""Callbacks: small objects that ``Model.fit`` calls at fixed points of the training loop.

The loop calls, in this order::

    on_train_begin(logs)
    for each epoch:   on_epoch_begin(epoch, logs)
        for each batch:   (forward, backward, update)   on_batch_end(batch, logs)
                      on_epoch_end(epoch, logs)        # logs: loss, metrics, val_*
    on_train_end(logs)

A callback reads ``self.model`` (set before training) and may set
``self.model.stop_training = True`` to end training after the current batch or epoch.
``self.params`` holds the run's settings: epochs, steps, samples, batch_size, verbose.
``Callback`` and ``Monitor`` (the base of the callbacks that watch one logged quantity:
EarlyStopping, ModelCheckpoint, ReduceLROnPlateau) are defined in :mod:`glassnet.monitor`.

``LearningRateScheduler`` lives in :mod:`glassnet.training.lr_callbacks`;
``ReduceLROnPlateau`` is the one class of :mod:`glassnet.optim.schedules` (a schedule that
is also a callback). Both are re-exported here.
"""

from __future__ import annotations

import csv
import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from glassnet._files import write_bytes
from glassnet._validate import int_at_least
from glassnet.errors import ConfigError, message
from glassnet.monitor import Callback, Monitor
from glassnet.optim.schedules import ReduceLROnPlateau
from glassnet.training.divergence import divergence
from glassnet.training.liveplot import LivePlot
from glassnet.training.lr_callbacks import LearningRateScheduler

if TYPE_CHECKING:
    from collections.abc import Iterable
    from os import PathLike

    from glassnet.nn.module import Module

__all__ = [
    "Callback",
    "CallbackList",
    "Monitor",
    "EarlyStopping",
    "ModelCheckpoint",
    "CSVLogger",
    "LearningRateScheduler",
    "ReduceLROnPlateau",
    "NaNGuard",
    "TerminateOnNaN",
    "DivergenceWarning",
    "LivePlot",
]


class DivergenceWarning(RuntimeWarning):
    """Training stopped because it diverged (see :mod:`glassnet.training.divergence`)."""


class CallbackList(Callback):
    """Forwards every hook to each callback in order."""

    def __init__(self, callbacks: Iterable[Callback], model: Module, params: dict) -> None:
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise ConfigError(
                    message(
                        "fit",
                        "every callback must be a glassnet Callback",
                        type(callback).__name__,
                        "an instance of gn.callbacks.Callback",
                        "subclass gn.callbacks.Callback and override the hooks you need",
                    )
                )
            callback.set_model(model)
            callback.set_params(params)

    def on_train_begin(self, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_train_end(logs)


def weights_are_finite(model: Module) -> bool:
    """True when no parameter holds NaN or ±inf."""
    return all(np.isfinite(p.data).all() for p in model.parameters())


class EarlyStopping(Monitor):
    """Stop after ``patience`` epochs in a row without an improvement larger than ``min_delta``.

    An epoch improves when current < best − min_delta (mode 'min') or
    current > best + min_delta (mode 'max'); 'auto' reads the direction from the
    monitored loss or metric (see :class:`glassnet.monitor.Monitor`).
    As in Keras, ``patience=0`` and ``patience=1`` both stop at the first epoch that
    does not improve; ``patience=k`` stops at the k-th such epoch in a row.
    ``baseline`` (Keras): an epoch resets the count only when it also beats the baseline,
    so a run that never reaches it stops after ``patience`` epochs. ``start_from_epoch``:
    the first epochs (a warm-up) are not watched at all.
    With ``restore_best_weights`` the weights of the best epoch are put back when
    training ends, whether it stopped early or ran all its epochs.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
        baseline: float | None = None,
        start_from_epoch: int = 0,
    ) -> None:
        self.patience = int_at_least("EarlyStopping", "patience", patience, 0)
        self.start_from_epoch = int_at_least(
            "EarlyStopping", "start_from_epoch", start_from_epoch, 0
        )
        if baseline is not None and not isinstance(baseline, int | float):
            raise ConfigError(
                message("EarlyStopping", "baseline must be a number", repr(baseline), "a float")
            )
        super().__init__(monitor, mode, min_delta)
        self.restore_best_weights, self.baseline = restore_best_weights, baseline

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.reset()
        self.wait, self.best_epoch = 0, None
        self.stopped_epoch, self.best_weights = None, None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch < self.start_from_epoch:
            return
        current = self.value(logs)
        if self.improves(current):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            if self._beats_baseline(current):
                self.wait = 0
                return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def _beats_baseline(self, current: float) -> bool:
        if self.baseline is None:
            return True
        sign = -1 if self.higher_is_better() else 1
        return current * sign < self.baseline * sign

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Monitor):
    """Save the model after each epoch (``save_best_only``: only when ``monitor`` improves).

    ``path`` may contain ``{epoch}`` and log keys, e.g. ``"ckpt-{epoch:02d}-{val_loss:.3f}.gn"``.
    ``save_weights_only``: write only the weights, as a ``.npz`` of ``model.state_dict()``
    (read back with ``model.load_state_dict(dict(np.load(path)))``). ``save_freq``:
    ``"epoch"``, or a number of batches k: save every k batches (counted across epochs),
    judged on the batch's logs. Weights holding NaN or inf are never written: a good
    checkpoint is never replaced by a diverged model (a ``DivergenceWarning`` says so
    instead). The best value is kept across ``fit`` calls, as in Keras.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
        save_weights_only: bool = False,
        save_freq: str | int = "epoch",
    ) -> None:
        if save_freq != "epoch":
            save_freq = int_at_least("ModelCheckpoint", "save_freq", save_freq, 1)
        super().__init__(monitor, mode, 0.0)
        self.path, self.save_best_only = str(path), save_best_only
        self.save_weights_only, self.save_freq = bool(save_weights_only), save_freq
        self._epoch, self._batches = 0, 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._batches += 1
        if self.save_freq != "epoch" and self._batches % self.save_freq == 0:
            self._save(self._epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, logs)

    def _save(self, epoch: int, logs) -> None:
        logs = logs or {}
        if self.save_best_only:
            current = self.value(logs)
            if not self.improves(current):
                return
        if not weights_are_finite(self.model) or not math.isfinite(logs.get("loss", 0.0)):
            warnings.warn(
                f"ModelCheckpoint: epoch {epoch + 1} has non-finite weights or loss; "
                f"the file {self.path!r} was not overwritten.",
                DivergenceWarning,
                stacklevel=3,
            )
            return
        if self.save_best_only:
            self.best = current
        path = self.path.format(epoch=epoch + 1, **logs)
        if self.save_weights_only:
            with open(path, "wb") as file:  # np.savez would append ".npz" to a bare name
                np.savez(file, **self.model.state_dict())
        else:
            self.model.save(path)


class CSVLogger(Callback):
    """Write one row per epoch (epoch, loss, metrics, val_*) to a CSV file.

    The file is opened for each row and closed again, so every finished epoch is on disk
    and nothing is left open when training stops early or raises.
    """

    def __init__(
        self, path: str | PathLike[str], separator: str = ",", append: bool = False
    ) -> None:
        self.path, self.separator, self.append = str(path), separator, append
        self._fields: list[str] | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        if not self.append:
            write_bytes(self.path, b"")  # start empty (creating the folder if needed)
        self._fields = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        row = {"epoch": epoch, **(logs or {})}
        with open(self.path, "a", newline="") as file:
            if self._fields is None:
                self._fields = list(row)
                header = file.tell() == 0
            else:
                header = False
            writer = csv.DictWriter(
                file, fieldnames=self._fields, delimiter=self.separator, extrasaction="ignore"
            )
            if header:
                writer.writeheader()
            writer.writerow(row)


class NaNGuard(Callback):
    """Stop training as soon as it has diverged, and say why.

    Diverged is defined once, in :mod:`glassnet.training.divergence`: a NaN or infinite
    loss at any batch, or an epoch loss above 100× the starting loss (the first batch's)
    for 2 epochs in a row. ``Model.fit`` always installs one. Either way gradient descent
    overshot the minimum by more than the last step each time, so the weights grew until
    the loss exploded; the usual cure is a smaller learning rate. ``message`` keeps the
    explanation (it becomes ``history.diverged``); it is also issued as a
    DivergenceWarning.
    """

    def __init__(self) -> None:
        self.message, self.epoch, self.start, self.losses = None, 0, None, []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.message, self.start, self.losses = None, None, []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = logs["loss"]
        if self.start is None:
            self.start = loss  # before any update: the untrained model's cost
        if not math.isfinite(loss):
            where = f"{self.epoch + 1}, batch {batch + 1} of {self.params.get('steps', '?')}"
            self._stop(f"the loss became {loss} at epoch {where}")

    def on_batches_end(self, first: int, losses: list[float], sizes: list[int]) -> None:
        """``on_batch_end`` for several batches at once (fit's quick epoch loop, which
        stops at the first non-finite loss: only the last can be one)."""
        if losses and self.start is None:
            self.start = losses[0]
        if losses and not math.isfinite(losses[-1]):
            self.on_batch_end(first + len(losses) - 1, {"loss": losses[-1], "size": sizes[-1]})

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.message is not None or "loss" not in (logs or {}):
            return
        self.losses.append(float(logs["loss"]))
        found = divergence(self.losses, self.start)
        if found is not None:
            self._stop(found.describe())

    def _stop(self, finding: str) -> None:
        lr = getattr(self.model.optimizer, "lr", None)
        advice = f"try lr={lr / 10:g}" if lr else "try a smaller learning rate"
        self.message = message(
            "fit",
            f"training diverged: {finding}, so training stopped",
            hint=f"the learning rate (lr={lr}) is probably too large: each step overshoots "
            f"the minimum and the weights blow up; {advice}. Unscaled inputs (pixels "
            "0-255 instead of 0-1) have the same effect.",
        )
        self.model.stop_training = True
        warnings.warn(self.message, DivergenceWarning, stacklevel=3)


class TerminateOnNaN(NaNGuard):
    """Keras's name for the NaN guard: stop at the first batch whose loss is NaN or ±inf.

    ``fit`` always installs a :class:`NaNGuard`, so passing this one changes nothing but
    states the intent, as Keras code does.
    """
