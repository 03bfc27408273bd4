"""Constructors: tensors made from data, filled with a constant, a range, or random samples.

Every one is float32 unless ``dtype`` says otherwise (``tensor`` also keeps the dtype of a
NumPy array it is given). They are re-exported as ``gn.tensor``, ``gn.zeros``,
``gn.randn``, ... Random constructors take ``seed``: an int, a Generator or None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import _config
from glassnet.tensor import Tensor, rng_from

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

__all__ = ["tensor", "zeros", "ones", "full", "arange", "eye", "randn", "rand"]


def tensor(
    data: ArrayLike | Tensor,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """Make a tensor (a copy of ``data``). float32 unless ``data`` or ``dtype`` say otherwise.

    >>> tensor([[1, 2], [3, 4]]).shape
    (2, 2)
    """
    data = data.data if isinstance(data, Tensor) else data
    t = Tensor(data, dtype=dtype, requires_grad=requires_grad, name=name)
    if t.data is data:  # no conversion was needed, so nothing was copied yet
        t.data = data.copy()
    return t


def zeros(
    shape: int | tuple[int, ...], dtype: DTypeLike | None = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of zeros of the given shape."""
    return Tensor(np.zeros(shape, dtype or _config.default_dtype), requires_grad=requires_grad)


def ones(
    shape: int | tuple[int, ...], dtype: DTypeLike | None = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of ones of the given shape."""
    return Tensor(np.ones(shape, dtype or _config.default_dtype), requires_grad=requires_grad)


def full(
    shape: int | tuple[int, ...],
    value: float,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of the given shape with every element equal to ``value``."""
    return Tensor(
        np.full(shape, value, dtype or _config.default_dtype), requires_grad=requires_grad
    )


def arange(
    start: float, stop: float | None = None, step: float = 1, dtype: DTypeLike | None = None
) -> Tensor:
    """Evenly spaced values in [start, stop), like ``np.arange`` (float32 by default)."""
    if stop is None:
        start, stop = 0, start
    return Tensor(np.arange(start, stop, step, dtype=dtype or _config.default_dtype))


def eye(n: int, m: int | None = None, dtype: DTypeLike | None = None) -> Tensor:
    """The identity matrix I (n × m), with I[i, i] = 1."""
    return Tensor(np.eye(n, m, dtype=dtype or _config.default_dtype))


def randn(
    shape: int | tuple[int, ...],
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples of the standard normal N(0, 1). ``seed``: int, Generator or None."""
    dtype = np.dtype(dtype or _config.default_dtype)
    data = rng_from(seed).standard_normal(shape).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad)


def rand(
    shape: int | tuple[int, ...],
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples of the uniform distribution on [0, 1). ``seed``: int, Generator or None."""
    dtype = np.dtype(dtype or _config.default_dtype)
    data = rng_from(seed).random(shape).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad)
