"""The loss base class: what every loss computes and what it states about itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.errors import ConfigError, message
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


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
