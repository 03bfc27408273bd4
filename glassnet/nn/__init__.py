"""Layers and modules: ``gn.nn.Dense(784, 128)``, ``gn.nn.ReLU()``, ..."""

from glassnet.nn import init
from glassnet.nn.layers import (
    Dense,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from glassnet.nn.module import Module, Parameter

__all__ = [
    "Dense",
    "Dropout",
    "Flatten",
    "Identity",
    "LeakyReLU",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "init",
]
