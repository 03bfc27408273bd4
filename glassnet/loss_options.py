"""PyTorch's loss options, built from differentiable ops: ``reduction``,
``label_smoothing``, ``ignore_index``, ``pos_weight``, cross-entropy over (N, C, d1, ...)
and a target tensor that receives a gradient.

The fused kernels of :mod:`glassnet.ops.loss` serve the default case (a mean, a target
that is data). Any option above takes this path instead: the per-element loss ℓ is
written with ops (log_softmax, softplus, ×, Σ), so autograd differentiates it with
respect to the prediction AND the target, and the reduction is one last op:

    reduction="mean":  L = (1/m) Σ ℓ   (m: the elements, or the labels not ignored)
    reduction="sum":   L = Σ ℓ
    reduction="none":  L = ℓ           (one loss per element, or per sample and pixel)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import ops
from glassnet._targets import class_target, same_shape
from glassnet._validate import fraction
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from glassnet.losses import Loss


__all__ = [
    "REDUCTIONS",
    "changed",
    "check_options",
    "reduce",
    "elementwise_target",
    "cross_entropy_terms",
]

REDUCTIONS = ("mean", "sum", "none")


def check_options(where: str, reduction: str, label_smoothing: float = 0.0) -> tuple:
    """Validated ``reduction`` and ``label_smoothing`` (in [0, 1))."""
    if reduction not in REDUCTIONS:
        raise ConfigError(
            message(where, f"unknown reduction {reduction!r}", repr(reduction), str(REDUCTIONS))
        )
    return reduction, fraction(where, "label_smoothing", label_smoothing)


def changed(loss: Loss, **defaults) -> dict:
    """The loss's options that differ from their defaults, JSON-ready (so the config of a
    loss without options stays what it was)."""
    defaults["reduction"] = "mean"
    config = {}
    for key, default in defaults.items():
        value = getattr(loss, key)
        if isinstance(value, np.ndarray):
            config[key] = value.tolist()
        elif value != default:
            config[key] = value
    return config


def reduce(elements: Tensor, reduction: str, count: int | None = None) -> Tensor:
    """L from the per-element losses ℓ: mean over ``count`` (default: every element), sum, none."""
    if reduction == "none":
        return elements
    total = ops.sum(elements)
    if reduction == "sum":
        return total
    return total * (1.0 / (elements.size if count is None else count))


def elementwise_target(where: str, prediction: Tensor, target: Tensor | ArrayLike) -> Tensor:
    """The target as a tensor of the prediction's shape and dtype; a target tensor keeps its
    graph, so a target that requires a gradient receives one."""
    array = np.asarray(target.data if isinstance(target, Tensor) else target)
    checked = same_shape(where, prediction, array)
    if not isinstance(target, Tensor):
        return Tensor(checked)
    target = target if target.dtype == prediction.dtype else target.astype(prediction.dtype)
    return target if target.shape == prediction.shape else target.reshape(prediction.shape)


def cross_entropy_terms(
    loss: Loss, prediction: Tensor, target: Tensor | ArrayLike
) -> tuple[Tensor, int]:
    """ℓ per sample (and position d1, ...) and the count a mean divides by.

    ℓₙ = −Σ꜀ t′ₙ꜀ ln pₙ꜀ over the class axis 1, with t′ = (1 − ε)·t + ε/C (label
    smoothing ε) and t the one-hot labels (rows of ignored labels are all 0 and are not
    counted) or the given probabilities.
    """
    if prediction.ndim < 2:
        raise ShapeError(
            message(
                "CrossEntropy",
                "the prediction must hold class scores on axis 1",
                f"prediction.shape={fmt_shape(prediction.shape)}",
                "(N, C) or (N, C, d1, ...)",
                "for one yes/no output use BinaryCrossEntropy",
            )
        )
    c, eps = prediction.shape[1], loss.label_smoothing
    if loss.from_logits:
        log_p = ops.log_softmax(prediction, axis=1)
    else:
        log_p = ops.log(ops.clip(prediction, loss.eps, None))
    array = np.asarray(target.data if isinstance(target, Tensor) else target)
    if array.ndim == prediction.ndim - 1:
        t, count = _smoothed_labels(loss, prediction, array)
        smoothed = Tensor(t.astype(prediction.dtype))
    else:
        rows = np.moveaxis(array, 1, -1).reshape(-1, c) if array.ndim > 1 else array
        _check_probabilities(prediction, array, rows, loss.ignore_index)
        t = target if isinstance(target, Tensor) else Tensor(array.astype(prediction.dtype))
        smoothed = t * (1 - eps) + eps / c if eps else t
        count = int(np.prod(array.shape)) // c
    return -ops.sum(smoothed * log_p, axis=1), count


def _smoothed_labels(loss, prediction: Tensor, labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense t′ (N, C, d1, ...) from labels (N, d1, ...) and the number not ignored."""
    shape, c = prediction.shape, prediction.shape[1]
    if labels.shape != shape[:1] + shape[2:]:
        raise ShapeError(
            message(
                "CrossEntropy",
                "the labels do not match the prediction",
                f"target.shape={fmt_shape(labels.shape)} for prediction.shape={fmt_shape(shape)}",
                f"{fmt_shape(shape[:1] + shape[2:])} (the prediction without its class axis)",
            )
        )
    keep = (
        np.ones(labels.shape, bool) if loss.ignore_index is None else labels != loss.ignore_index
    )
    flat = class_target((keep.sum(), c), labels[keep], prediction.dtype)  # validates labels
    t = np.zeros(labels.shape + (c,))
    t[keep] = loss.label_smoothing / c
    t[keep, flat] += 1 - loss.label_smoothing
    return np.moveaxis(t, -1, 1), int(keep.sum())


def _check_probabilities(prediction, array, rows, ignore_index) -> None:
    if array.shape != prediction.shape:
        class_target(prediction.shape[:2], array, prediction.dtype)  # its message names the fix
    if ignore_index is not None:
        raise ConfigError(
            message(
                "CrossEntropy",
                "ignore_index applies to integer labels, not to probability targets",
                f"target.shape={fmt_shape(array.shape)}",
                "labels without the class axis",
            )
        )
    class_target(rows.shape, rows, prediction.dtype)  # rows ≥ 0 summing to 1


def binary_cross_entropy_terms(
    loss: Loss, prediction: Tensor, target: Tensor | ArrayLike
) -> Tensor:
    """ℓ per element; from logits z with positive-class weight w (PyTorch's pos_weight):

    ℓ = w·y·softplus(−z) + (1 − y)·softplus(z)   (= −[w·y ln σ(z) + (1 − y) ln(1 − σ(z))])

    from probabilities p (clipped to [eps, 1 − eps]): ℓ = −[y ln p + (1 − y) ln(1 − p)].
    """
    y = elementwise_target("BinaryCrossEntropy", prediction, target)
    if loss.from_logits:
        positive = y * ops.softplus(-prediction)
        if loss.pos_weight is not None:
            positive = positive * np.asarray(loss.pos_weight, prediction.dtype)
        return positive + (1 - y) * ops.softplus(prediction)
    p = ops.clip(prediction, loss.eps, 1 - loss.eps)
    return -(y * ops.log(p) + (1 - y) * ops.log(1 - p))


def check_pos_weight(pos_weight: float | ArrayLike | None, from_logits: bool) -> np.ndarray | None:
    """None, or positive weights as a float array (a number or one per output)."""
    if pos_weight is None:
        return None
    weights = np.asarray(pos_weight, dtype=np.float64)
    if not from_logits or weights.ndim > 1 or not np.all(weights > 0):
        raise ConfigError(
            message(
                "BinaryCrossEntropy",
                "pos_weight must be positive numbers (one, or one per output) with "
                "from_logits=True",
                f"pos_weight={pos_weight!r}, from_logits={from_logits}",
                "e.g. pos_weight=3.0 with from_logits=True",
                "as PyTorch's BCEWithLogitsLoss: drop the final sigmoid and pass logits",
            )
        )
    return weights
