"""Where ``fit`` gets its batches: rows of two arrays, or a DataLoader / any iterable of
(x, y) batches (Keras's ``fit(dataset)``, PyTorch's loop over a loader).

Both give ``epoch(order)``: the (x_batch, y_batch) pairs of one pass, checked as fit
checks its arrays. Arrays are cut in ``order`` (fit's seeded shuffle); a loader brings its
own batching and shuffling, so ``order`` is ignored there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.errors import ConfigError, message
from glassnet.training import checks

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from numpy.typing import DTypeLike

__all__ = ["ArrayBatches", "IterableBatches", "EpochRun", "as_arrays"]


class ArrayBatches:
    """Mini-batches of ``size`` rows cut from x and y (and the rows' weights ``w``, when
    fit sets them: each batch is then (x, y, w), shuffled together)."""

    w: np.ndarray | None = None

    def __init__(self, x: np.ndarray, y: np.ndarray, size: int) -> None:
        self.x, self.y, self.size = x, y, size
        self.samples, self.steps = len(x), -(-len(x) // size)

    def first(self) -> np.ndarray:
        return self.x[:1]

    def epoch(self, order: np.ndarray | None) -> Iterator[tuple[np.ndarray, ...]]:
        arrays = (self.x, self.y) if self.w is None else (self.x, self.y, self.w)
        for start in range(0, self.samples, self.size):
            if order is None:
                stop = start + self.size
                yield tuple([a[start:stop] for a in arrays])  # a list builds faster
            else:
                rows = order[start : start + self.size]
                yield tuple(a.take(rows, axis=0) for a in arrays)


class IterableBatches:
    """The (x, y) pairs of a DataLoader or any re-iterable of batches (a list of pairs)."""

    def __init__(self, source: Iterable, dtype: DTypeLike, where: str = "fit") -> None:
        if not hasattr(source, "__iter__") or isinstance(source, np.ndarray | str):
            raise ConfigError(
                message(
                    where,
                    "without y, x must be a DataLoader or an iterable of (x, y) batches",
                    type(source).__name__,
                    "fit(x, y, ...) or fit(loader, ...)",
                    "pass the targets as y, or wrap both in gn.data.DataLoader(x, y)",
                )
            )
        self.source, self.dtype, self.where = source, dtype, where
        self.steps = len(source) if hasattr(source, "__len__") else None
        self.samples = getattr(source, "num_samples", None)

    def first(self) -> np.ndarray:
        return next(self.epoch(None))[0][:1]

    def epoch(self, order: np.ndarray | None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        count = 0
        for count, batch in enumerate(self.source, 1):
            if not isinstance(batch, tuple | list) or len(batch) != 2:
                raise ConfigError(
                    message(
                        self.where,
                        f"batch {count} is not an (x, y) pair",
                        type(batch).__name__,
                        "a pair (x_batch, y_batch)",
                        "a DataLoader needs y: gn.data.DataLoader(x, y, batch_size=32)",
                    )
                )
            x = checks.as_inputs(self.where, batch[0], self.dtype)
            y = checks.as_targets(self.where, batch[1])
            checks.check_pair(self.where, x, y)
            yield x, y
        if count == 0:
            raise ConfigError(
                message(
                    self.where,
                    "the batches ran out: the iterable gave no batch this epoch",
                    type(self.source).__name__,
                    "an iterable that can be looped over once per epoch",
                    "a generator is used up after one pass; pass a DataLoader or a list",
                )
            )


def as_arrays(source: Iterable, dtype: DTypeLike, where: str) -> tuple[np.ndarray, np.ndarray]:
    """All batches of a loader joined into (x, y) (a validation loader is read once)."""
    pairs = list(IterableBatches(source, dtype, where).epoch(None))
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])


class EpochRun:
    """What one epoch has trained on so far: summed loss, rows seen, outputs and targets."""

    def __init__(self) -> None:
        self.loss_sum, self.seen, self.parts, self.targets = 0.0, 0, [], []

    def add(self, loss: float, output: np.ndarray, target: np.ndarray) -> None:
        self.parts.append(output)
        self.targets.append(target)
        self.seen += len(output)
        self.loss_sum += loss * len(output)

    def add_all(self, losses: list[float], outputs: list, targets: list) -> None:
        """:meth:`add` for each batch in order (the same sum, term by term)."""
        self.parts += outputs
        self.targets += targets
        loss_sum, seen = self.loss_sum, self.seen
        for loss, output in zip(losses, outputs):
            n = len(output)
            seen += n
            loss_sum += loss * n
        self.loss_sum, self.seen = loss_sum, seen

    def outputs(self) -> np.ndarray:
        return np.concatenate(self.parts)

    def trained(self) -> np.ndarray:
        return np.concatenate(self.targets)
