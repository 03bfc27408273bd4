"""ModuleList and ModuleDict: sub-modules held in a list or a dict, registered by name.

A plain Python list of layers assigned to a module is invisible to ``parameters()``
(nothing trains); these containers register each entry under its index (``"0"``, ``"1"``)
or key, so names read ``blocks.1.w`` as in PyTorch. They hold layers; they have no
``forward`` of their own (call the entries).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from glassnet.errors import ConfigError, TensorIndexError, message
from glassnet.nn.module import Module

if TYPE_CHECKING:
    from typing import NoReturn

    from glassnet.tensor import Tensor


__all__ = ["ModuleList", "ModuleDict", "ModuleKeyError"]


class ModuleKeyError(ConfigError, KeyError):
    """A ModuleDict has no entry under the key asked for."""


def _no_config(where: str) -> dict:
    raise ConfigError(
        message(
            where,
            "a container inside a custom Module has no file architecture of its own",
            hint="save model.state_dict() with np.savez, rebuild the model in code and "
            "call load_state_dict (see the README's PyTorch-style loop)",
        )
    )


def _checked_module(where: str, name, value) -> Module:
    if not isinstance(value, Module):
        raise ConfigError(
            message(
                where,
                f"entry {name!r} must be a Module",
                type(value).__name__,
                "a glassnet.nn.Module",
                "write gn.nn.ReLU() (an instance), not gn.nn.ReLU",
            )
        )
    return value


class ModuleList(Module):
    """A list of layers whose parameters are registered (entry i under the name ``i``).

    >>> import glassnet as gn
    >>> blocks = gn.nn.ModuleList([gn.nn.Dense(2, 3), gn.nn.Dense(3, 1)])
    >>> [name for name, _ in blocks.named_parameters()]
    ['0.w', '0.b', '1.w', '1.b']
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        index = len(self._modules)
        setattr(self, str(index), _checked_module("ModuleList.append", index, module))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def get_config(self) -> dict:
        return _no_config("save: ModuleList")

    def _items(self) -> list[Module]:
        return [self._modules[str(i)] for i in range(len(self._modules))]

    def __getitem__(self, index):
        items = self._items()
        if isinstance(index, slice):
            return ModuleList(items[index])
        if not -len(items) <= index < len(items):
            raise TensorIndexError(
                message("ModuleList", "index out of range", repr(index), f"< {len(items)}")
            )
        return items[index]

    def __setitem__(self, index: int, module: Module) -> None:
        self[index]  # noqa: B018 - the range check of __getitem__
        index = index % len(self)
        module = _checked_module("ModuleList", index, module)
        modules = {k: (module if k == str(index) else m) for k, m in self._modules.items()}
        self._modules.clear()
        self._modules.update(modules)  # registration order stays the list order
        object.__setattr__(self, str(index), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items())

    def forward(self, x: Tensor) -> NoReturn:
        raise ConfigError(
            message(
                "ModuleList",
                "a ModuleList holds layers and has no forward of its own",
                "a call ModuleList(x)",
                "calls of its entries",
                "loop over it in your forward: for layer in self.layers: x = layer(x); "
                "or use gn.nn.Sequential",
            )
        )


class ModuleDict(Module):
    """A dict of layers whose parameters are registered under their keys.

    >>> import glassnet as gn
    >>> heads = gn.nn.ModuleDict({"mean": gn.nn.Dense(4, 1), "std": gn.nn.Dense(4, 1)})
    >>> sorted(name for name, _ in heads.named_parameters())
    ['mean.b', 'mean.w', 'std.b', 'std.w']
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable = ()) -> None:
        super().__init__()
        self.update(modules)

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        items = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in items:
            self[key] = module

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str) or not key or "." in key:
            raise ConfigError(
                message(
                    "ModuleDict",
                    "keys must be non-empty strings without dots (they become parameter names)",
                    repr(key),
                    "a name such as 'encoder'",
                )
            )
        setattr(self, key, _checked_module("ModuleDict", key, module))

    def get_config(self) -> dict:
        return _no_config("save: ModuleDict")

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise ModuleKeyError(
                message("ModuleDict", "no such key", repr(key), f"one of {list(self._modules)}")
            )
        return self._modules[key]

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018 - the KeyError above for an unknown key
        delattr(self, key)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def keys(self) -> list[str]:
        return list(self._modules)

    def values(self) -> list[Module]:
        return list(self._modules.values())

    def items(self) -> list[tuple[str, Module]]:
        return list(self._modules.items())

    def forward(self, x: Tensor) -> NoReturn:
        raise ConfigError(
            message(
                "ModuleDict",
                "a ModuleDict holds layers and has no forward of its own",
                "a call ModuleDict(x)",
                "calls of its entries",
                "call an entry in your forward: self.heads['mean'](x)",
            )
        )
