"""PyTorch weights in and out: ``load_torch_state_dict`` and ``torch_state_dict``.

A PyTorch state dict is a mapping from dotted names to arrays. For a model of the same
structure (the same layers in the same order) the names line up, except for the layouts
and names PyTorch uses:

    torch.nn.Linear   weight (out, in), bias     ↔  Dense   w (in, out) = weightᵀ, b
    torch.nn.Conv2d   weight (out, in, kh, kw)   ↔  Conv2D  w, the same layout
    torch.nn.BatchNorm weight, bias, running_mean, running_var (num_batches_tracked)
                                                 ↔  BatchNorm gamma, beta, running_mean,
                                                    running_var (no step counter)

glassnet never imports torch: values may be torch tensors (read with ``.numpy()`` after
``.detach()``), NumPy arrays or anything ``np.asarray`` accepts, and ``torch_state_dict``
returns NumPy arrays (wrap them with ``torch.from_numpy`` to load them into torch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from glassnet import nn
from glassnet.errors import ConfigError, ShapeError, fmt_shape, message

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from glassnet.nn.module import Module

__all__ = ["load_torch_state_dict", "torch_state_dict", "LoadResult"]

# glassnet attribute → PyTorch name, per layer class
_NAMES = {
    nn.Dense: {"w": "weight", "b": "bias"},
    nn.Conv2D: {"w": "weight", "b": "bias"},
    nn.BatchNorm: {
        "gamma": "weight",
        "beta": "bias",
        "running_mean": "running_mean",
        "running_var": "running_var",
    },
}
_IGNORED = ("num_batches_tracked",)  # PyTorch's BatchNorm step counter has no twin here


class LoadResult(NamedTuple):
    """What ``load_torch_state_dict`` did not match, as PyTorch's ``load_state_dict`` reports."""

    missing_keys: list
    unexpected_keys: list


def _entries(model) -> dict[str, tuple]:
    """PyTorch name → (module, glassnet attribute, transposed?) for every weight and buffer."""
    entries = {}
    for prefix, module in model.named_modules():
        names = next((v for k, v in _NAMES.items() if type(module) is k), None)
        if names is None:
            own = list(module._parameters) + list(module.buffers())
            if own:
                raise ConfigError(
                    message(
                        "interop",
                        f"layer {prefix or type(module).__name__} ({type(module).__name__}) "
                        "has no PyTorch counterpart",
                        type(module).__name__,
                        "Dense, Conv2D, BatchNorm or parameter-free layers",
                    )
                )
            continue
        for attr, torch_name in names.items():
            if attr in module._parameters or attr in module.buffers():
                key = f"{prefix}.{torch_name}" if prefix else torch_name
                entries[key] = (module, attr, isinstance(module, nn.Dense) and attr == "w")
    return entries


def _array(value) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.asarray(value)


def load_torch_state_dict(
    model: Module, state_dict: Mapping[str, Any], strict: bool = True
) -> LoadResult:
    """Copy a PyTorch ``state_dict`` into ``model`` (same structure, same names).

    Linear weights are transposed into Dense's (in, out); every shape is checked before
    anything is copied. Returns ``(missing_keys, unexpected_keys)``; with ``strict`` (the
    default, as in PyTorch) either list being non-empty raises ConfigError instead.
    """
    entries = _entries(model)
    given = {k: v for k, v in state_dict.items() if not k.endswith(_IGNORED)}
    missing = [k for k in entries if k not in given]
    unexpected = [k for k in given if k not in entries]
    if strict and (missing or unexpected):
        raise ConfigError(
            message(
                "load_torch_state_dict",
                "the state dict's keys do not match the model",
                f"missing_keys={missing}, unexpected_keys={unexpected}",
                "the keys of the same architecture in PyTorch",
                "pass strict=False to load the keys that match",
            )
        )
    arrays = _checked_arrays(entries, given)
    for key, value in arrays.items():  # every check passed: now copy
        module, attr, _ = entries[key]
        if attr in module._parameters:
            np.copyto(module._parameters[attr].data, value, casting="unsafe")
        else:
            module.set_buffer(attr, value.astype(_current(module, attr).dtype))
    return LoadResult(missing, unexpected)


def _checked_arrays(entries: dict, given: dict) -> dict[str, np.ndarray]:
    """The given values in glassnet's layout, every shape checked before anything is copied."""
    arrays = {}
    for key in (k for k in entries if k in given):
        module, attr, transposed = entries[key]
        value = _array(given[key])
        value = value.T if transposed else value
        current = _current(module, attr)
        if value.shape != current.shape:
            raise ShapeError(
                message(
                    "load_torch_state_dict",
                    f"{key!r} has the wrong shape",
                    fmt_shape(value.shape),
                    fmt_shape(current.shape)
                    + (" (Dense: (in, out), torch (out, in))" if transposed else ""),
                )
            )
        arrays[key] = value
    return arrays


def _current(module, attr: str) -> np.ndarray:
    return module._parameters[attr].data if attr in module._parameters else module.buffers()[attr]


def torch_state_dict(model: Module) -> dict[str, np.ndarray]:
    """The model's weights under PyTorch's names and layouts, as NumPy arrays (copies).

    ``torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})`` loads
    it (PyTorch does not require BatchNorm's ``num_batches_tracked``, which glassnet has not).
    """
    state = {}
    for key, (module, attr, transposed) in _entries(model).items():
        value = _current(module, attr)
        state[key] = np.ascontiguousarray(value.T if transposed else value).copy()
    return state
