"""``gn.layers``: the layer classes under Keras's namespace (the same classes as ``gn.nn``).

``gn.layers.Add()([h, x])`` and ``gn.nn.Add()([h, x])`` are one class; ``gn.layers.Input``
is ``gn.Input``.
"""

from glassnet.nn import (
    Add,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    BatchNorm,
    Concatenate,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    Identity,
    Input,
    LeakyReLU,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    Multiply,
    ReLU,
    Reshape,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)

__all__ = [
    "Add",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "BatchNorm",
    "Concatenate",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "GlobalAvgPool2D",
    "Identity",
    "Input",
    "LeakyReLU",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "Multiply",
    "ReLU",
    "Reshape",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
]
