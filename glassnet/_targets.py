"""What the losses check about a target before any arithmetic, shared by every loss class.

- :func:`same_shape`: a target laid out like the prediction (the one forgiving case: (N,)
  against (N, 1)), with a hint that names the labels-for-one-hot mix-up;
- :func:`class_target`: integer labels (N,) in [0, C), or one-hot / probability rows (N, C).

Each returns the target in the form the loss kernel takes, or raises ShapeError/DTypeError.
"""

from __future__ import annotations

import numpy as np

from glassnet.errors import DTypeError, ShapeError, fmt_shape, message
from glassnet.tensor import Tensor

__all__ = ["same_shape", "class_target"]


def same_shape(where: str, prediction: Tensor, target: np.ndarray) -> np.ndarray:
    """The target as a float array of the prediction's shape and dtype, or a ShapeError.

    The one forgiving case: targets (N,) against predictions (N, 1) (a regression
    output layer with one unit) are laid out as (N, 1).
    """
    shape = prediction.shape
    if target.shape != shape:
        if target.ndim == 1 and shape == (target.shape[0], 1):
            target = target.reshape(shape)
        else:
            raise ShapeError(
                message(
                    where,
                    "the target's shape differs from the prediction's",
                    f"target.shape={fmt_shape(target.shape)}",
                    f"{fmt_shape(shape)} (the prediction's shape)",
                    _shape_hint(shape, target),
                )
            )
    return np.asarray(target, dtype=prediction.dtype)


def _shape_hint(shape: tuple, target: np.ndarray) -> str:
    """Name the integer-labels-for-one-hot mix-up when it is the likely cause."""
    labels = (
        target.ndim == 1
        and target.dtype.kind in "iuf"
        and len(shape) == 2
        and shape[0] == target.shape[0]
        and shape[1] > 1
        and bool(np.all(np.mod(target, 1) == 0))
        and (target.size == 0 or 0 <= target.min() <= target.max() < shape[1])
    )
    if labels:
        return (
            f"these look like integer class labels; use CrossEntropy (loss='cross_entropy'), "
            f"or one_hot(y, {shape[1]}) for this loss"
        )
    return "targets must have one value per network output"


def class_target(shape: tuple, target: np.ndarray, dtype) -> np.ndarray:
    """Integer labels (N,) as intp, or one-hot rows (N, C) as floats; else a ShapeError."""
    n, c = shape
    expected = f"integer labels of shape ({n},) with values in [0, {c}), or one-hot ({n}, {c})"
    if target.ndim == 1 and target.shape[0] == n:
        return _labels(target, c, expected)
    if target.ndim == 2 and target.shape == (n, c) and c > 1:
        return _probability_rows(np.asarray(target, dtype=dtype), expected)
    if target.ndim == 2 and target.shape == (n, 1):
        what, hint = "labels shaped (N, 1) are ambiguous", "flatten them: y.reshape(-1)"
    elif target.ndim == 2 and target.shape[0] == n:
        what = f"one-hot targets have {target.shape[1]} columns but the prediction has {c}"
        hint = f"one_hot(y, {c}), or give the output layer {target.shape[1]} units"
    else:
        what, hint = "the target does not match the batch", "one target per prediction row"
    raise ShapeError(
        message(
            "CrossEntropy",
            what,
            f"target.shape={fmt_shape(target.shape)} for prediction.shape={fmt_shape(shape)}",
            expected,
            hint,
        )
    )


def _probability_rows(target: np.ndarray, expected: str) -> np.ndarray:
    """(N, C) targets must be one-hot or probability rows: tₙ꜀ ≥ 0 and Σ꜀ tₙ꜀ = 1.

    Anything else (class numbers laid out as a matrix, unnormalised scores) would train
    on a meaningless cost without any error, so it is refused here.
    """
    c = target.shape[1]
    sums = target.sum(axis=1)
    bad = (target < 0).any(axis=1) | (np.abs(sums - 1) > 1e-3)
    if bad.any():
        row = int(np.argmax(bad))
        values = ", ".join(f"{v:g}" for v in target[row, :6]) + (", ..." if c > 6 else "")
        raise ShapeError(
            message(
                "CrossEntropy",
                "a 2-D target must hold one-hot or probability rows (each ≥ 0, summing to 1)",
                f"row {row} = [{values}] (sum {sums[row]:g})",
                expected,
                "integer class labels go in a 1-D array y of shape (N,)",
            )
        )
    return target


def _labels(target: np.ndarray, c: int, expected: str) -> np.ndarray:
    if target.dtype.kind not in "fiu":
        raise DTypeError(
            message("CrossEntropy", "labels must be numbers", f"dtype {target.dtype}", expected)
        )
    if target.dtype.kind == "f" and not np.all(np.equal(np.mod(target, 1), 0)):
        raise ShapeError(
            message(
                "CrossEntropy",
                "a 1-D target must hold integer class labels",
                f"non-integer values such as {target[np.mod(target, 1) != 0][0]:g}",
                expected,
                "for probabilities of one class use BinaryCrossEntropy",
            )
        )
    if target.size and (target.min() < 0 or target.max() >= c):
        raise ShapeError(
            message(
                "CrossEntropy",
                f"labels must lie in [0, {c})",
                f"labels from {target.min():g} to {target.max():g}",
                expected,
                f"the output layer needs one unit per class ({int(target.max()) + 1} or more)",
            )
        )
    return target.astype(np.intp, copy=False)
