"""Regression losses: the squared error (MSE, the quadratic cost) and the absolute error."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import loss_options as options
from glassnet import ops
from glassnet._targets import same_shape
from glassnet.losses.base import Loss, _centred, autograd_slope
from glassnet.ops import loss as kernels
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


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
