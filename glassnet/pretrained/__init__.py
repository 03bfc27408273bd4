"""Pretrained models shipped inside the package: ``gn.pretrained.load("mnist-cnn")``.

A pretrained model is a network someone already trained; starting from it instead of from
random weights, a new task needs far less data and time (transfer learning). Each model
here is an ordinary glassnet model file (JSON architecture + weights, no pickle), made by
``examples/make_pretrained_mnist_cnn.py``; ``README.md`` beside this file records the
seed, data, epochs and test accuracy of each.

Both models share one small architecture (0.8 and 0.4 MB of float32 weights):

    Conv2D(1 → 16, 3×3, same) · BatchNorm(16) · ReLU · MaxPool2D(2)      the convolutional
    Conv2D(16 → 32, 3×3, same) · BatchNorm(32) · ReLU · MaxPool2D(2)     base: layers 0–7
    Flatten · Dense(1568 → h) · ReLU · Dropout(0.3) · Dense(h → 10)      the head: 8–12

with h = 128 hidden units in ``mnist-cnn`` (99.40% test accuracy) and h = 64 in
``mnist-cnn-digits0-4``; the two bases are alike, so a base can move between them.

Input: float32 images (N, 1, 28, 28) in [0, 1] (``gn.vision.mnist_to_images``); output:
10 logits.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from glassnet.errors import ConfigError, message

if TYPE_CHECKING:
    from glassnet.nn.module import Module

__all__ = ["MODELS", "BASE_LAYERS", "load", "path"]

HERE = Path(__file__).resolve().parent

#: name → (file, what it was trained on)
MODELS = {
    "mnist-cnn": ("mnist_cnn.gn", "all ten MNIST digits"),
    "mnist-cnn-digits0-4": ("mnist_cnn_digits0-4.gn", "MNIST digits 0–4 only (for transfer)"),
}

#: Number of leading layers that form the convolutional base (up to and including the
#: second MaxPool2D): ``model.freeze(up_to=BASE_LAYERS)`` freezes exactly the base.
BASE_LAYERS = 8


def path(name: str) -> Path:
    """The model file of ``name`` (one of :data:`MODELS`)."""
    if name not in MODELS:
        raise ConfigError(
            message(
                "pretrained.load",
                f"no pretrained model named {name!r}",
                repr(name),
                "one of " + ", ".join(repr(n) for n in MODELS),
            )
        )
    return HERE / MODELS[name][0]


def load(name: str = "mnist-cnn") -> Module:
    """A fresh copy of the pretrained model ``name`` (a ``gn.Sequential``, not compiled).

    Every call reads the file again, so changing one copy never changes another.
    """
    from glassnet.training.io import load_model

    return load_model(path(name))
