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
(``fused_activation``). Adding a loss is one class, in ``regression.py`` or
``classification.py``, listed in ``LOSSES`` below.

>>> import glassnet as gn
>>> round(gn.losses.QuadraticCost()(gn.tensor([[1.0], [3.0]]), [[0.0], [1.0]]).item(), 4)
1.25
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassnet.errors import ConfigError, message
from glassnet.losses.base import Loss, autograd_slope
from glassnet.losses.classification import BinaryCrossEntropy, CrossEntropy
from glassnet.losses.regression import MAE, MSE, QuadraticCost
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Callable


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
