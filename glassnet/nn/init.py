"""Weight initialisers. Each takes a shape and a seed (int, Generator or None).

For a weight matrix w of shape (fan_in, fan_out) (Dense stores w as (in, out)); for a
convolution kernel (C_out, C_in, K_h, K_w): fan_in = C_in·K_h·K_w, fan_out = C_out·K_h·K_w.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from glassnet.errors import ConfigError, message
from glassnet.tensor import rng_from

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import DTypeLike

__all__ = [
    "zeros",
    "constant",
    "normal",
    "uniform",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
    "get",
    "fans",
]


def fans(shape: tuple) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shape, as defined in the module docstring."""
    if len(shape) < 2:
        return int(shape[0]) if shape else 1, int(shape[0]) if shape else 1
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive = int(np.prod(shape[2:]))
    return int(shape[1]) * receptive, int(shape[0]) * receptive


def zeros(
    shape: int | tuple[int, ...],
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """w = 0 (the usual choice for biases; for weights it leaves every unit identical)."""
    return np.zeros(shape, dtype)


def constant(
    shape: int | tuple[int, ...],
    value: float = 0.0,
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """w = value."""
    return np.full(shape, value, dtype)


def normal(
    shape: int | tuple[int, ...],
    std: float = 0.05,
    mean: float = 0.0,
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """w ~ N(mean, std²)."""
    if not std > 0:
        raise ConfigError(message("init.normal", "std must be positive", f"std={std}", "std > 0"))
    return (mean + std * rng_from(seed).standard_normal(shape)).astype(dtype)


def uniform(
    shape: int | tuple[int, ...],
    low: float = -1.0,
    high: float = 1.0,
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """w ~ U(low, high); the seeds start their networks from U(−1, 1)."""
    if not low < high:
        raise ConfigError(
            message(
                "init.uniform", "low must be below high", f"low={low}, high={high}", "low < high"
            )
        )
    return rng_from(seed).uniform(low, high, shape).astype(dtype)


def glorot_uniform(
    shape: int | tuple[int, ...],
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """Glorot/Xavier uniform: w ~ U(−a, a), a = √(6 / (fan_in + fan_out)). Keras' default."""
    fan_in, fan_out = fans(shape)
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(shape, -a, a, seed, dtype)


def glorot_normal(
    shape: int | tuple[int, ...],
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """Glorot/Xavier normal: w ~ N(0, 2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(shape)
    return normal(shape, math.sqrt(2.0 / (fan_in + fan_out)), seed=seed, dtype=dtype)


def he_uniform(
    shape: int | tuple[int, ...],
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """He/Kaiming uniform (for ReLU): w ~ U(−a, a), a = √(6 / fan_in)."""
    a = math.sqrt(6.0 / fans(shape)[0])
    return uniform(shape, -a, a, seed, dtype)


def he_normal(
    shape: int | tuple[int, ...],
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """He/Kaiming normal (for ReLU): w ~ N(0, 2 / fan_in)."""
    return normal(shape, math.sqrt(2.0 / fans(shape)[0]), seed=seed, dtype=dtype)


def lecun_normal(
    shape: int | tuple[int, ...],
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """LeCun normal (for tanh/SELU): w ~ N(0, 1 / fan_in)."""
    return normal(shape, math.sqrt(1.0 / fans(shape)[0]), seed=seed, dtype=dtype)


_BY_NAME = {
    "zeros": zeros,
    "constant": constant,
    "normal": normal,
    "uniform": uniform,
    "glorot_uniform": glorot_uniform,
    "xavier_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "xavier_normal": glorot_normal,
    "he_uniform": he_uniform,
    "kaiming_uniform": he_uniform,
    "he_normal": he_normal,
    "kaiming_normal": he_normal,
    "lecun_normal": lecun_normal,
}


def get(init: str | Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """An initialiser from its name (``"he_normal"``) or a callable(shape, seed, dtype)."""
    if callable(init):
        return init
    if init not in _BY_NAME:
        raise ConfigError(
            message(
                "init",
                f"unknown initialiser {init!r}",
                repr(init),
                "one of " + ", ".join(sorted(_BY_NAME)),
            )
        )
    return _BY_NAME[init]
