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
    LogSoftmax,
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
from glassnet.nn.pool_nd import AvgPool1D, AvgPool3D, MaxPool1D, MaxPool3D
from glassnet.nn.reduce import Mean
from glassnet.nn.tensor_layers import (
    Bias,
    KeptMask,
    MatMul,
    MaxPoolIndices,
    Permute,
    Scale,
)

__all__ = [
    "Add",
    "Concatenate",
    "Input",
    "KeptMask",
    "Multiply",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "BatchNorm",
    "Bias",
    "Conv2D",
    "Conv2DTranspose",
    "GlobalAvgPool2D",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "MaxPoolIndices",
    "Reshape",
    "Dense",
    "Dropout",
    "Flatten",
    "Identity",
    "LeakyReLU",
    "LogSoftmax",
    "MatMul",
    "Mean",
    "Module",
    "ModuleDict",
    "ModuleList",
    "Parameter",
    "Perceptron",
    "Permute",
    "ReLU",
    "Scale",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "init",
]
