"""Map-style datasets, as PyTorch users write them, and the collate that batches them.

A map-style dataset is anything with ``__len__`` and ``__getitem__(i)`` returning one
sample, usually a pair ``(x, y)``. :class:`~glassnet.data.DataLoader` takes one in place
of arrays; it gathers B samples and :func:`collate` stacks them field by field into
NumPy arrays (B, ...). :class:`Dataset` is the base class to subclass (optional: any
object with the two methods works); :class:`TensorDataset` wraps arrays of equal length.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from glassnet.data._arrays import as_array
from glassnet.errors import ConfigError, DataError, ShapeError, message
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Dataset", "TensorDataset", "collate", "is_map_dataset"]


class Dataset(ABC):
    """Base class of map-style datasets: define ``__len__`` and ``__getitem__(i)``.

    >>> import numpy as np
    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 4
    ...     def __getitem__(self, i):
    ...         return np.array([i], np.float32), i * i
    >>> from glassnet.data import DataLoader
    >>> [yb.tolist() for _, yb in DataLoader(Squares(), batch_size=2, shuffle=False)]
    [[0, 1], [4, 9]]
    """

    @abstractmethod
    def __len__(self) -> int:
        """The number of samples."""

    @abstractmethod
    def __getitem__(self, index):
        """Sample ``index`` (0 ≤ index < len): usually a pair ``(x, y)``."""


class TensorDataset(Dataset):
    """Samples are rows of arrays of equal length: ``dataset[i] = (a[i], b[i], ...)``.

    >>> import numpy as np
    >>> ds = TensorDataset(np.zeros((5, 2)), np.arange(5))
    >>> len(ds), ds[3][1]
    (5, np.int64(3))
    """

    def __init__(self, *arrays: ArrayLike) -> None:
        if not arrays:
            raise ConfigError(
                message("TensorDataset", "needs at least one array", "none", "x (and y, ...)")
            )
        self.arrays = tuple(
            as_array(a, "TensorDataset", f"array {i}") for i, a in enumerate(arrays)
        )
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) > 1:
            raise ShapeError(
                message(
                    "TensorDataset",
                    "the arrays hold different numbers of samples",
                    f"lengths {lengths}",
                    "equal lengths along the first axis",
                )
            )

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)


def is_map_dataset(data: object) -> bool:
    """True for a Dataset, or any object with ``__len__`` and ``__getitem__`` that is not
    array-like (an ndarray, a Tensor, a list or anything with ``__array__``)."""
    if isinstance(data, Dataset):
        return True
    if isinstance(data, np.ndarray | Tensor | Sequence) or hasattr(data, "__array__"):
        return False
    return hasattr(data, "__len__") and hasattr(data, "__getitem__")


def collate(samples: list) -> np.ndarray | tuple | dict:
    """Stack B samples into a batch: a tuple of arrays for tuple samples, a dict of arrays
    for dict samples, one array otherwise (``np.stack`` along a new first axis).

    >>> import numpy as np
    >>> xb, yb = collate([(np.zeros(3), 1), (np.ones(3), 0)])
    >>> xb.shape, yb.tolist()
    ((2, 3), [1, 0])
    """
    first = samples[0]
    if isinstance(first, tuple | list):
        return tuple(_stack([s[k] for s in samples], f"field {k}") for k in range(len(first)))
    if isinstance(first, dict):
        return {key: _stack([s[key] for s in samples], f"field {key!r}") for key in first}
    return _stack(samples, "the samples")


def _stack(values: list, what: str) -> np.ndarray:
    arrays = [v.data if isinstance(v, Tensor) else np.asarray(v) for v in values]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise DataError(
            message(
                "DataLoader (collate)",
                f"{what} differ in shape across the batch, so they cannot be stacked",
                f"shapes {sorted(shapes)}",
                "one shape per field",
                "pad or resize samples in __getitem__, or pass collate_fn=",
            )
        )
    return np.stack(arrays)
