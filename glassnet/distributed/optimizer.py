"""DistributedOptimizer: any glassnet optimizer, with gradients averaged over every rank.

For hand-written training loops (``Model.fit`` does the same by itself)::

    gn.distributed.init()
    model = build_model()                       # the same architecture on every rank
    opt = gn.distributed.DistributedOptimizer(gn.optim.Adam(model.parameters()), model)
    for xb, yb in my_shard_of_the_batches:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step(count=len(xb))                 # one Allreduce, then Adam's update

Horovod's ``hvd.DistributedOptimizer`` with ``broadcast_parameters`` and
``broadcast_optimizer_state`` folded into the constructor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassnet.distributed import collectives
from glassnet.errors import ConfigError, message

if TYPE_CHECKING:
    from glassnet.nn.module import Module
    from glassnet.optim.base import Optimizer

__all__ = ["DistributedOptimizer"]


class DistributedOptimizer:
    """Wraps ``optimizer`` so that ``step()`` first averages the gradients over all ranks.

    1. buffer ← [n_r·dL_r/dw for every bound w …, n_r·L_r, n_r]     (one flat array)
    2. buffer ← Σ over ranks                                           (ONE MPI Allreduce)
    3. dL/dw ← buffer_w / N  (N = Σ n_r);  then the wrapped optimizer's update rule

    ``count`` (rows this rank trained on) weights each rank's gradient so that uneven
    batches still give the exact gradient of the mean loss over all N rows; without it the
    ranks weigh equally. Construction checks that every rank has the same model (when
    ``model`` is given), then broadcasts rank 0's weights and optimizer state. Every other
    attribute (``lr``, ``state_dict``, ...) is the wrapped optimizer's.
    """

    def __init__(self, optimizer: Optimizer, model: Module | None = None) -> None:
        if not hasattr(optimizer, "step") or not getattr(optimizer, "params", None):
            raise ConfigError(
                message(
                    "DistributedOptimizer",
                    "needs an optimizer with bound parameters",
                    repr(optimizer),
                    "e.g. gn.optim.Adam(model.parameters())",
                )
            )
        object.__setattr__(self, "optimizer", optimizer)
        if model is not None:
            collectives.broadcast_parameters(model)
        else:
            collectives._flat_bcast([p.data for p in optimizer.params])
        collectives.broadcast_optimizer_state(optimizer)
        object.__setattr__(self, "reducer", collectives.GradientReducer(optimizer.params))
        object.__setattr__(self, "loss", None)

    def synchronize(self, loss: float = 0.0, count: int = 1) -> float:
        """Average the gradients over all ranks (steps 1–2) without updating; returns the
        global loss Σ n_r·L_r / N."""
        value, _ = self.reducer.reduce(float(loss), int(count))
        object.__setattr__(self, "loss", value)
        return value

    def step(self, loss: float = 0.0, count: int = 1) -> None:
        """Average the gradients (one Allreduce), then apply the wrapped optimizer's update."""
        self.synchronize(loss, count)
        self.optimizer.step()

    def zero_grad(self) -> None:
        self.optimizer.zero_grad()

    def __getattr__(self, name):
        return getattr(self.optimizer, name)

    def __setattr__(self, name, value):
        setattr(self.optimizer, name, value)

    def __repr__(self) -> str:
        return f"DistributedOptimizer({self.optimizer!r})"
