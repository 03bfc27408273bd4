"""Data-parallel training on MPI: every rank holds the whole model and trains on its shard.

``mpirun -n 4 python train.py`` starts four copies of the script; each calls
``gn.distributed.init()`` and then ``model.fit(...)`` as usual. ``fit`` then:

- checks that every rank built the same model, and starts all from rank 0's weights,
  buffers and optimizer state;
- gives rank r the r-th part of every global batch of the shuffled order, so the ranks
  together see each row once per epoch and P ranks of batch B take the steps of one
  process with batch P·B;
- after each backward pass averages the gradients with ONE Allreduce of a flat buffer;
- reports loss, metrics and validation over the rows of all ranks; only rank 0 prints,
  writes logs and checkpoints, and saves (``model.save`` does nothing on other ranks);
- stops every rank together when rank 0's callbacks say so.

An uncaught exception on any rank ends the whole job (MPI_Abort) with that rank's
traceback. See the README section "Training across processes and machines".
"""

from glassnet.distributed.batchnorm import SyncBatchNorm, convert_sync_batchnorm
from glassnet.distributed.collectives import (
    GradientReducer,
    broadcast_optimizer_state,
    broadcast_parameters,
    check_same_structure,
)
from glassnet.distributed.fit import session_for
from glassnet.distributed.optimizer import DistributedOptimizer
from glassnet.distributed.runtime import comm, init, is_initialized, rank, size
from glassnet.distributed.sampler import global_batches, shard_rows
from glassnet.training import parallel
from glassnet.training.io import register_layer

register_layer(SyncBatchNorm)  # a model trained with synced statistics saves and loads
parallel.install(session_for, rank)  # fit and save ask through this slot (training sits below)

__all__ = [
    "DistributedOptimizer",
    "GradientReducer",
    "SyncBatchNorm",
    "broadcast_optimizer_state",
    "broadcast_parameters",
    "check_same_structure",
    "comm",
    "convert_sync_batchnorm",
    "global_batches",
    "init",
    "is_initialized",
    "rank",
    "shard_rows",
    "size",
]
