"""What the explanations need to know about layers: elementwise activations and their slopes,
the formula lines of an op's or a layer's docstring, and the flat list of a model's layers.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np

from glassnet import nn
from glassnet.ops import activation

__all__ = ["Activation", "activation_of", "doc_line", "layers_of", "layer_label"]


@dataclass(frozen=True)
class Activation:
    """An elementwise activation a = f(z): its name, formulas and its slope f′(z)."""

    name: str
    forward: str
    slope_formula: str
    slope: object  # (z, a, module) -> f′(z), NumPy arrays


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))  # the same σ, without overflow


_ACTIVATIONS = {
    nn.Identity: Activation("identity", "a = z", "1", lambda z, a, m: np.ones_like(z)),
    nn.ReLU: Activation(
        "relu",
        "a = max(0, z)",
        "1 if z > 0 else 0",
        lambda z, a, m: (z > 0).astype(z.dtype),
    ),
    nn.Sigmoid: Activation(
        "sigmoid",
        "a = σ(z) = 1 / (1 + e⁻ᶻ)",
        "σ(z)·(1 − σ(z))",
        lambda z, a, m: a * (1 - a),
    ),
    nn.Tanh: Activation("tanh", "a = tanh(z)", "1 − tanh²(z)", lambda z, a, m: 1 - a * a),
    nn.Softplus: Activation(
        "softplus",
        "a = ln(1 + eᶻ)",
        "σ(z)",
        lambda z, a, m: _sigmoid(z),
    ),
}

_LEAKY = Activation(
    "leaky_relu",
    "a = z if z > 0 else α·z",
    "1 if z > 0 else α",
    lambda z, a, m: np.where(z > 0, 1.0, m.alpha).astype(z.dtype),
)


def activation_of(module) -> Activation | None:
    """The :class:`Activation` of an elementwise activation module, else None."""
    if isinstance(module, nn.LeakyReLU):
        return _LEAKY
    return _ACTIVATIONS.get(type(module))


def doc_line(obj, key: str) -> str | None:
    """The ``Forward:``/``Backward:`` line of a docstring (with its continuation lines)."""
    doc = inspect.getdoc(obj) or ""
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith(key + ":"):
            text = line.split(":", 1)[1].strip()
            for more in lines[i + 1 :]:
                if not (more.startswith(" ") and more.strip()):
                    break
                text += " " + more.strip()
            return text
    return None


def summary_line(obj) -> str:
    """The first line of a docstring, or the class name."""
    doc = inspect.getdoc(obj) or ""
    return doc.splitlines()[0] if doc else type(obj).__name__


def layers_of(model) -> list[tuple[str, object]]:
    """A model's layers in order with their names (``"0"``, ``"1"``, …): a Sequential's
    items, or the model itself as the only layer (a functional model's graph is not a chain)."""
    layers = None if getattr(model, "is_graph", False) else getattr(model, "layers", None)
    if isinstance(layers, list | tuple) and layers:
        return [(str(i), layer) for i, layer in enumerate(layers)]
    return [("", model)]


def layer_label(name: str, layer) -> str:
    """``"0 Dense(2 → 2)"``: the layer's index and its printed form."""
    text = str(layer) if type(layer).__str__ is not object.__str__ else repr(layer)
    return f"{name} {text}".strip()


# The op class of each activation module: its docstring holds the module's formula.
OP_OF_MODULE = {
    nn.ReLU: activation.ReLU,
    nn.Sigmoid: activation.Sigmoid,
    nn.Tanh: activation.Tanh,
    nn.Softplus: activation.Softplus,
    nn.Identity: activation.Identity,
    nn.LeakyReLU: activation.LeakyReLU,
    nn.Softmax: activation.Softmax,
}
