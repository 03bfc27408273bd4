"""Loss functions: callables ``loss(prediction, target) -> scalar Tensor``.

The cost C measures how far the network's outputs a are from the targets y; training
moves every weight against dC/dw. Each loss checks the target against the prediction
before any arithmetic (a (N,) target against a (N, 1) prediction would otherwise
broadcast to an (N, N) matrix and train on nonsense), casts the target to the
prediction's dtype, and applies one fused kernel from :mod:`glassnet.ops.loss`.

>>> import glassnet as gn
>>> round(gn.losses.QuadraticCost()(gn.tensor([[1.0], [3.0]]), [[0.0], [1.0]]).item(), 4)
1.25
"""

from __future__ import annotations

import numpy as np

from glassnet.errors import ConfigError, DTypeError, ShapeError, fmt_shape, message
from glassnet.ops import loss as kernels
from glassnet.tensor import Tensor, as_tensor

__all__ = [
    "Loss",
    "MSE",
    "QuadraticCost",
    "MAE",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "get",
]


class Loss:
    """Base class: ``loss(prediction, target)`` returns the scalar cost as a Tensor.

    ``name`` is the string :func:`get` resolves; ``get_config()`` returns the keyword
    arguments that rebuild the loss (``get(loss.name, **loss.get_config())``).
    """

    name = "loss"
    higher_is_better = False  # a cost: callbacks watching "loss" in mode "auto" minimise it

    def __call__(self, prediction, target) -> Tensor:
        prediction = as_tensor(prediction)
        if prediction.dtype.kind != "f":
            prediction = prediction.astype(np.float32)
        return self.forward(prediction, _array(target))

    def forward(self, prediction: Tensor, target: np.ndarray) -> Tensor:  # pragma: no cover
        raise NotImplementedError(f"{type(self).__name__} must define forward")

    def get_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _array(target) -> np.ndarray:
    return np.asarray(target.data if isinstance(target, Tensor) else target)


def _same_shape(where: str, prediction: Tensor, target: np.ndarray) -> np.ndarray:
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


class MSE(Loss):
    """Mean squared error over every element.

    Formula:  C = (1/m) Σᵢ (aᵢ − yᵢ)²,  m = number of elements (N · outputs)
    Twin:     torch.nn.functional.mse_loss (reduction="mean"); Keras "mse".
    """

    name = "mse"

    def forward(self, prediction, target):
        target = _same_shape("MSE", prediction, target)
        return kernels.SquaredError.apply(prediction, target=target, scale=1.0 / target.size)


class QuadraticCost(Loss):
    """The quadratic cost of the seeds: half the squared distance, averaged over the batch.

    Formula:  C = 1/(2n) Σₓ ‖y(x) − a(x)‖²,  n = batch size (the first axis)
    Notes:    the ½ cancels the 2 of the derivative, so dC/da = (a − y)/n. It equals
              MSE · k / 2 for k outputs per sample.
    """

    name = "quadratic"

    def forward(self, prediction, target):
        target = _same_shape("QuadraticCost", prediction, target)
        n = target.shape[0] if target.ndim else 1
        return kernels.SquaredError.apply(prediction, target=target, scale=0.5 / n)


class MAE(Loss):
    """Mean absolute error over every element.

    Formula:  C = (1/m) Σᵢ |aᵢ − yᵢ|,  m = number of elements
    Twin:     torch.nn.functional.l1_loss; Keras "mae".
    """

    name = "mae"

    def forward(self, prediction, target):
        target = _same_shape("MAE", prediction, target)
        return kernels.AbsoluteError.apply(prediction, target=target, scale=1.0 / target.size)


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy for yes/no targets y ∈ [0, 1], averaged over every element.

    Formula:  C = −(1/m) Σᵢ [yᵢ ln aᵢ + (1 − yᵢ) ln(1 − aᵢ)]
    from_logits=False: a are probabilities (a sigmoid output), clipped to [eps, 1 − eps].
    from_logits=True:  a = σ(z) is fused into the loss, computed stably from the logits z.
    Twins:    torch.nn.functional.binary_cross_entropy / binary_cross_entropy_with_logits.
    """

    name = "binary_cross_entropy"

    def __init__(self, from_logits: bool = False, eps: float = 1e-7):
        if not 0 < eps < 0.5:
            raise ConfigError(
                message("BinaryCrossEntropy", "eps must be in (0, 0.5)", repr(eps), "e.g. 1e-7")
            )
        self.from_logits, self.eps = bool(from_logits), float(eps)

    def forward(self, prediction, target):
        target = _same_shape("BinaryCrossEntropy", prediction, target)
        if target.size and (target.min() < 0 or target.max() > 1):
            raise ShapeError(
                message(
                    "BinaryCrossEntropy",
                    "targets must be probabilities",
                    f"values from {target.min():g} to {target.max():g}",
                    "values in [0, 1]",
                    "for more than two classes use CrossEntropy with integer labels",
                )
            )
        if self.from_logits:
            return kernels.SigmoidBinaryCrossEntropy.apply(prediction, target=target)
        return kernels.BinaryCrossEntropy.apply(prediction, target=target, eps=self.eps)

    def get_config(self) -> dict:
        return {"from_logits": self.from_logits, "eps": self.eps}


class CrossEntropy(Loss):
    """Categorical cross-entropy for C classes, averaged over the batch.

    Formula:  C = −(1/N) Σₙ Σ꜀ tₙ꜀ ln pₙ꜀,  with integer labels: −(1/N) Σₙ ln pₙ,yₙ
    from_logits=True (default): p = softmax(z) is fused into the loss (log-sum-exp,
    stable for any logits); the output layer stays linear.
    from_logits=False: the prediction already holds probabilities (a Softmax layer);
    they are clipped to [eps, 1] before the log.
    Targets: integer labels (N,) in [0, C), or one-hot / probability rows (N, C).
    Twin:     torch.nn.functional.cross_entropy (logits) / nll_loss(log p) (probabilities).
    """

    name = "cross_entropy"

    def __init__(self, from_logits: bool = True, eps: float = 1e-7):
        if not 0 < eps < 0.5:
            raise ConfigError(
                message("CrossEntropy", "eps must be in (0, 0.5)", repr(eps), "e.g. 1e-7")
            )
        self.from_logits, self.eps = bool(from_logits), float(eps)

    def forward(self, prediction, target):
        if prediction.ndim != 2:
            raise ShapeError(
                message(
                    "CrossEntropy",
                    "the prediction must be a batch of class scores",
                    f"prediction.shape={fmt_shape(prediction.shape)}",
                    "(N, C)",
                    "for one yes/no output use BinaryCrossEntropy",
                )
            )
        target = _class_target(prediction.shape, target, prediction.dtype)
        if self.from_logits:
            return kernels.SoftmaxCrossEntropy.apply(prediction, target=target)
        from glassnet import ops

        log_p = ops.log(ops.clip(prediction, self.eps, None))
        n = prediction.shape[0]
        if target.ndim == 1:
            picked = ops.getitem(log_p, (np.arange(n), target))
            return ops.sum(picked) * (-1.0 / n)
        return ops.sum(log_p * target) * (-1.0 / n)

    def get_config(self) -> dict:
        return {"from_logits": self.from_logits, "eps": self.eps}


def _class_target(shape: tuple, target: np.ndarray, dtype) -> np.ndarray:
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


_BY_NAME = {
    "mse": MSE,
    "mean_squared_error": MSE,
    "quadratic": QuadraticCost,
    "mae": MAE,
    "mean_absolute_error": MAE,
    "binary_cross_entropy": BinaryCrossEntropy,
    "bce": BinaryCrossEntropy,
    "cross_entropy": CrossEntropy,
    "categorical_cross_entropy": CrossEntropy,
}


def get(loss, **config) -> Loss:
    """A loss from its name (``"mse"``, ``"quadratic"``, ``"mae"``, ``"binary_cross_entropy"``,
    ``"cross_entropy"``), with ``config`` passed to its constructor, or a Loss / callable
    returned unchanged.

    >>> get("cross_entropy")
    CrossEntropy(from_logits=True, eps=1e-07)
    """
    if isinstance(loss, str):
        key = loss.lower()
        if key not in _BY_NAME:
            raise ConfigError(
                message(
                    "losses.get",
                    f"unknown loss {loss!r}",
                    repr(loss),
                    "one of " + ", ".join(sorted(_BY_NAME)),
                )
            )
        return _BY_NAME[key](**config)
    if isinstance(loss, type) and issubclass(loss, Loss):
        return loss(**config)
    if callable(loss) and not config:
        return loss
    raise ConfigError(
        message(
            "losses.get",
            "cannot make a loss from this",
            f"{type(loss).__name__}" + (f" with settings {config}" if config else ""),
            "a loss name, a Loss class, or a callable(prediction, target)",
        )
    )
