"""Keras habits that Model relies on: building layers given in the Keras form, and
matching a cross-entropy loss to the model's last layer (no double softmax).

A loss that takes logits (``CrossEntropy(from_logits=True)``) applies softmax itself:
p = softmax(z). Fed the output of a Softmax layer it would compute softmax(softmax(z)),
which trains badly and silently. ``loss_for`` reads the model's last layer and, for a loss
given by name, builds it to match (probabilities after Softmax or Sigmoid, logits after a
linear layer); for a Loss object that cannot match it stops with a hint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet import losses, nn
from glassnet._config import no_grad
from glassnet.errors import ConfigError, message
from glassnet.nn._keras import KerasForm

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import DTypeLike

    from glassnet.nn.module import Module
    from glassnet.tensor import Tensor
    from glassnet.training.batches import ArrayBatches, IterableBatches

__all__ = ["unbuilt", "build", "final_activation", "loss_for"]

_PROBABILITIES = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}


def unbuilt(model: Module) -> list[str]:
    """Names of the layers whose input size is not known yet."""
    return [
        name or type(m).__name__
        for name, m in model.named_modules()
        if isinstance(m, KerasForm) and not m.built
    ]


def build(model: Module, x: np.ndarray) -> bool:
    """Build every unbuilt layer with one forward pass on the first row of x (no graph, eval
    mode); True when something was built (the optimizer must then be bound again)."""
    if not unbuilt(model):
        return False
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(x[:1])
    finally:
        model.train(was_training)
    return True


def final_activation(model: Module) -> str | None:
    """ "softmax", "sigmoid" or "linear" for the last layer of a Sequential; None when the
    model's output is not known from its layers (a custom forward)."""
    if not isinstance(model, nn.Sequential) or not len(model):
        return None
    last = model[-1]
    if isinstance(last, nn.Softmax):
        return "softmax"
    if isinstance(last, nn.Sigmoid):
        return "sigmoid"
    if isinstance(last, nn.Dense | nn.Conv2D | nn.Identity):
        return "linear"
    return None


def loss_for(model: Module, loss: str | losses.Loss | Callable[..., Tensor]) -> losses.Loss:
    """The loss ``compile`` uses: for a name, from_logits set by the last layer; for a
    Loss object taking logits after Softmax/Sigmoid, a ConfigError with a hint."""
    built = losses.get(loss)
    probabilities = _PROBABILITIES.get(getattr(built, "name", None))
    last = final_activation(model)
    if probabilities is None or last is None:
        return built
    if isinstance(loss, str) and last in (probabilities, "linear"):
        logits = last == "linear"
        return built if built.from_logits == logits else type(built)(from_logits=logits)
    if built.from_logits and last == probabilities:
        raise ConfigError(
            message(
                "compile",
                f"the model ends in {last} and the loss applies {last} again (it takes logits)",
                f"{type(built).__name__}(from_logits=True) after a {last} layer",
                "one softmax/sigmoid, not two",
                f"use {type(built).__name__}(from_logits=False) to take probabilities, or "
                f"drop the final {last} so the loss gets logits (the stabler choice)",
            )
        )
    return built


def validation_arrays(validation_data: Any, dtype: DTypeLike) -> Any:
    """``validation_data`` as fit checks it: a pair stays; a loader becomes its arrays."""
    pair_or_array = isinstance(validation_data, tuple | list) or hasattr(validation_data, "shape")
    if validation_data is None or pair_or_array or not hasattr(validation_data, "__iter__"):
        return validation_data  # split_validation checks it
    from glassnet.training.batches import as_arrays

    return as_arrays(validation_data, dtype, "fit (validation_data)")


def check_no_split(validation_split: float) -> None:
    if validation_split:
        raise ConfigError(
            message(
                "fit",
                "validation_split needs arrays; a loader's rows cannot be held out",
                f"validation_split={validation_split}",
                "validation_split=0.0 with a loader",
                "pass validation_data=(x_val, y_val) or a validation loader",
            )
        )


def check_loader_alone(session: Any, batches: ArrayBatches | IterableBatches) -> None:
    """[distributed] a distributed fit shards arrays; it does not take a loader."""
    if session is not None and not hasattr(batches, "x"):
        raise ConfigError(
            message(
                "fit",
                "a distributed fit needs arrays",
                type(batches.source).__name__,
                "fit(x, y) in an MPI job",
                "each rank takes its share of the rows; pass the arrays",
            )
        )
