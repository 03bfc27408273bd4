"""Module and Parameter: the containers that give every weight a name and a place.

A Module registers the Parameters and sub-Modules assigned to it, in definition order.
Names join attribute names with dots: a Sequential's first layer's weight is ``0.w``.
Those names are used in traces, state dicts, summaries and error messages.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from glassnet import _config
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message
from glassnet.nn.graph import call_symbolic, is_symbolic
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from numpy.typing import ArrayLike


__all__ = ["Module", "Parameter", "UnregisteredModulesWarning"]


class Parameter(Tensor):
    """A tensor that a Module owns and an optimizer updates (``requires_grad=True``).

    ``trainable`` is False for frozen parameters: they get no gradient and no update.
    """

    __slots__ = ()

    def __init__(self, data: ArrayLike, name: str | None = None) -> None:
        array = np.asarray(data.data if isinstance(data, Tensor) else data)
        if array.dtype.kind != "f":
            array = array.astype(np.float32)
        super().__init__(array, dtype=array.dtype, requires_grad=True, name=name)

    @property
    def trainable(self) -> bool:
        return self.requires_grad

    @trainable.setter
    def trainable(self, flag: bool) -> None:
        self.requires_grad = bool(flag)
        if not flag:
            self.grad = None


class Module:
    """Base class of layers and models: ``forward(x)`` plus registered parameters.

    Subclasses assign Parameters and Modules as attributes in ``__init__`` and define
    ``forward``. ``module(x)`` calls ``forward``. ``training`` is True after ``train()``
    and False after ``eval()`` (Dropout and BatchNorm read it).
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise ConfigError(
                message(
                    type(self).__name__,
                    f"Module.__init__() was not called before assigning attribute {name!r}",
                    hint="call super().__init__() first in __init__",
                )
            )
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            _warn_unregistered(self, name, value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def __call__(self, x: Tensor | ArrayLike, *args, **kwargs) -> Any:
        if is_symbolic(x):  # functional API: record the call (see glassnet.nn.graph)
            return call_symbolic(self, x)
        if _config.state.recorder is not None:  # a captured step guards on its modules' modes
            _config.state.recorder.on_module(self)
        return self.forward(x, *args, **kwargs)

    def forward(self, x: Tensor | ArrayLike) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must define forward(x)")

    # ---- traversal --------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, depth first, with dotted names."""
        yield prefix, self
        for name, module in self._modules.items():
            yield from module.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        return (m for _, m in self.named_modules())

    def children(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name (``"0.w"``), in definition order.

        A parameter shared by two layers is listed once, under its first name, so an
        optimizer never updates it twice per step.
        """
        seen: set[int] = set()
        for name, p in self._named_parameters_with_repeats(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _named_parameters_with_repeats(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for name, p in self._parameters.items():
            yield (f"{prefix}.{name}" if prefix else name), p
        for name, module in self._modules.items():
            yield from module._named_parameters_with_repeats(
                f"{prefix}.{name}" if prefix else name
            )

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def trainable_parameters(self) -> list[Parameter]:
        return [p for p in self.parameters() if p.trainable]

    def count_params(self, trainable: bool | None = None) -> int:
        """Number of scalar parameters: all (None), trainable only (True) or frozen (False)."""
        return sum(
            p.size for p in self.parameters() if trainable is None or p.trainable == trainable
        )

    def zero_grad(self) -> None:
        """Forget accumulated gradients (set every parameter's ``grad`` to None)."""
        if _config.state.recorder is not None:
            _config.state.recorder.on_call(self, "zero_grad")
        for p in self.parameters():
            p.grad = None

    # ---- modes ------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout drops, BatchNorm uses batch statistics)."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (Dropout passes through, BatchNorm uses running statistics)."""
        return self.train(False)

    @property
    def trainable(self) -> bool:
        """False when every parameter of this module is frozen.

        Setting it freezes (False) or unfreezes (True) every parameter of the module and
        its sub-modules: frozen parameters get no gradient from backward and no update
        from an optimizer, while gradients still flow through the layer to earlier ones.
        """
        params = self.parameters()
        return not params or any(p.trainable for p in params)

    @trainable.setter
    def trainable(self, flag: bool) -> None:
        for p in self.parameters():
            p.trainable = flag

    # ---- state --------------------------------------------------------------------------
    def buffers(self) -> dict[str, np.ndarray]:
        """Non-trainable state saved with the weights (BatchNorm's running statistics)."""
        return {}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, keyed by dotted name."""
        state = {name: p.data.copy() for name, p in self.named_parameters()}
        for prefix, module in self.named_modules():
            for name, value in module.buffers().items():
                state[f"{prefix}.{name}" if prefix else name] = np.array(value, copy=True)
        return state

    def load_state_dict(self, state: dict, strict: bool = True) -> None:
        """Copy arrays into the parameters (in place) and buffers; shapes must match exactly."""
        own = dict(self.named_parameters())
        buffers = {}
        for prefix, module in self.named_modules():
            for name in module.buffers():
                buffers[f"{prefix}.{name}" if prefix else name] = (module, name)
        missing = [k for k in list(own) + list(buffers) if k not in state]
        unexpected = [k for k in state if k not in own and k not in buffers]
        if strict and (missing or unexpected):
            raise ConfigError(
                message(
                    "load_state_dict",
                    "the names do not match the model",
                    f"missing {missing}, unexpected {unexpected}",
                    "exactly the model's parameter names",
                )
            )
        for name, p in own.items():
            if name in state:
                np.copyto(
                    p.data, _checked(name, p.data, state[name])
                )  # in place: views stay valid
        for name, (module, attr) in buffers.items():
            if name in state:
                module.set_buffer(attr, _checked(name, module.buffers()[attr], state[name]))

    def get_weights(self) -> list[np.ndarray]:
        """Keras's form of :meth:`state_dict`: copies of every parameter and buffer, as a
        list in state-dict order (named_parameters, then buffers)."""
        return list(self.state_dict().values())

    def set_weights(self, weights: Sequence[ArrayLike]) -> None:
        """Keras's form of :meth:`load_state_dict`: a list in :meth:`get_weights` order.
        Every count and shape is checked before any weight changes."""
        names = list(self.state_dict())
        weights = list(weights)
        if len(weights) != len(names):
            raise ConfigError(
                message(
                    "set_weights",
                    "the number of arrays does not match the model",
                    f"{len(weights)} arrays",
                    f"{len(names)} ({', '.join(names) or 'none: is the model built yet?'})",
                )
            )
        state = self.state_dict()
        for name, value in zip(names, weights, strict=True):
            _checked(name, state[name], value)
        self.load_state_dict(dict(zip(names, weights, strict=True)))

    def set_buffer(self, name: str, value: np.ndarray) -> None:
        object.__setattr__(self, name, value)

    # ---- configuration: what rebuilds the layer (save/load) ------------------------------
    def get_config(self) -> dict:
        """The constructor arguments that rebuild this layer, as a JSON-able dict:
        ``type(layer).from_config(layer.get_config())`` is a fresh layer of the same shape
        (weights come separately, from the state dict). Built-in layers define it; a
        ``seed`` and a ``dtype`` are never part of it.

        This default serves custom layers: no arguments for a class without its own
        ``__init__``, else each argument read back from the attribute of the same name
        (``def __init__(self, size)`` needs ``self.size``). Override it otherwise.
        """
        init = type(self).__init__
        if init is Module.__init__:
            return {}
        config, where = {}, f"save: layer {type(self).__name__}"
        for name, arg in inspect.signature(init).parameters.items():
            if name in ("self", "seed", "dtype") or arg.kind in (
                arg.VAR_POSITIONAL,
                arg.VAR_KEYWORD,
            ):
                continue
            if hasattr(self, name):
                value = getattr(self, name)
                config[name] = list(value) if isinstance(value, tuple) else value
            elif arg.default is arg.empty:
                raise ConfigError(
                    message(
                        where,
                        f"the constructor argument {name!r} is not stored on the layer",
                        hint=f"keep it as self.{name}, or define get_config()",
                    )
                )
        return config

    @classmethod
    def from_config(cls, config: dict) -> Module:
        """A fresh layer from :meth:`get_config`'s dict (``cls(**config)`` by default)."""
        return cls(**config)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        if not self._modules:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({n}): {m!r}".replace("\n", "\n  ") for n, m in self._modules.items()]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


class UnregisteredModulesWarning(UserWarning):
    """Layers were assigned inside a plain list or dict: their parameters are not registered."""


def _warn_unregistered(owner: Module, name: str, value) -> None:
    """Warn when a plain list/tuple/dict of layers is assigned: PyTorch's ModuleList habit."""
    if isinstance(value, list | tuple):
        entries, container = value, "ModuleList"
    elif isinstance(value, dict):
        entries, container = value.values(), "ModuleDict"
    else:
        return
    if any(isinstance(entry, Module) for entry in entries):
        warnings.warn(
            message(
                f"{type(owner).__name__}.{name}",
                f"a plain {type(value).__name__} of layers registers none of their "
                "parameters (parameters() misses them and nothing in them trains)",
                type(value).__name__,
                f"gn.nn.{container}",
                f"write self.{name} = gn.nn.{container}(...)",
            ),
            UnregisteredModulesWarning,
            stacklevel=3,
        )


def _checked(name: str, current: np.ndarray, value) -> np.ndarray:
    value = np.asarray(value)
    if value.shape != current.shape:
        raise ShapeError(
            message(
                "load_state_dict",
                f"{name!r} has the wrong shape",
                fmt_shape(value.shape),
                fmt_shape(current.shape),
            )
        )
    return np.array(value, dtype=current.dtype, copy=True)
