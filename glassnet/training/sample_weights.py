"""Per-row weights in ``fit``: Keras's ``sample_weight`` and ``class_weight``.

Each training row i gets a weight wᵢ ≥ 0: ``sample_weight[i]`` times
``class_weight[class of row i]`` (1 where either is not given). The batch loss is then
Keras's "sum over batch size" reduction of the per-row losses ℓᵢ::

    L = (1/m) Σᵢ wᵢ ℓᵢ          m: the rows in the batch (not Σ wᵢ)

ℓᵢ is the compiled loss with ``reduction="none"``, averaged over the row's other axes
(a row of an MSE over k outputs: (1/k) Σⱼ (aᵢⱼ − yᵢⱼ)²). With every wᵢ = 1 this is the
unweighted mean loss; ``fit`` without weights, or with every weight 1, takes the unweighted
path (its results are then bit-identical to a fit without weights). The compiled loss's
own ``reduction`` ("mean" or "sum") is not used for weighted rows: L is always the above.
The class of a row is its integer label, the argmax of a one-hot row, or the 0/1 label of
a single-output (binary) model.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

from glassnet import ops
from glassnet._config import no_grad
from glassnet.errors import ConfigError, DataError, message
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from glassnet.losses import Loss
    from glassnet.training.model import Model

__all__ = [
    "check_reduction",
    "check_supported",
    "per_row_loss",
    "row_weights",
    "weighted_loss",
]


def check_reduction(loss: object) -> None:
    """compile: a loss must give one number per batch, so reduction="none" is refused."""
    if getattr(loss, "reduction", "mean") == "none":
        raise ConfigError(
            message(
                "compile",
                "the loss has reduction='none': it gives one loss per element, not one number",
                f"{type(loss).__name__}(reduction='none')",
                "reduction 'mean' or 'sum'",
                "fit weighs rows itself: pass sample_weight= or class_weight= to fit",
            )
        )


def row_weights(
    model: Model,
    x: ArrayLike,
    y: ArrayLike,
    sample_weight: ArrayLike | None,
    class_weight: dict | None,
    first: np.ndarray,
) -> np.ndarray:
    """The weights of the rows of (x, y), checked before the first update: length, finite,
    non-negative, known classes (``first``: one prepared input row, for the output width)."""
    n = len(x)
    weights = np.ones(n, dtype=model.dtype)
    if sample_weight is not None:
        weights *= _sample_weights(sample_weight, n)
    if class_weight is not None:
        weights *= _class_weights(_width(model, first), np.asarray(y), class_weight)
    return weights


def _width(model, first: np.ndarray) -> int:
    """The model's output width, from one row in eval mode (no Dropout draw, no graph)."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            return model(first).shape[-1]
    finally:
        model.train(was_training)


def _sample_weights(sample_weight, n: int) -> np.ndarray:
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        w = None
    if w is None or w.ndim != 1 or len(w) != n:
        got = "not numbers" if w is None else f"shape {w.shape}"
        raise DataError(
            message(
                "fit",
                "sample_weight must hold one weight per row of x",
                got,
                f"shape ({n},)",
            )
        )
    _check_values("sample_weight", w)
    return w


def _check_values(name: str, w: np.ndarray) -> None:
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            message(
                "fit",
                f"{name} must be finite and non-negative",
                f"{w[i]} at position {i}",
                "weights ≥ 0",
            )
        )


def _class_weights(width: int, y: np.ndarray, class_weight) -> np.ndarray:
    classes = 2 if width == 1 else width
    if not isinstance(class_weight, dict):
        raise ConfigError(
            message(
                "fit",
                "class_weight must be a dict",
                type(class_weight).__name__,
                "{class index: weight}",
                "e.g. class_weight={0: 1.0, 1: 5.0}",
            )
        )
    table = np.ones(classes, dtype=np.float64)
    for key, value in class_weight.items():
        if (
            isinstance(key, bool)
            or not isinstance(key, int | np.integer)
            or not 0 <= key < classes
        ):
            raise ConfigError(
                message(
                    "fit",
                    "class_weight has a key that is not a class the model outputs",
                    repr(key),
                    f"an int from 0 to {classes - 1}",
                )
            )
        table[int(key)] = value
    _check_values("class_weight", table)
    return table[_labels(y, width)]


def _labels(y: np.ndarray, width: int) -> np.ndarray:
    """Each row's class: an integer label, a one-hot row's argmax, a binary 0/1 label."""
    if y.ndim == 2 and y.shape[1] > 1:
        return np.argmax(y, axis=1)
    return np.rint(y.reshape(len(y))).astype(np.int64).clip(0, max(width, 2) - 1)


def per_row_loss(loss: Loss) -> Loss:
    """The compiled loss with reduction="none" (one loss per element), for weighting."""
    if not hasattr(loss, "reduction"):
        raise ConfigError(
            message(
                "fit",
                "sample_weight and class_weight need a loss with a reduction option",
                type(loss).__name__,
                "a Loss such as 'mse' or 'cross_entropy'",
                "a plain function gives only the batch's mean: compile with a glassnet Loss",
            )
        )
    rows = copy.copy(loss)
    rows.reduction = "none"
    return rows


def weighted_loss(rows_loss: Loss, output: Tensor, y: np.ndarray, w: np.ndarray) -> Tensor:
    """L = (1/m) Σᵢ wᵢ ℓᵢ over the m rows of the batch (ℓᵢ averaged over other axes)."""
    elements = rows_loss(output, y)
    m = len(w)
    if elements.ndim > 1:
        elements = elements.reshape(m, -1).mean(axis=1)
    return ops.sum(elements * Tensor(w)) * (1.0 / m)


def check_supported(session: object | None, loader: bool) -> None:
    """Weights are rows of the arrays: not with fit(loader) nor a distributed fit."""
    if loader or session is not None:
        where = "fit(loader)" if loader else "a distributed fit"
        raise ConfigError(
            message(
                "fit",
                f"sample_weight and class_weight are not supported with {where}",
                where,
                "fit(x, y, sample_weight=..., class_weight=...) in one process",
                "pass the arrays to fit, or weigh the rows in your own loss",
            )
        )
