"""How user data becomes a tensor's array, and a seed a random Generator: the rules that
:class:`glassnet.tensor.Tensor` and every seeded layer, initializer and data loader follow.

Dtypes: the data is read as it is (strings are refused even when they spell numbers), then
cast to the asked ``dtype``, or to the default float dtype (float32) when it came as Python
numbers or lists; a NumPy array keeps its dtype. Only a float tensor can require a gradient.

Seeds: an int ≥ 0, a ``np.random.Generator`` (used as is) or None (fresh entropy, or the
Generator ``gn.manual_seed`` set). Nothing here knows Tensor: the tensor module builds on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import _config
from glassnet.errors import ConfigError, DTypeError, message

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

__all__ = ["to_array", "int_grad_message", "rng_from"]


def to_array(data: ArrayLike, dtype: DTypeLike | None, where: str) -> np.ndarray:
    """Convert user data to an ndarray with glassnet's dtype rules, or raise DTypeError.

    The data is read as it is first, so strings are refused even when they spell numbers
    ("1" never becomes 1.0); then it is cast to ``dtype``, or to the default float dtype
    when it came as Python numbers or lists.
    """
    try:
        array = np.asarray(data)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise DTypeError(
            message(
                where,
                "cannot convert the data to a numeric array",
                f"{type(data).__name__} ({exc})",
                "numbers",
                "pass numbers, lists of numbers or a NumPy array",
            )
        ) from None
    if dtype is None and not isinstance(data, np.ndarray | np.generic):
        dtype = _config.default_dtype
    target = array.dtype if dtype is None else np.dtype(dtype)
    for checked, what in ((array.dtype, "data of dtype"), (target, "dtype")):
        if checked.kind not in "fiub":
            raise DTypeError(
                message(
                    where,
                    f"{what.split()[0]} must be numeric",
                    f"{what} {checked}",
                    "a float, int or bool array",
                    "convert strings with float(...) or load_csv(...) first",
                )
            )
    return array.astype(target, copy=False)


def int_grad_message(dtype: DTypeLike) -> str:
    """Why an int or bool tensor cannot require a gradient, and what to do."""
    return message(
        "tensor",
        "only floating-point tensors can require a gradient",
        f"dtype {dtype}",
        "float32 or float64",
        "pass dtype='float32' or use .astype('float32')",
    )


def rng_from(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A Generator from an int seed ≥ 0, a Generator (returned as is) or None (fresh entropy,
    or the shared Generator that ``gn.manual_seed`` set)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None and _config.default_generator is not None:
        return _config.default_generator
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed < 0:
        raise ConfigError(
            message("seed", "a seed must not be negative", repr(seed), "an int ≥ 0 or None")
        )
    if seed is None or isinstance(seed, int | np.integer):
        return np.random.default_rng(seed)
    raise DTypeError(
        message(
            "seed",
            "a seed must be an int, None or np.random.Generator",
            type(seed).__name__,
            "int | np.random.Generator | None",
        )
    )
