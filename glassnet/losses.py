"""Loss functions: callables ``loss(prediction, target) -> scalar Tensor``.

The cost C measures how far the network's outputs a are from the targets y; training
moves every weight against dC/dw. Each loss checks the target against the prediction
before any arithmetic (a (N,) target against a (N, 1) prediction would otherwise
broadcast to an (N, N) matrix and train on nonsense), casts the target to the
prediction's dtype, and applies one fused kernel from :mod:`glassnet.ops.loss`.

Each loss class also owns what the explanations and the doctor say about it: its slope
dC/da at the prediction (:meth:`Loss.slope`, with ``slope_formula`` in words), the cost of
the best constant prediction (:meth:`Loss.constant_baseline`), what its prediction must be
(``takes``: values, probabilities or logits) and the activation it applies itself
(``fused_activation``). Adding a loss is one class here, listed in ``LOSSES``.

>>> import glassnet as gn
>>> round(gn.losses.QuadraticCost()(gn.tensor([[1.0], [3.0]]), [[0.0], [1.0]]).item(), 4)
1.25
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import loss_options as options
from glassnet import ops
from glassnet._targets import class_target, same_shape
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.ops import loss as kernels
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike


__all__ = [
    "Loss",
    "MSE",
    "QuadraticCost",
    "MAE",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "LOSSES",
    "autograd_slope",
    "get",
]


class Loss:
    """Base class: ``loss(prediction, target)`` returns the scalar cost as a Tensor.

    ``name`` (and ``aliases``) are the strings :func:`get` resolves for a class listed in
    ``LOSSES``; ``get_config()`` returns the keyword arguments that rebuild the loss
    (``get(loss.name, **loss.get_config())``).

    What a subclass states about itself (the defaults suit a loss that states nothing):

    - ``slope(a, y)``: dC/da at the prediction a (float64 arrays), and ``slope_formula``,
      the same in words; by default autograd's slope, "from autograd".
    - ``slope_template``: the slope formula with ``{prediction}``, ``{actual}`` and ``{m}``
      holes, when the explanation should write it out element by element.
    - ``constant_baseline(y)``: the cost of the best constant prediction for targets y
      (the doctor's yardstick for underfitting); None when unknown.
    - ``takes``: what the prediction must be, "values", "probabilities" or "logits";
      ``fused_activation``: the activation a logits loss applies itself ("softmax").
    - ``class_labels``: True when a target may be one class number per row.

    PyTorch's options (``reduction``, ``label_smoothing``, ``ignore_index``, ``pos_weight``)
    and a target tensor that requires a gradient take :meth:`general`, the loss written
    with ops (:mod:`glassnet.loss_options`); the default case runs the fused kernel.
    """

    name = "loss"
    higher_is_better = False  # a cost: callbacks watching "loss" in mode "auto" minimise it
    aliases: tuple[str, ...] = ()
    takes = "values"
    fused_activation: str | None = None
    class_labels = False
    slope_formula = "dL/dprediction from autograd (no written formula for this loss)"
    slope_template: str | None = None
    reduction = "mean"

    def __call__(self, prediction: Tensor | ArrayLike, target: Tensor | ArrayLike) -> Tensor:
        prediction = as_tensor(prediction)
        if prediction.dtype.kind != "f":
            prediction = prediction.astype(np.float32)
        wants_grad = isinstance(target, Tensor) and target.requires_grad
        if wants_grad or self.reduction != "mean" or self.options_set():
            return self.general(prediction, target)
        return self.forward(prediction, _array(target))

    def options_set(self) -> bool:
        """True when a setting beyond the fused kernel's is in use (see :meth:`general`)."""
        return False

    def general(self, prediction: Tensor, target: Tensor | ArrayLike) -> Tensor:
        """The loss built from ops, for the options and for a target that needs a gradient."""
        raise ConfigError(
            message(
                type(self).__name__,
                "this loss takes its target as data, so the target cannot receive a gradient",
                "a target with requires_grad=True",
                "a plain array, or target.detach()",
                "define general(prediction, target) with ops to differentiate the target",
            )
        )

    def forward(self, prediction: Tensor, target: np.ndarray) -> Tensor:  # pragma: no cover
        raise NotImplementedError(f"{type(self).__name__} must define forward")

    def get_config(self) -> dict:
        return {}

    def slope(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dC/da at the prediction ``a`` for the targets ``y``; here by autograd."""
        return autograd_slope(self, a, y)

    def constant_baseline(self, y: np.ndarray) -> float | None:
        """The cost of the best constant prediction, or None when this loss does not say."""
        return None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _array(target) -> np.ndarray:
    return np.asarray(target.data if isinstance(target, Tensor) else target)


def autograd_slope(loss: Loss, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dC/da of any callable ``loss(prediction, target)``, by autograd on the prediction."""
    prediction = Tensor(a, requires_grad=True)
    loss(prediction, y).backward()
    return prediction.grad


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _class_rows(target: np.ndarray, shape: tuple) -> np.ndarray:
    """One-hot rows of ``shape`` for integer labels; probability rows are returned as they are."""
    if target.shape == shape:
        return target.astype(np.float64)
    rows = np.zeros(shape)
    rows[np.arange(shape[0]), target.astype(int).ravel()] = 1.0
    return rows


def _centred(y: np.ndarray, centre) -> np.ndarray:
    y = y.astype(np.float64)
    return y - centre(y, axis=0)


class MSE(Loss):
    """Mean squared error over every element.

    Formula:  C = (1/m) Σᵢ (aᵢ − yᵢ)²,  m = number of elements (N · outputs)
    Slope:    dC/da = 2·(a − y) / m
    Baseline: the mean of y, costing the variance of y
    Twin:     torch.nn.functional.mse_loss (reduction="mean"); Keras "mse".
    Options:  ``reduction`` "mean" | "sum" | "none" (the elements (aᵢ − yᵢ)² themselves).
    """

    name = "mse"
    aliases = ("mean_squared_error",)
    slope_template = "2·({prediction} − {actual}) / {m}"
    slope_formula = slope_template.format(prediction="prediction", actual="actual", m="m")

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = options.check_options("MSE", reduction)[0]

    def general(self, prediction: Tensor, target: Tensor | ArrayLike) -> Tensor:
        y = options.elementwise_target("MSE", prediction, target)
        return options.reduce((prediction - y) ** 2, self.reduction)

    def get_config(self) -> dict:
        return options.changed(self)

    def forward(self, prediction: Tensor, target: np.ndarray) -> Tensor:
        target = same_shape("MSE", prediction, target)
        return kernels.SquaredError.apply(prediction, target=target, scale=1.0 / target.size)

    def slope(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.reduction != "mean" or self.options_set():  # the formula below is the default's
            return autograd_slope(self, a, y)
        return 2 * (a - y.reshape(a.shape)) / a.size

    def constant_baseline(self, y: np.ndarray) -> float | None:
        return float(np.mean(_centred(y, np.mean) ** 2))


class QuadraticCost(Loss):
    """The quadratic cost of the seeds: half the squared distance, averaged over the batch.

    Formula:  C = 1/(2n) Σₓ ‖y(x) − a(x)‖²,  n = batch size (the first axis)
    Slope:    dC/da = (a − y) / n
    Baseline: the mean of y
    Notes:    the ½ cancels the 2 of the derivative, so dC/da = (a − y)/n. It equals
              MSE · k / 2 for k outputs per sample.
    """

    name = "quadratic"
    slope_formula = "(prediction − actual) / N"

    def general(self, prediction: Tensor, target: Tensor | ArrayLike) -> Tensor:
        y = options.elementwise_target("QuadraticCost", prediction, target)
        n = prediction.shape[0] if prediction.ndim else 1
        return options.reduce((prediction - y) ** 2 * 0.5, "mean", count=n)

    def forward(self, prediction: Tensor, target: np.ndarray) -> Tensor:
        target = same_shape("QuadraticCost", prediction, target)
        n = target.shape[0] if target.ndim else 1
        return kernels.SquaredError.apply(prediction, target=target, scale=0.5 / n)

    def slope(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.reduction != "mean" or self.options_set():  # the formula below is the default's
            return autograd_slope(self, a, y)
        return (a - y.reshape(a.shape)) / a.shape[0]

    def constant_baseline(self, y: np.ndarray) -> float | None:
        return float(np.sum(_centred(y, np.mean) ** 2) / (2 * len(y)))


class MAE(Loss):
    """Mean absolute error over every element.

    Formula:  C = (1/m) Σᵢ |aᵢ − yᵢ|,  m = number of elements
    Slope:    dC/da = sign(a − y) / m
    Baseline: the median of y
    Twin:     torch.nn.functional.l1_loss; Keras "mae".
    Options:  ``reduction`` "mean" | "sum" | "none" (the elements |aᵢ − yᵢ| themselves).
    """

    name = "mae"
    aliases = ("mean_absolute_error",)
    slope_formula = "sign(prediction − actual) / m"

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = options.check_options("MAE", reduction)[0]

    def general(self, prediction: Tensor, target: Tensor | ArrayLike) -> Tensor:
        y = options.elementwise_target("MAE", prediction, target)
        return options.reduce(ops.abs(prediction - y), self.reduction)

    def get_config(self) -> dict:
        return options.changed(self)

    def forward(self, prediction: Tensor, target: np.ndarray) -> Tensor:
        target = same_shape("MAE", prediction, target)
        return kernels.AbsoluteError.apply(prediction, target=target, scale=1.0 / target.size)

    def slope(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.reduction != "mean" or self.options_set():  # the formula below is the default's
            return autograd_slope(self, a, y)
        return np.sign(a - y.reshape(a.shape)) / a.size

    def constant_baseline(self, y: np.ndarray) -> float | None:
        return float(np.mean(np.abs(_centred(y, np.median))))


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy for yes/no targets y ∈ [0, 1], averaged over every element.

    Formula:  C = −(1/m) Σᵢ [yᵢ ln aᵢ + (1 − yᵢ) ln(1 − aᵢ)]
    from_logits=False: a are probabilities (a sigmoid output), clipped to [eps, 1 − eps].
    from_logits=True:  a = σ(z) is fused into the loss, computed stably from the logits z.
    Slope:    dC/da = (a − y) / (a·(1 − a)) / m;  from logits: dC/dz = (σ(z) − y) / m
    Baseline: the frequency p of each output's 1s: −(1/k) Σ [p ln p + (1 − p) ln(1 − p)]
    Twins:    torch.nn.functional.binary_cross_entropy / binary_cross_entropy_with_logits.
    Options:  ``reduction`` "mean" | "sum" | "none"; ``pos_weight`` w (from logits, one
              number or one per output) weighs the positive term:
              ℓ = −[w·y ln σ(z) + (1 − y) ln(1 − σ(z))].
    """

    name = "binary_cross_entropy"
    aliases = ("bce",)

    def __init__(
        self,
        from_logits: bool = False,
        eps: float = 1e-7,
        reduction: str = "mean",
        pos_weight: float | ArrayLike | None = None,
    ) -> None:
        if not 0 < eps < 0.5:
            raise ConfigError(
                message("BinaryCrossEntropy", "eps must be in (0, 0.5)", repr(eps), "e.g. 1e-7")
            )
        self.from_logits, self.eps = bool(from_logits), float(eps)
        self.reduction = options.check_options("BinaryCrossEntropy", reduction)[0]
        self.pos_weight = options.check_pos_weight(pos_weight, self.from_logits)

    def options_set(self) -> bool:
        return self.pos_weight is not None

    def general(self, prediction: Tensor, target: Tensor | ArrayLike) -> Tensor:
        self._check_targets(_array(target))
        terms = options.binary_cross_entropy_terms(self, prediction, target)
        return options.reduce(terms, self.reduction)

    @property
    def takes(self) -> str:
        return "logits" if self.from_logits else "probabilities"

    @property
    def fused_activation(self) -> str | None:
        return "sigmoid" if self.from_logits else None

    @property
    def slope_formula(self) -> str:
        if self.from_logits:
            return "(σ(z) − actual) / m   (z: the logit)"
        return "(prediction − actual) / (prediction·(1 − prediction)) / m"

    def slope(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.reduction != "mean" or self.options_set():  # the formula below is the default's
            return autograd_slope(self, a, y)
        if self.from_logits:
            return (0.5 * (1 + np.tanh(0.5 * a)) - y.reshape(a.shape)) / a.size  # σ(z) − y
        return (a - y.reshape(a.shape)) / (a * (1 - a)) / a.size

    def constant_baseline(self, y: np.ndarray) -> float | None:
        p = np.clip(y.astype(np.float64).mean(axis=0), self.eps, 1 - self.eps)
        return float(np.mean(-(p * np.log(p) + (1 - p) * np.log(1 - p))))

    def forward(self, prediction: Tensor, target: np.ndarray) -> Tensor:
        target = same_shape("BinaryCrossEntropy", prediction, target)
        self._check_targets(target)
        if self.from_logits:
            return kernels.SigmoidBinaryCrossEntropy.apply(prediction, target=target)
        return kernels.BinaryCrossEntropy.apply(prediction, target=target, eps=self.eps)

    def _check_targets(self, target: np.ndarray) -> None:
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

    def get_config(self) -> dict:
        extra = options.changed(self, pos_weight=None)
        return {"from_logits": self.from_logits, "eps": self.eps, **extra}


class CrossEntropy(Loss):
    """Categorical cross-entropy for C classes, averaged over the batch.

    Formula:  C = −(1/N) Σₙ Σ꜀ tₙ꜀ ln pₙ꜀,  with integer labels: −(1/N) Σₙ ln pₙ,yₙ
    from_logits=True (default): p = softmax(z) is fused into the loss (log-sum-exp,
    stable for any logits); the output layer stays linear.
    from_logits=False: the prediction already holds probabilities (a Softmax layer);
    they are clipped to [eps, 1] before the log.
    Targets: integer labels (N,) in [0, C), or one-hot / probability rows (N, C).
    Slope:    dC/dz = (softmax(z) − t) / N from logits;  dC/dp = −t / p / N
    Baseline: the class frequencies f: −Σ꜀ f꜀ ln f꜀ (the entropy of the labels)
    Twin:     torch.nn.functional.cross_entropy (logits) / nll_loss(log p) (probabilities).
    Options:  (PyTorch's) ``reduction`` "mean" | "sum" | "none"; ``label_smoothing`` ε:
              t′ = (1 − ε)·t + ε/C; ``ignore_index``: labels equal to it add nothing and
              are not counted by the mean; z of shape (N, C, d1, ...) with labels
              (N, d1, ...) classifies every position (segmentation).
    """

    name = "cross_entropy"
    aliases = ("categorical_cross_entropy",)
    class_labels = True

    def __init__(
        self,
        from_logits: bool = True,
        eps: float = 1e-7,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
        ignore_index: int | None = None,
    ) -> None:
        if not 0 < eps < 0.5:
            raise ConfigError(
                message("CrossEntropy", "eps must be in (0, 0.5)", repr(eps), "e.g. 1e-7")
            )
        self.from_logits, self.eps = bool(from_logits), float(eps)
        checked = options.check_options("CrossEntropy", reduction, label_smoothing)
        self.reduction, self.label_smoothing = checked
        if ignore_index is not None and not isinstance(ignore_index, int | np.integer):
            raise ConfigError(
                message("CrossEntropy", "ignore_index must be an int", repr(ignore_index), "-100")
            )
        self.ignore_index = ignore_index

    def options_set(self) -> bool:
        return bool(self.label_smoothing) or self.ignore_index is not None

    def general(self, prediction: Tensor, target: Tensor | ArrayLike) -> Tensor:
        terms, count = options.cross_entropy_terms(self, prediction, target)
        return options.reduce(terms, self.reduction, count)

    @property
    def takes(self) -> str:
        return "logits" if self.from_logits else "probabilities"

    @property
    def fused_activation(self) -> str | None:
        return "softmax" if self.from_logits else None

    @property
    def slope_formula(self) -> str:
        if self.from_logits:
            return "(softmax(z) − one_hot(actual)) / N"
        return "−one_hot(actual) / prediction / N"

    def slope(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.reduction != "mean" or self.options_set():  # the formula below is the default's
            return autograd_slope(self, a, y)
        t = _class_rows(y, a.shape)
        return (_softmax(a) - t) / a.shape[0] if self.from_logits else -t / a / a.shape[0]

    def constant_baseline(self, y: np.ndarray) -> float | None:
        freq = np.bincount(y.astype(int).ravel()) / y.size if y.ndim == 1 else y.mean(axis=0)
        freq = freq[freq > 0]
        return float(-(freq * np.log(freq)).sum())

    def forward(self, prediction: Tensor, target: np.ndarray) -> Tensor:
        if prediction.ndim > 2:  # (N, C, d1, ...): per-pixel classes, as in PyTorch
            return self.general(prediction, target)
        if prediction.ndim != 2:
            raise ShapeError(
                message(
                    "CrossEntropy",
                    "the prediction must be a batch of class scores",
                    f"prediction.shape={fmt_shape(prediction.shape)}",
                    "(N, C) or (N, C, d1, ...)",
                    "for one yes/no output use BinaryCrossEntropy",
                )
            )
        target = class_target(prediction.shape, target, prediction.dtype)
        if self.from_logits:
            return kernels.SoftmaxCrossEntropy.apply(prediction, target=target)
        log_p = ops.log(ops.clip(prediction, self.eps, None))
        n = prediction.shape[0]
        if target.ndim == 1:
            picked = ops.getitem(log_p, (np.arange(n), target))
            return ops.sum(picked) * (-1.0 / n)
        return ops.sum(log_p * target) * (-1.0 / n)

    def get_config(self) -> dict:
        extra = options.changed(self, label_smoothing=0.0, ignore_index=None)
        return {"from_logits": self.from_logits, "eps": self.eps, **extra}


LOSSES = (MSE, QuadraticCost, MAE, BinaryCrossEntropy, CrossEntropy)
_BY_NAME = {n: cls for cls in LOSSES for n in (cls.name, *cls.aliases)}
# Keras's spellings: these expect probabilities unless told from_logits=True, as in Keras
# (Model.compile then matches from_logits to the model's last layer)
_KERAS_NAMES = {
    "sparse_categorical_crossentropy": CrossEntropy,
    "categorical_crossentropy": CrossEntropy,
    "binary_crossentropy": BinaryCrossEntropy,
}


def get(loss: str | Loss | Callable[..., Tensor], **config) -> Loss:
    """A loss from its name (``"mse"``, ``"quadratic"``, ``"mae"``, ``"binary_cross_entropy"``,
    ``"cross_entropy"``), with ``config`` passed to its constructor, or a Loss / callable
    returned unchanged.

    >>> get("cross_entropy")
    CrossEntropy(from_logits=True, eps=1e-07)
    """
    if isinstance(loss, str):
        key = loss.lower()
        if key in _KERAS_NAMES:
            return _KERAS_NAMES[key](**{"from_logits": False, **config})
        if key not in _BY_NAME:
            raise ConfigError(
                message(
                    "losses.get",
                    f"unknown loss {loss!r}",
                    repr(loss),
                    "one of " + ", ".join(sorted([*_BY_NAME, *_KERAS_NAMES])),
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
