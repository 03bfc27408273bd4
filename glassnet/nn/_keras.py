"""What Dense and Conv2D share for the Keras form ``Dense(64, activation="relu")``.

A layer given only its output size is *unbuilt*: its input size is read from the first
batch it sees (``build``), and its weights are drawn then, from the generator it was given
at construction. ``input_shape=`` (the shape of one sample, without the batch axis) builds
at construction instead. ``activation=`` names an activation from :mod:`glassnet.activations`;
in a Sequential it becomes its own layer right after this one (``split_activation``), so
summaries, explanations and saved files show it as the explicit form would.
"""

from __future__ import annotations

from glassnet.errors import ConfigError, message

__all__ = ["KerasForm", "activation_module"]


def activation_module(name, where: str):
    """The activation module for ``name`` (a registered activation name), or None for
    None / ``"linear"``."""
    if name is None or name == "linear":
        return None
    from glassnet import activations  # the registry sits above nn: read at construction

    softmax = [s for s in activations.specs() if s.name == "softmax"]  # not elementwise
    if name == "softmax" and softmax:
        return softmax[0].make()
    if not isinstance(name, str) or name.lower() not in activations.names():
        raise ConfigError(
            message(
                where,
                "unknown activation",
                repr(name),
                "one of " + ", ".join(["linear", "softmax", *activations.names()]),
            )
        )
    return activations.get(name.lower()).module()


def input_size(where: str, input_shape, axis: int) -> int:
    """The size on ``axis`` of one sample of shape ``input_shape`` (checked)."""
    if not isinstance(input_shape, tuple | list) or len(input_shape) <= max(axis, -axis - 1):
        raise ConfigError(
            message(
                where,
                "input_shape must be the shape of one sample, without the batch axis",
                repr(input_shape),
                "(features,) for Dense, (channels, height, width) for Conv2D",
            )
        )
    return input_shape[axis]


class KerasForm:
    """Mixin: lazy building and the ``activation=`` shortcut (see the module docstring)."""

    activation = None
    _act = None
    sample_shape = None  # input_shape= as given: the shape of one sample

    def _set_activation(self, activation, where: str) -> None:
        object.__setattr__(self, "_act", activation_module(activation, where))
        self.activation = None if self._act is None else activation.lower()

    @property
    def built(self) -> bool:
        return hasattr(self, "w")

    def split_activation(self):
        """Detach and return the activation module (None if there is none): Sequential
        places it as the next layer."""
        act = self._act
        object.__setattr__(self, "_act", None)
        self.activation = None
        return act

    def _activate(self, z):
        return z if self._act is None else self._act(z)

    def not_built_error(self, where: str) -> ConfigError:
        return ConfigError(
            message(
                f"{where}: {self}",
                "this layer is not built yet: its input size is read from the first batch",
                hint="call the model on one batch (model.predict(x[:1])), or give "
                "input_shape= to the first layer, or the input size explicitly",
            )
        )
