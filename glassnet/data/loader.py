"""DataLoader: one shuffle per epoch, batches by slicing.

Gradient descent, stochastic gradient descent and mini-batch gradient descent are one
update rule fed different batch sizes B out of N samples:

    batch_size=None   B = N    gradient descent (the full batch, one step per epoch)
    batch_size=1      B = 1    stochastic gradient descent (N steps per epoch)
    batch_size=k      B = k    mini-batch gradient descent (⌈N / k⌉ steps per epoch)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from glassnet._validate import positive_int
from glassnet.data._arrays import as_array, check_same_length
from glassnet.data.datasets import TensorDataset, collate, is_map_dataset
from glassnet.errors import ConfigError, message
from glassnet.tensor import rng_from

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    from numpy.typing import ArrayLike

    from glassnet.data.datasets import Dataset

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate over ``(x_batch, y_batch)`` pairs of NumPy arrays, epoch after epoch.

    Each ``iter(loader)`` is one epoch: with ``shuffle=True`` it draws one permutation of
    the N sample indices from the loader's Generator (built once from ``seed``, so epochs
    differ from each other yet a seed replays them all), then cuts it into consecutive
    slices of ``batch_size``; a batch is one fancy-index gather ``x[perm[i:i+B]]``, never
    a Python loop over samples. With ``shuffle=False`` batches are views ``x[i:i+B]`` in
    order (do not modify them in place). The last batch holds the N mod B leftover
    samples unless ``drop_last=True``.

    ``x`` may instead be a map-style dataset (PyTorch's habit: ``__len__`` and
    ``__getitem__(i)`` returning ``(x, y)``, e.g. a :class:`~glassnet.data.Dataset`);
    then each batch gathers B samples and ``collate_fn`` (default
    :func:`~glassnet.data.collate`) stacks them into arrays. A TensorDataset of two
    arrays is batched by slicing, like arrays.

    Args:
        x: samples along the first axis: an ndarray, a glassnet Tensor or anything with
            ``__array__`` (a pandas DataFrame), or a map-style dataset. dtype is kept.
        y: targets with the same first-axis length, or None; then iteration yields
            ``x_batch`` alone.
        batch_size: None (full batch), or an integer ≥ 1.
        shuffle: draw a new permutation each epoch.
        seed: int, np.random.Generator or None.
        drop_last: skip the final batch when it is smaller than ``batch_size``.
        collate_fn: turns a list of dataset samples into a batch (datasets only).

    >>> import numpy as np
    >>> loader = DataLoader(np.arange(10), np.arange(10) * 2, batch_size=4, shuffle=False)
    >>> len(loader), [yb.tolist() for _, yb in loader]
    (3, [[0, 2, 4, 6], [8, 10, 12, 14], [16, 18]])
    """

    def __init__(
        self,
        x: ArrayLike | Dataset,
        y: ArrayLike | None = None,
        batch_size: int | None = 32,
        shuffle: bool = True,
        seed: int | np.random.Generator | None = None,
        drop_last: bool = False,
        collate_fn: Callable[[list], object] = collate,
    ) -> None:
        self.dataset, self.collate_fn = None, collate_fn
        if isinstance(x, TensorDataset) and len(x.arrays) == 2 and y is None:
            x, y = x.arrays  # batched by slicing, no Python loop over samples
        if is_map_dataset(x):
            self._take_dataset(x, y)
        else:
            self.x = as_array(x, "DataLoader", "x")
            self.y = None if y is None else as_array(y, "DataLoader", "y")
            if self.y is not None:
                check_same_length(self.x, self.y, "DataLoader")
        n = self.num_samples
        if n == 0:
            raise ConfigError(message("DataLoader", "x holds no samples", "len(x)=0", "≥ 1"))
        self.batch_size = (
            n if batch_size is None else positive_int("DataLoader", "batch_size", batch_size)
        )
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = rng_from(seed)
        if len(self) == 0:
            raise ConfigError(
                message(
                    "DataLoader",
                    "drop_last=True with batch_size larger than the data leaves no batch",
                    f"batch_size={batch_size}, {n} samples",
                    f"batch_size ≤ {n}",
                    "use drop_last=False or a smaller batch_size",
                )
            )

    def _take_dataset(self, dataset, y) -> None:
        if y is not None:
            raise ConfigError(
                message(
                    "DataLoader",
                    "a dataset already holds its targets, so y must be None",
                    f"y of type {type(y).__name__}",
                    "DataLoader(dataset, batch_size=...)",
                    "return (x, y) from the dataset's __getitem__",
                )
            )
        self.dataset, self.x, self.y = dataset, None, None

    @property
    def num_samples(self) -> int:
        """N, the number of samples."""
        return len(self.x) if self.dataset is None else len(self.dataset)

    def __len__(self) -> int:
        """Batches per epoch: ⌊N / B⌋ with drop_last, else ⌈N / B⌉."""
        full, rest = divmod(self.num_samples, self.batch_size)
        return full + int(rest > 0 and not self.drop_last)

    def __iter__(self) -> Iterator:
        n, b = self.num_samples, self.batch_size
        order = self.rng.permutation(n) if self.shuffle else None
        for start in range(0, len(self) * b, b):
            if order is None:
                rows = slice(start, start + b)
            else:
                rows = order[start : start + b]
            if self.dataset is not None:
                indices = range(start, min(start + b, n)) if order is None else rows
                yield self.collate_fn([self.dataset[int(i)] for i in indices])
                continue
            xb = self.x[rows]
            yield xb if self.y is None else (xb, self.y[rows])

    def __repr__(self) -> str:
        return (
            f"DataLoader(samples={self.num_samples}, batch_size={self.batch_size}, "
            f"batches={len(self)}, shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
