"""``fit``'s two per-batch loops: the plain one, and the quick one when nothing else needs a
batch.

The plain loop (:func:`plain_epoch`) calls ``train_step`` and then every callback's
``on_batch_end`` after each batch. When no callback does anything a later batch could
notice (the NaN guard, the History, a progress display that draws nothing per batch, and
callbacks that keep ``Callback.on_batch_end``), the batches' hooks can run in order after
the last one instead (:func:`quick_epoch`): the epoch's batches of one shape then go
through the captured program's compiled loop in one call (``CapturedStep.loop``; a batch
of another shape, or a step not captured yet, is one call of the step). A NaN or infinite
loss ends the loop at once, as the NaN guard would; the hooks then see every batch up to that one
(``on_batches_end``: the same sums in the same order), so the History, the progress sums
and ``stop_training`` end exactly as in the plain loop
(``tests/training/test_capture_codegen.py``).
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np

from glassnet.monitor import Callback
from glassnet.training.batches import ArrayBatches, EpochRun, IterableBatches
from glassnet.training.callbacks import CallbackList, NaNGuard
from glassnet.training.history import History
from glassnet.training.progress import ProgressBar

if TYPE_CHECKING:
    from glassnet.training.model import Model

__all__ = ["quick", "quick_epoch", "plain_epoch"]


def quick(model: Model, batches: ArrayBatches | IterableBatches, hooks: CallbackList) -> bool:
    """True when this epoch may run through :func:`quick_epoch` (call after on_epoch_begin:
    a progress display exists from then on; ``fit`` checks that ``train_step`` is
    Model's own, which the loop stands in for)."""
    if model._distributed is not None:
        return False
    if isinstance(batches, ArrayBatches) and batches.w is not None:
        return False
    return all(_silent(callback) for callback in hooks.callbacks)


def _silent(callback: Callback) -> bool:
    """True when the callback's on_batch_end may wait for the epoch's last batch."""
    if type(callback) in (NaNGuard, History):
        return True
    if type(callback) is ProgressBar:
        return callback._bar is None and callback._cell is None
    return type(callback).on_batch_end is Callback.on_batch_end


def plain_epoch(
    model: Model,
    batches: ArrayBatches | IterableBatches,
    order: np.ndarray | None,
    hooks: CallbackList,
) -> EpochRun:
    """One epoch: each batch's ``train_step``, then every callback's ``on_batch_end``;
    a callback that sets ``model.stop_training`` ends it after that batch."""
    run = EpochRun()
    for step, (xb, yb, *wb) in enumerate(batches.epoch(order)):
        loss, output = model.train_step(xb, yb, *wb)
        run.add(loss, output, yb)
        hooks.on_batch_end(step, {"loss": loss, "size": len(output)})
        if model.stop_training:
            break
    return run


def quick_epoch(
    model: Model,
    batches: ArrayBatches | IterableBatches,
    order: np.ndarray | None,
    hooks: CallbackList,
) -> EpochRun:
    """One epoch: each batch's step, then the batches' hooks in order (see the module).

    Where the captured step has a loop for a run of batches of one shape (every batch but
    the last, once the step is recorded), that run is one call of the loop. The loop is
    asked for again only after the step recorded (a program can only appear then), so a
    step without one pays nothing per batch."""
    captured = model._captured.get("train")
    step = captured.call if captured is not None else lambda args, quiet: model._fused_step(*args)
    results, targets = [], []
    pairs = _pairs(batches, order, targets)
    asked = -1  # the step's recordings when its loop was last asked for
    with np.errstate(over="ignore", invalid="ignore"):  # as train_step: the guard explains
        for args in pairs:
            run = None
            if captured is not None and captured.recordings != asked:  # a new program?
                asked, run = captured.recordings, captured.loop(args)
            if run is not None:
                args = run(itertools.chain((args,), pairs), results.append)
                if args is None:
                    break  # the batches ran out, or a NaN loss stopped the loop
            results.append(step(args, True))
            if not math.isfinite(float(results[-1][0].item())):
                break  # the NaN guard stops training at this batch
    losses = [float(loss.item()) for loss, _ in results]
    outputs = [output for _, output in results]
    run = EpochRun()
    run.add_all(losses, outputs, targets[: len(results)])
    sizes = [len(output) for output in outputs]
    for callback in hooks.callbacks:  # each _silent: a batch hook of its own, or none
        if type(callback) in (NaNGuard, History, ProgressBar):
            callback.on_batches_end(0, losses, sizes)
    return run


def _pairs(batches: ArrayBatches | IterableBatches, order: np.ndarray | None, targets: list):
    """The (x, y) batches of the epoch, each y appended to ``targets`` as it is cut:
    unshuffled rows of arrays as plain slices, the same ones ``batches.epoch`` cuts;
    anything else from ``batches.epoch``."""
    if order is not None or type(batches) is not ArrayBatches or batches.w is not None:
        for xb, yb, *_ in batches.epoch(order):
            targets.append(yb)
            yield xb, yb
        return
    x, y, size = batches.x, batches.y, batches.size
    for s in range(0, batches.samples, size):
        yb = y[s : s + size]
        targets.append(yb)
        yield x[s : s + size], yb
