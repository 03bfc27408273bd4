"""``gn.layers``: the layer classes under Keras's namespace (the same classes as ``gn.nn``).

``gn.layers.Add()([h, x])`` and ``gn.nn.Add()([h, x])`` are one class; ``gn.layers.Input``
is ``gn.Input``.
"""

from glassnet.nn import (
    Add,
    AvgPool2D,
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
    MaxPool2D,
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
    "AvgPool2D",
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
    "MaxPool2D",
    "Multiply",
    "ReLU",
    "Reshape",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
]
