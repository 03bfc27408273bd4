"""Optimizers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``, ``get``), learning-rate
schedules (``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``ReduceLROnPlateau``) and
gradient clipping (``clip_grad_norm``, ``clip_grad_value``).

>>> import glassnet as gn
>>> w = gn.tensor([2.0], requires_grad=True)
>>> opt = gn.optim.SGD([w], lr=0.01)
>>> (w * 3.0).sum().backward()        # dL/dw = 3
>>> opt.step(); round(float(w.data[0]), 4)
1.97
"""

from __future__ import annotations

from glassnet.errors import ConfigError, message
from glassnet.optim import clip, schedules
from glassnet.optim.adagrad import Adagrad
from glassnet.optim.adam import Adam, AdamW
from glassnet.optim.base import Optimizer
from glassnet.optim.clip import clip_grad_norm, clip_grad_value
from glassnet.optim.rmsprop import RMSprop
from glassnet.optim.schedules import (
    CosineAnnealing,
    CosineAnnealingLR,
    ExponentialLR,
    ReduceLROnPlateau,
    StepLR,
)
from glassnet.optim.sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "get",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CosineAnnealing",
    "ReduceLROnPlateau",
    "clip_grad_norm",
    "clip_grad_value",
    "clip",
    "schedules",
]

_BY_NAME = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(optimizer: str | type[Optimizer] | Optimizer, **config) -> Optimizer:
    """An optimizer from a name (``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``,
    ``"adagrad"``) or class, built with ``config`` (``get("sgd", lr=3.0)``); an Optimizer
    instance is returned unchanged. The result is unbound until ``bind(params)`` unless
    ``params=`` is in ``config``.
    """
    if isinstance(optimizer, Optimizer):
        if config:
            raise ConfigError(
                message(
                    "optim.get",
                    "settings cannot be applied to an optimizer that already exists",
                    f"{optimizer!r} with {config}",
                    "a name or class with settings, or an instance alone",
                    f"write optim.get({optimizer.name!r}, **settings)",
                )
            )
        return optimizer
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        return optimizer(**config)
    if isinstance(optimizer, str) and optimizer.lower() in _BY_NAME:
        return _BY_NAME[optimizer.lower()](**config)
    raise ConfigError(
        message(
            "optim.get",
            f"unknown optimizer {optimizer!r}",
            repr(optimizer),
            "one of " + ", ".join(sorted(_BY_NAME)) + ", an Optimizer class or instance",
        )
    )
