"""``Model.fit`` across processes: what changes when ``fit`` runs on every rank of an MPI job.

``fit`` calls into this module at four points, and nowhere else:

1. at the start, :func:`session_for` checks that every rank built the same model, gives
   every rank rank 0's weights, buffers and optimizer state, and one shuffling seed;
2. each epoch, :meth:`Session.train_epoch` walks the shuffled order in global batches of
   size·B rows, rank r training on its part (see :mod:`glassnet.distributed.sampler`);
3. after each backward pass, ``Model.train_step`` calls :meth:`Session.reduce`: one
   Allreduce makes the gradients and the loss those of the whole global batch, so every
   rank applies the identical update (and skips it together when the loss is not finite);
4. the callbacks are :meth:`Session.callbacks`: progress bars, CSV logs and checkpoints
   run on rank 0 only, and after every batch and epoch rank 0's ``stop_training`` is
   broadcast, so EarlyStopping (or any callback) stops every rank at the same step.

Epoch metrics and validation scores are computed on the rows of all ranks (gathered at
the end of the epoch), so every rank logs the numbers one process would.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from glassnet._config import no_grad
from glassnet.distributed import batchnorm, collectives, runtime, sampler
from glassnet.errors import ConfigError, message
from glassnet.training.callbacks import Callback, CSVLogger, ModelCheckpoint
from glassnet.training.progress import ProgressBar

if TYPE_CHECKING:
    from typing import Any

    from glassnet.nn.module import Module

__all__ = ["Session", "session_for", "RANK_ZERO_ONLY"]

RANK_ZERO_ONLY = (ProgressBar, CSVLogger, ModelCheckpoint)  # they print or write files


def session_for(
    model: Module, distributed: bool | None, seed: int | np.random.Generator | None
) -> Session | None:
    """None when this fit runs alone; else a started :class:`Session`.

    ``distributed``: True, False, or None (True when ``gn.distributed.init()`` ran in a
    job of more than one process).
    """
    if distributed is None:
        distributed = runtime.is_initialized() and runtime.size() > 1
    if distributed not in (True, False):
        raise ConfigError(
            message("fit", "distributed must be True, False or None", repr(distributed), "a bool")
        )
    if not distributed:
        return None
    if not runtime.is_initialized():
        raise ConfigError(
            message(
                "fit",
                "distributed=True needs an MPI job, but gn.distributed.init() was not called",
                hint="call gn.distributed.init() at the top of the script and launch it with "
                "mpirun -n 2 python train.py",
            )
        )
    return Session(model, seed)


class Session:
    """One distributed ``fit`` call: the reducer, the common seed, the rank's settings."""

    def __init__(self, model: Module, seed: int | np.random.Generator | None) -> None:
        if runtime.sync_batchnorm_enabled():
            batchnorm.convert_sync_batchnorm(model)
        collectives.broadcast_parameters(model, "fit (distributed)")
        collectives.broadcast_optimizer_state(model.optimizer)
        self.model, self.rank, self.size = model, runtime.rank(), runtime.size()
        self.seed = collectives.common_seed(seed)
        self.reducer = collectives.GradientReducer(model.optimizer.params)
        self.streams_split = False

    def steps(self, n: int, batch_size: int) -> int:
        """Updates per epoch: one per global batch of size·batch_size rows."""
        return math.ceil(n / (batch_size * self.size))

    def callbacks(self, callbacks: list) -> list:
        """This rank's callbacks: writers on rank 0 only, then the stop-flag agreement."""
        if self.rank != 0:
            callbacks = [c for c in callbacks if not _rank_zero_only(c)]
        return [*callbacks, _AgreeToStop(self.reducer)]

    def reduce(self, loss: float, count: int) -> float:
        """The global batch's loss; every parameter's grad becomes the global gradient."""
        value, _ = self.reducer.reduce(loss, count)
        return value

    def train_epoch(
        self,
        x: np.ndarray,
        y: np.ndarray,
        order: np.ndarray | None,
        size: int,
        hooks: Any,
        validation: tuple | None,
    ) -> tuple[dict, int]:
        """One epoch on this rank's share of every global batch; returns (logs, rows seen)."""
        model = self.model
        order = np.arange(len(x)) if order is None else order
        self.split_random_streams()
        outputs, mine, loss_sum, seen = [], [], 0.0, 0
        object.__setattr__(model, "_distributed", self)
        try:
            for step, (rows, total) in enumerate(
                sampler.global_batches(order, size, self.rank, self.size)
            ):
                batchnorm.set_share(len(rows) / total)
                with np.errstate(divide="ignore", invalid="ignore"):  # a rank with no rows
                    loss, output = model.train_step(x.take(rows, axis=0), y.take(rows, axis=0))
                outputs.append(output)
                mine.append(rows)
                seen, loss_sum = seen + total, loss_sum + loss * total
                hooks.on_batch_end(step, {"loss": loss, "size": total})
                if model.stop_training:
                    break
        finally:
            object.__setattr__(model, "_distributed", None)
            batchnorm.set_share(None)
        return self.epoch_logs(loss_sum / seen, y, mine, outputs, validation), seen

    def split_random_streams(self) -> None:
        """Give each rank its own Dropout streams, once per fit (after fit seeded them).

        With one seed everywhere, every rank would draw the same masks for its rows; the
        streams ``default_rng([seed, rank, k])`` stay reproducible from the seed.
        """
        if self.streams_split:
            return
        streams = [
            m
            for m in self.model.modules()
            if isinstance(getattr(m, "rng", None), np.random.Generator)
        ]
        for k, module in enumerate(streams):
            object.__setattr__(module, "rng", np.random.default_rng([self.seed, self.rank, k]))
        self.streams_split = True

    def epoch_logs(
        self, loss: float, y: np.ndarray, mine: list, outputs: list, validation: tuple | None
    ) -> dict:
        """The epoch's loss, metrics on the rows of every rank, and validation scores."""
        y_all, output = collectives.gather_rows(
            y.take(np.concatenate(mine), axis=0), np.concatenate(outputs)
        )
        logs = {"loss": loss, **self.model._scores(y_all, output)}
        if validation is not None:
            scores = self.evaluate(*validation)
            logs.update({f"val_{key}": value for key, value in scores.items()})
        return logs

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """Model.evaluate with each rank predicting its share of the rows."""
        rows = sampler.shard_rows(len(x), self.rank, self.size)
        (output,) = collectives.gather_rows(self.model.predict(x[rows]))
        with no_grad():
            loss = float(self.model.loss(output, y).item())
        return {"loss": loss, **self.model._scores(y, output)}


def _rank_zero_only(callback) -> bool:
    """A callback runs on rank 0 only when it says so (``rank_zero_only = True``) or when it
    prints or writes files (progress bars, CSV logs, checkpoints)."""
    return bool(getattr(callback, "rank_zero_only", isinstance(callback, RANK_ZERO_ONLY)))


class _AgreeToStop(Callback):
    """Last callback of a distributed fit: every rank takes rank 0's ``stop_training``.

    At the end it leaves ``history.allreduce`` on the model's History: ``calls`` (one per
    step), ``seconds`` spent inside them (waiting for slower ranks included) and ``bytes``
    each rank sends into every call.
    """

    def __init__(self, reducer):
        self.reducer = reducer

    def on_train_end(self, logs=None):
        reducer = self.reducer
        stats = {"calls": reducer.calls, "seconds": reducer.seconds, "bytes": reducer.nbytes}
        self.model.history.allreduce = stats

    def on_batch_end(self, batch, logs=None):
        self.model.stop_training = collectives.agree(self.model.stop_training)

    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = collectives.agree(self.model.stop_training)
