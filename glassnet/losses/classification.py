"""Classification losses: binary cross-entropy and (softmax) cross-entropy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import loss_options as options
from glassnet import ops
from glassnet._targets import class_target, same_shape
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.losses.base import Loss, _array, _class_rows, _softmax, autograd_slope
from glassnet.ops import loss as kernels
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


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
