"""Which rows each rank trains on: every epoch's order, cut into global batches, split by rank.

One process with batch size P·B walks the shuffled order in global batches
``order[s·P·B : (s + 1)·P·B]``. With P ranks of per-rank batch B, rank r takes the r-th of
P near-equal parts of that same global batch (``np.array_split``), so at every step the
ranks together hold exactly the rows the single process would, each row once per epoch,
and the averaged gradient is the single process's. Only a last, short global batch is
split unevenly (sizes differ by at most one row; a rank may get none).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["global_batches", "shard_rows"]


def global_batches(
    order: np.ndarray, batch_size: int, rank: int, size: int
) -> Iterator[tuple[np.ndarray, int]]:
    """Yield (this rank's rows, rows in the global batch) for every step of one epoch.

    ``batch_size`` is the per-rank batch B; every rank yields the same number of steps,
    ``ceil(len(order) / (size·B))``, so the per-step collectives always pair up.
    """
    span = batch_size * size
    for start in range(0, len(order), span):
        rows = order[start : start + span]
        yield np.array_split(rows, size)[rank], len(rows)


def shard_rows(n: int, rank: int, size: int) -> np.ndarray:
    """This rank's contiguous share of rows 0 … n − 1 (evaluation and validation)."""
    return np.array_split(np.arange(n), size)[rank]
