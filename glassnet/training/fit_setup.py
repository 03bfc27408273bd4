"""What ``Model.compile`` and ``Model.fit`` check and prepare before the training loop.

Kept apart from :mod:`glassnet.training.model` so that ``fit`` reads top to bottom as the
loop itself: the optimizer bound to the model, the data checked and cut into batches, the
rows' weights, and the random streams a seeded fit lends its Dropout layers.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet.errors import ConfigError, message
from glassnet.training import checks, habits
from glassnet.training import sample_weights as row_weights
from glassnet.training.batches import ArrayBatches, IterableBatches

if TYPE_CHECKING:
    from collections.abc import Iterator

    from glassnet.optim import Optimizer
    from glassnet.training.model import Model

__all__ = ["bound_optimizer", "fit_batches", "weigh_rows", "random_streams"]


def bound_optimizer(model: Model, optimizer: Optimizer) -> Optimizer:
    """``optimizer`` bound to the model's parameters (compile); an optimizer already bound
    elsewhere is an error."""
    own = model.parameters()
    if not optimizer.params:
        return optimizer.bind(own)
    if {id(p) for p in optimizer.params} != {id(p) for p in own}:
        raise ConfigError(
            message(
                "compile",
                "the optimizer is bound to parameters that are not this model's",
                f"{len(optimizer.params)} bound parameters",
                f"this model's {len(own)}",
                "pass an unbound optimizer (params=None); compile binds it",
            )
        )
    return optimizer


def fit_batches(
    model: Model,
    x: Any,
    y: Any,
    epochs: int,
    batch_size: int | None,
    validation_split: float,
    validation_data: Any,
    verbose: int,
) -> tuple[ArrayBatches | IterableBatches, tuple | None]:
    """Check fit's settings and data: (the batch source, validation pair or None)."""
    model._require_compiled("fit")
    checks.check_fit_settings(epochs, batch_size, validation_split, verbose)
    validation_data = habits.validation_arrays(validation_data, model.dtype)
    if y is None:  # fit(loader): a DataLoader or any iterable of (x, y) batches
        habits.check_no_split(validation_split)
        batches = IterableBatches(x, model.dtype)
        validation = validation_data
        if validation is not None:
            validation = checks.fit_arrays(*validation, 0.0, None, model.dtype)[:2]
    else:
        x, y, validation = checks.fit_arrays(x, y, validation_split, validation_data, model.dtype)
        size = len(x) if batch_size is None else min(batch_size, len(x))
        batches = ArrayBatches(x, y, size)
    if habits.build(model, batches.first()):  # Keras-form layers got weights: bind them
        model.optimizer.bind(model.parameters())
    if y is not None:  # every target against the model's output, before the first update
        checks.check_targets("fit", model, x[:size], y)
        if validation is not None:
            checks.check_targets("fit (validation)", model, validation[0][:size], validation[1])
    return batches, validation


def weigh_rows(
    model: Model,
    batches: ArrayBatches,
    session: Any,
    x: Any,
    y: Any,
    sample_weight: Any,
    class_weight: dict | None,
) -> None:
    """Give ``batches`` one weight per training row (Keras's sample/class weights); rows
    that all weigh 1 keep the unweighted path."""
    row_weights.check_supported(session, y is None)
    weights = row_weights.row_weights(model, x, y, sample_weight, class_weight, batches.first())
    weights = weights[: batches.samples]  # validation_split holds out the last rows
    batches.w = None if (weights == 1).all() else weights  # all 1: the unweighted path


@contextlib.contextmanager
def random_streams(model: Model, rng: np.random.Generator | None) -> Iterator[None]:
    """With a seeded ``rng``: every module with a random stream (Dropout) draws from a
    child stream of it for the duration of the block, then gets its own stream back,
    unadvanced. With None: the modules' own streams are used and advance."""
    owners = [
        m for m in model.modules() if isinstance(getattr(m, "rng", None), np.random.Generator)
    ]
    if rng is None or not owners:
        yield
        return
    own = [m.rng for m in owners]
    for module in owners:
        object.__setattr__(module, "rng", rng.spawn(1)[0])
    try:
        yield
    finally:
        for module, stream in zip(owners, own, strict=True):
            object.__setattr__(module, "rng", stream)
