"""``model.save_weights(path)`` / ``model.load_weights(path)``: the weights alone, no code.

``.safetensors`` files use the safetensors package's NumPy API (a JSON header of names,
dtypes and shapes, then raw little-endian bytes: nothing is executed when reading, and the
file is memory-mapped); any other suffix is a NumPy ``.npz`` read with
``allow_pickle=False``. Names are the model's state-dict names (``"0.w"``,
``"1.running_mean"``). Loading checks every name and shape against the model before
copying anything, as ``load_model`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glassnet.errors import DataError, message

if TYPE_CHECKING:
    import os

    from glassnet.nn.module import Module

__all__ = ["save_weights", "load_weights"]


def _is_safetensors(path: Path) -> bool:
    return path.suffix == ".safetensors"


def save_weights(model: Module, path: str | os.PathLike) -> None:
    """Write every parameter and buffer of ``model`` to ``path`` (see the module docstring)."""
    path = Path(path)
    state = {k: np.ascontiguousarray(v) for k, v in model.state_dict().items()}
    if _is_safetensors(path):
        from safetensors.numpy import save_file

        save_file(state, str(path), metadata={"format": "glassnet-weights"})
    else:
        with open(path, "wb") as file:
            np.savez(file, **state)


def _read(path: Path) -> dict:
    try:
        if _is_safetensors(path):
            from safetensors.numpy import load_file

            return load_file(str(path))
        with np.load(path, allow_pickle=False) as file:
            return {k: file[k] for k in file.files}
    except FileNotFoundError:
        raise
    except Exception as exc:  # the file's own format error, whichever reader raised it
        raise DataError(
            message(
                "load_weights",
                f"{str(path)!r} is not a weights file",
                f"{type(exc).__name__}: {exc}",
                "a file written by save_weights",
            )
        ) from None


def load_weights(model: Module, path: str | os.PathLike) -> None:
    """Copy the weights in ``path`` into ``model`` after checking every name and shape."""
    path = Path(path)
    state, expected = _read(path), model.state_dict()
    if set(state) != set(expected):
        missing = sorted(set(expected) - set(state))
        unexpected = sorted(set(state) - set(expected))
        raise DataError(
            message(
                "load_weights",
                "the names do not match the model",
                f"missing {missing}, unexpected {unexpected}",
                "the model's state-dict names",
            )
        )
    for name, value in state.items():
        if value.shape != expected[name].shape:
            raise DataError(
                message(
                    "load_weights",
                    f"weight {name!r} has the wrong shape",
                    str(value.shape),
                    str(expected[name].shape),
                )
            )
    model.load_state_dict(state)
