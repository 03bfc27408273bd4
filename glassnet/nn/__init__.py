"""Layers and modules: ``gn.nn.Dense(784, 128)``, ``gn.nn.ReLU()``, ..."""

from glassnet.nn import init
from glassnet.nn.containers import ModuleDict, ModuleList
from glassnet.nn.conv import AvgPool2D, BatchNorm, Conv2D, GlobalAvgPool2D, MaxPool2D, Reshape
from glassnet.nn.conv_transpose import Conv2DTranspose
from glassnet.nn.graph import Input
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
from glassnet.nn.merge import Add, Concatenate, Multiply
from glassnet.nn.module import Module, Parameter
from glassnet.nn.perceptron import Perceptron

__all__ = [
    "Add",
    "Concatenate",
    "Input",
    "Multiply",
    "AvgPool2D",
    "BatchNorm",
    "Conv2D",
    "Conv2DTranspose",
    "GlobalAvgPool2D",
    "MaxPool2D",
    "Reshape",
    "Dense",
    "Dropout",
    "Flatten",
    "Identity",
    "LeakyReLU",
    "Module",
    "ModuleDict",
    "ModuleList",
    "Parameter",
    "Perceptron",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "init",
]
