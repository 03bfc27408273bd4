"""What a model computes for given rows, behind ``Model.predict``, ``Model.evaluate`` and the
scores ``fit`` logs each epoch:

- :func:`predict`: the outputs, in batches, in eval mode (Dropout off), with no graph;
- :func:`evaluate`: the loss L = loss(outputs, y) over all the rows, and each metric;
- :func:`epoch_logs`: an epoch's mean loss and metrics on the rows it trained on, then
  ``val_*`` scores from :func:`evaluate`.

Each takes the model first; ``Model``'s methods delegate here, so a subclass that overrides
``predict`` (a functional model packs its inputs first) is still the one ``evaluate`` calls.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from glassnet._config import no_grad
from glassnet._validate import positive_int
from glassnet.errors import ConfigError, message
from glassnet.training import checks

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from glassnet.training.batches import EpochRun
    from glassnet.training.model import Model

__all__ = ["epoch_logs", "evaluate", "predict", "scores"]


def predict(model: Model, x: ArrayLike, batch_size: int, verbose: int) -> np.ndarray:
    """``Model.predict``: the outputs for x (its ``preprocessing`` applied first), computed
    in batches of ``batch_size`` rows in eval mode with no graph; the mode is restored after."""
    positive_int("predict", "batch_size", batch_size)
    if verbose not in (0, 1, 2):
        raise ConfigError(
            message("predict", "verbose must be 0, 1 or 2", repr(verbose), "0, 1 or 2")
        )
    x = checks.as_inputs("predict", x, model.dtype)
    if model.preprocessing is not None:
        x = model.preprocessing.transform(x).astype(model.dtype, copy=False)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            starts = range(0, len(x), batch_size) if len(x) else [0]  # no rows: (0, outputs)
            began = time.perf_counter()
            forward = model._captured.get("predict") or model._outputs
            parts = [forward(x[i : i + batch_size]) for i in starts]
    finally:
        model.train(was_training)
    if verbose:
        seconds = time.perf_counter() - began
        print(f"predict: {len(x)} rows in {len(parts)} batches, {seconds:.2f}s")
    return np.concatenate(parts)


def evaluate(model: Model, x: ArrayLike, y: ArrayLike, batch_size: int) -> dict[str, float]:
    """``Model.evaluate``: ``{"loss": ..., <metric>: ...}`` over all of (x, y), the outputs
    from ``model.predict`` (in eval mode)."""
    model._require_compiled("evaluate")
    x = checks.as_inputs("evaluate", x, model.dtype)
    y = checks.as_targets("evaluate", y, model.dtype)
    checks.check_pair("evaluate", x, y)
    output = model.predict(x, batch_size)
    with no_grad():
        loss = float(model.loss(output, y).item())
    return {"loss": loss, **scores(model, y, output)}


def scores(model: Model, y: np.ndarray, output: np.ndarray) -> dict[str, float]:
    """Each compiled metric of the outputs against the targets, by the metric's name."""
    return {metric.name: float(metric(y, output)) for metric in model.metrics}


def epoch_logs(model: Model, run: EpochRun, validation: tuple | None) -> dict:
    """The epoch's loss and metrics on the rows it trained on, then ``val_*`` scores."""
    trained = run.trained()
    logs = {"loss": run.loss_sum / run.seen, **scores(model, trained, run.outputs())}
    if validation is not None:
        found = model.evaluate(*validation)
        logs.update({f"val_{key}": value for key, value in found.items()})
    return logs
