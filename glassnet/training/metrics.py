"""Metrics: numbers that say how good predictions are, computed on plain arrays (no graph).

Every metric is a callable ``metric(y_true, y_pred) -> float`` with a ``name`` used as its
key in logs and History (``"accuracy"``, ``"val_accuracy"``) and ``higher_is_better``, the
direction callbacks such as EarlyStopping read in mode "auto" (True for accuracy and R²,
False for the errors; a user's function may set it, else False). ``get(name)`` turns the
strings accepted by ``Model.compile(metrics=[...])`` into metrics.

Accuracy reads the kind of task from the shapes, as Keras does:

- y_pred (N, C) with C > 1 and integer labels y_true (N,): sparse categorical,
  correct when argmax_c y_pred[n, c] = y_true[n];
- y_pred (N, C) and one-hot y_true (N, C): categorical, argmax against argmax;
- y_pred (N,) or (N, 1): binary, correct when [y_pred > threshold] = y_true.

Argmax is unchanged by softmax, so logits and probabilities give the same accuracy.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from glassnet._validate import positive_int
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from numpy.typing import ArrayLike

__all__ = [
    "get_all",
    "Accuracy",
    "TopKAccuracy",
    "accuracy",
    "mae",
    "mse",
    "rmse",
    "r2",
    "get",
]


class Accuracy:
    """Fraction of correct predictions; binary, categorical or sparse (see module docstring).

    ``threshold`` separates the two classes of a binary output: 0.5 for probabilities,
    0.0 for logits (``Model.compile`` picks 0.0 for ``BinaryCrossEntropy(from_logits=True)``).
    """

    name = "accuracy"
    higher_is_better = True

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = float(threshold)

    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike) -> float:
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        _check_rows("accuracy", y_true, y_pred)
        if y_pred.ndim == 2 and y_pred.shape[1] > 1:
            labels = _class_labels("accuracy", y_true, y_pred)
            return float(np.mean(y_pred.argmax(axis=1) == labels))
        predicted = y_pred.reshape(len(y_pred), -1) > self.threshold
        if y_true.size != predicted.size:
            raise ShapeError(
                message(
                    "accuracy",
                    "a binary output needs one 0/1 label per sample",
                    f"y_true.shape={fmt_shape(y_true.shape)} for y_pred.shape="
                    f"{fmt_shape(y_pred.shape)}",
                    f"({len(y_pred)},) labels",
                    "one-hot labels need one output unit per class",
                )
            )
        return float(np.mean(predicted == (y_true.reshape(predicted.shape) > 0.5)))


class TopKAccuracy:
    """Fraction of samples whose true class is among the k highest-scoring classes."""

    higher_is_better = True

    def __init__(self, k: int = 5) -> None:
        self.k = positive_int("TopKAccuracy", "k", k)
        self.name = f"top_{k}_accuracy"

    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike) -> float:
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        _check_rows(self.name, y_true, y_pred)
        if y_pred.ndim != 2 or y_pred.shape[1] < self.k:
            raise ShapeError(
                message(
                    self.name,
                    f"needs scores for at least k={self.k} classes",
                    f"y_pred.shape={fmt_shape(y_pred.shape)}",
                    f"(N, C) with C ≥ {self.k}",
                )
            )
        labels = _class_labels(self.name, y_true, y_pred)
        top = np.argpartition(-y_pred, self.k - 1, axis=1)[:, : self.k]
        return float(np.mean(np.any(top == labels[:, None], axis=1)))


def _check_rows(name: str, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if y_true.ndim == 0 or y_pred.ndim == 0 or len(y_true) != len(y_pred):
        raise ShapeError(
            message(
                name,
                "y_true and y_pred must have one row per sample",
                f"y_true.shape={fmt_shape(y_true.shape)}, y_pred.shape={fmt_shape(y_pred.shape)}",
                "the same number of rows",
            )
        )


def _class_labels(name: str, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """The true class of each row, from integer labels (N,) / (N, 1) or one-hot rows (N, C)."""
    if y_true.shape == y_pred.shape:
        return y_true.argmax(axis=1)
    if y_true.ndim == 1 or y_true.shape[1:] == (1,):
        return y_true.reshape(-1)
    raise ShapeError(
        message(
            name,
            "labels fit neither integer nor one-hot form",
            f"y_true.shape={fmt_shape(y_true.shape)}",
            f"({len(y_pred)},) integer labels or {fmt_shape(y_pred.shape)} one-hot rows",
        )
    )


def _errors(name: str, y_true, y_pred) -> np.ndarray:
    """y_pred − y_true as float64, after matching (N,) targets to (N, 1) outputs."""
    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    _check_rows(name, y_true, y_pred)
    if y_true.size != y_pred.size:
        raise ShapeError(
            message(
                name,
                "y_true and y_pred hold different numbers of values",
                f"y_true.shape={fmt_shape(y_true.shape)}, y_pred.shape={fmt_shape(y_pred.shape)}",
                "equal shapes (an (N,) target fits an (N, 1) output)",
            )
        )
    return y_pred.reshape(-1) - y_true.reshape(-1)


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Accuracy with the default threshold 0.5 (see :class:`Accuracy`)."""
    return Accuracy()(y_true, y_pred)


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error: (1/n) Σ |ŷᵢ − yᵢ|."""
    return float(np.mean(np.abs(_errors("mae", y_true, y_pred))))


def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean squared error: (1/n) Σ (ŷᵢ − yᵢ)²."""
    return float(np.mean(_errors("mse", y_true, y_pred) ** 2))


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error: √((1/n) Σ (ŷᵢ − yᵢ)²), in the target's units."""
    return float(np.sqrt(np.mean(_errors("rmse", y_true, y_pred) ** 2)))


def r2(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of determination: R² = 1 − Σ (yᵢ − ŷᵢ)² / Σ (yᵢ − ȳ)².

    1 is a perfect fit, 0 is no better than predicting the mean ȳ, negative is worse.
    Constant targets (Σ (yᵢ − ȳ)² = 0) give 1.0 for a perfect fit and 0.0 otherwise.
    """
    residual = _errors("r2", y_true, y_pred)
    y = np.asarray(y_true, np.float64).reshape(-1)
    total = np.sum((y - y.mean()) ** 2)
    if total == 0:
        return 1.0 if np.all(residual == 0) else 0.0
    return float(1.0 - np.sum(residual**2) / total)


for _fn in (mae, mse, rmse, r2):
    _fn.name = _fn.__name__
    _fn.higher_is_better = _fn is r2


class _Named:
    """A user's metric function with the ``name`` that logs use."""

    def __init__(self, fn, name: str):
        self.fn, self.name = fn, name
        self.higher_is_better = bool(getattr(fn, "higher_is_better", False))

    def __call__(self, y_true, y_pred) -> float:
        return float(self.fn(y_true, y_pred))


_NAMES = {"mae": mae, "mse": mse, "rmse": rmse, "r2": r2}
_TOP_K = re.compile(r"top_(\d+)_accuracy")


def get(
    metric: str | Callable, threshold: float = 0.5
) -> Callable[[np.ndarray, np.ndarray], float]:
    """A metric from its name (``"accuracy"``, ``"acc"``, ``"mae"``, ``"mse"``, ``"rmse"``,
    ``"r2"``, ``"top_k_accuracy"`` (k = 5), ``"top_3_accuracy"``) or a callable.

    A callable ``fn(y_true, y_pred) -> float`` is used as is, named by its ``name``
    attribute or its ``__name__``. ``threshold`` is passed to binary accuracy.
    """
    if callable(metric):
        if hasattr(metric, "name"):
            return metric
        return _Named(metric, getattr(metric, "__name__", type(metric).__name__))
    key = str(metric).lower()
    if key in ("accuracy", "acc"):
        return Accuracy(threshold)
    if key == "top_k_accuracy":
        return TopKAccuracy(5)
    if match := _TOP_K.fullmatch(key):
        return TopKAccuracy(int(match.group(1)))
    if key in _NAMES:
        return _NAMES[key]
    raise ConfigError(
        message(
            "metrics",
            f"unknown metric {metric!r}",
            repr(metric),
            "one of 'accuracy', 'mae', 'mse', 'rmse', 'r2', 'top_k_accuracy' or a callable",
        )
    )


def get_all(metrics: Iterable | str | Callable, threshold: float = 0.5) -> tuple:
    """``compile``'s metrics: each through :func:`get` (one may be given without a list),
    their names distinct and none of them ``"loss"``."""
    metrics = [metrics] if isinstance(metrics, str) or callable(metrics) else metrics
    resolved = tuple(get(m, threshold=threshold) for m in metrics)
    names = [m.name for m in resolved]
    if len(set(names)) != len(names) or "loss" in names:
        raise ConfigError(
            message(
                "compile",
                "metric names must be unique and not 'loss'",
                str(names),
                "distinct names other than 'loss'",
            )
        )
    return resolved
