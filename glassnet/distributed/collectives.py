"""The collectives data-parallel training needs, each as few MPI messages as possible.

- :class:`GradientReducer`: after backward, every rank packs its gradients into ONE flat
  buffer and a single ``MPI_Allreduce`` sums them; no per-parameter messages.
- :func:`broadcast_parameters` / :func:`broadcast_optimizer_state`: rank 0's starting
  weights (and buffers) and optimizer state, so every rank starts identical.
- :func:`check_same_structure`: every rank's parameter names, shapes and dtypes against
  rank 0's, so a model built differently on one rank fails with a clear error.
- :func:`agree`, :func:`common_seed`, :func:`gather_rows`: small decisions and epoch-end
  gathers.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from glassnet.distributed import runtime
from glassnet.errors import ConfigError, message

if TYPE_CHECKING:
    from collections.abc import Sequence

    from glassnet.nn.module import Module, Parameter
    from glassnet.optim.base import Optimizer

__all__ = [
    "GradientReducer",
    "broadcast_parameters",
    "broadcast_optimizer_state",
    "check_same_structure",
    "agree",
    "common_seed",
    "gather_rows",
]


class GradientReducer:
    """Weighted average of every rank's gradients through one Allreduce of a flat buffer.

    Rank r trained on n_r rows and holds the gradient g_r = dL_r/dw of its batch-mean loss
    L_r. The loss of the global batch of N = Σ n_r rows is L = Σ_r (n_r / N)·L_r, so

        dL/dw = Σ_r n_r·g_r / N,        L = Σ_r n_r·L_r / N

    exactly what one process computes on all N rows (up to float round-off). The buffer
    holds, per step: [n_r·g_r for every parameter …, n_r·L_r, n_r, has_grad flags …]; one
    MPI_SUM Allreduce gives every rank the same sums. A parameter gets a gradient when any
    rank produced one. With equal n_r this is Horovod's plain average. ``seconds`` adds
    up the time spent inside the Allreduce (the benchmark reports its share).
    """

    def __init__(self, params: Sequence[Parameter]) -> None:
        self.params = list(params)
        dtype = np.result_type(*[p.data.dtype for p in self.params]) if self.params else "f8"
        sizes = [p.data.size for p in self.params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        total = int(self.offsets[-1])
        self.buffer = np.zeros(total + 2 + len(self.params), dtype)
        self.seconds, self.calls = 0.0, 0

    @property
    def nbytes(self) -> int:
        """Bytes each rank sends into every step's Allreduce."""
        return self.buffer.nbytes

    def reduce(self, loss: float, count: int) -> tuple[float, int]:
        """Replace each parameter's ``grad`` by the global one; return (global loss, N).

        ``count`` is this rank's number of rows (0: it only takes part in the sum).
        """
        from mpi4py import MPI

        buf, end = self.buffer, int(self.offsets[-1])
        for i, p in enumerate(self.params):
            part = buf[self.offsets[i] : self.offsets[i + 1]]
            has = count > 0 and p.grad is not None
            if has:
                np.multiply(p.grad.reshape(-1), count, out=part)
            else:
                part.fill(0)
            buf[end + 2 + i] = has
        buf[end], buf[end + 1] = (loss * count if count else 0.0), count
        started = time.perf_counter()
        runtime.comm().Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        self.seconds += time.perf_counter() - started
        self.calls += 1
        total = float(buf[end + 1])
        buf[:end] /= total
        for i, p in enumerate(self.params):
            got = buf[end + 2 + i] > 0
            part = buf[self.offsets[i] : self.offsets[i + 1]]
            p.grad = part.reshape(p.data.shape).astype(p.data.dtype, copy=False) if got else None
        return float(buf[end]) / total, int(total)


def _flat_bcast(arrays: list[np.ndarray]) -> None:
    """Overwrite ``arrays`` (in place) with rank 0's, in one Bcast per dtype."""
    for dtype in sorted({a.dtype.str for a in arrays}):
        group = [a for a in arrays if a.dtype.str == dtype]
        flat = np.concatenate([a.reshape(-1) for a in group]) if group else np.zeros(0)
        runtime.comm().Bcast(flat, root=0)
        start = 0
        for a in group:
            a[...] = flat[start : start + a.size].reshape(a.shape)
            start += a.size


def structure(model: Module) -> list[tuple]:
    """(name, shape, dtype) of every parameter and buffer, in the model's order."""
    return [(name, tuple(v.shape), str(v.dtype)) for name, v in model.state_dict().items()]


def check_same_structure(model: Module, where: str = "distributed") -> None:
    """Raise the same ConfigError on every rank when any rank's model differs from rank 0's."""
    everyone = runtime.comm().allgather(structure(model))
    reference = everyone[0]
    for r, mine in enumerate(everyone[1:], start=1):
        if mine == reference:
            continue
        diff = next((a, b) for a, b in zip(mine + [None], reference + [None]) if a != b)
        counts = (
            f" ({len(mine)} vs {len(reference)} arrays)" if len(mine) != len(reference) else ""
        )
        raise ConfigError(
            message(
                where,
                f"rank {r}'s model differs from rank 0's{counts}",
                f"{_entry(diff[0])} on rank {r}",
                f"{_entry(diff[1])} as on rank 0",
                "build the same model on every rank (same layers, sizes and order); "
                "only the starting weights may differ, they are broadcast from rank 0",
            )
        )


def _entry(item) -> str:
    return "nothing" if item is None else f"{item[0]} {item[1]} {item[2]}"


def broadcast_parameters(model: Module, where: str = "broadcast_parameters") -> None:
    """Check the structure, then give every rank rank 0's parameters and buffers."""
    check_same_structure(model, where)
    arrays = [p.data for p in model.parameters()]
    _flat_bcast(arrays)
    state = runtime.comm().bcast(
        {k: v for k, v in model.state_dict().items() if k not in dict(model.named_parameters())}
        if runtime.rank() == 0
        else None,
        root=0,
    )
    if state:
        model.load_state_dict({**model.state_dict(), **state})


def broadcast_optimizer_state(optimizer: Optimizer) -> None:
    """Give every rank rank 0's optimizer state: settings, step counters, moment buffers."""
    state = runtime.comm().bcast(optimizer.state_dict() if runtime.rank() == 0 else None, root=0)
    optimizer.load_state_dict(state)


def agree(flag: bool) -> bool:
    """Rank 0's value of ``flag`` on every rank (callback decisions are rank 0's)."""
    return bool(runtime.comm().bcast(bool(flag), root=0))


def common_seed(seed: int | np.random.Generator | None) -> int:
    """One seed for the whole job: rank 0's int, or a fresh one drawn on rank 0."""
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**63) if runtime.rank() == 0 else None
    elif isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**63)) if runtime.rank() == 0 else None
    return runtime.comm().bcast(seed, root=0)


def gather_rows(*arrays: np.ndarray) -> list[np.ndarray]:
    """Every rank's rows of each array, concatenated in rank order, on every rank."""
    everyone = runtime.comm().allgather(arrays)
    return [np.concatenate([part[k] for part in everyone]) for k in range(len(arrays))]
