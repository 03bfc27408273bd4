"""The MPI job this process belongs to: ``init``, ``rank``, ``size`` and the except hook.

glassnet never moves bytes between processes itself: MPI does, through mpi4py (the
``glassnet[distributed]`` extra installs both mpi4py and an Open MPI from PyPI; a system MPI
that mpi4py was built against works as well). mpi4py is imported by :func:`init` only, so
``import glassnet`` never starts MPI.

Before ``init`` (or without MPI at all) the process is a job of one: ``rank() == 0`` and
``size() == 1``, so scripts written for ``mpirun -n 4`` also run as plain ``python``.
"""

from __future__ import annotations

import sys
import traceback
from typing import TYPE_CHECKING

from glassnet.errors import ConfigError, message

if TYPE_CHECKING:
    from typing import Any

__all__ = ["init", "rank", "size", "is_initialized", "comm", "sync_batchnorm_enabled"]


class _Job:
    """The process-wide MPI state (one per process, like MPI itself)."""

    comm = None  # an mpi4py communicator once init() ran
    sync_batchnorm = False


_job = _Job()


def init(comm: Any = None, sync_batchnorm: bool = False, except_hook: bool = True) -> Any:
    """Join the MPI job (``MPI_Init`` through mpi4py) and return its communicator.

    ``comm``: the mpi4py communicator to train over (default ``MPI.COMM_WORLD``).
    ``sync_batchnorm``: when True, a distributed ``fit`` turns every BatchNorm of the model
    into :class:`~glassnet.distributed.SyncBatchNorm` (statistics over the global batch,
    as one process would compute them); the default keeps per-rank statistics.
    ``except_hook``: in a job of more than one process, an uncaught exception on any rank
    prints that rank's traceback and calls ``MPI_Abort``, which ends every rank at once
    instead of leaving the others waiting forever in a collective (ChainerMN's global
    except hook). Calling ``init`` again only updates the settings.
    """
    if _job.comm is None:
        _job.comm = _communicator(comm)
    elif comm is not None:
        _job.comm = comm
    _job.sync_batchnorm = bool(sync_batchnorm)
    if except_hook and _job.comm.Get_size() > 1:
        sys.excepthook = _abort_on_exception
    return _job.comm


def _communicator(comm):
    try:
        from mpi4py import MPI
    except ImportError as exc:  # the extra is not installed
        raise ConfigError(
            message(
                "distributed.init",
                "mpi4py is not installed, so this process cannot join an MPI job",
                f"ImportError: {exc}",
                "mpi4py and an MPI library",
                "pip install 'glassnet[distributed]' (mpi4py plus Open MPI from PyPI)",
            )
        ) from None
    return MPI.COMM_WORLD if comm is None else comm


def is_initialized() -> bool:
    """True once :func:`init` ran in this process."""
    return _job.comm is not None


def rank() -> int:
    """This process's number in the job, 0 … size() − 1 (0 before init)."""
    return 0 if _job.comm is None else _job.comm.Get_rank()


def size() -> int:
    """How many processes train together (1 before init)."""
    return 1 if _job.comm is None else _job.comm.Get_size()


def comm() -> Any:
    """The job's mpi4py communicator; a ConfigError before :func:`init`."""
    if _job.comm is None:
        raise ConfigError(
            message(
                "distributed",
                "MPI is not initialised in this process",
                hint="call gn.distributed.init() first, and launch the script with "
                "mpirun -n 2 python train.py",
            )
        )
    return _job.comm


def sync_batchnorm_enabled() -> bool:
    """Whether ``init(sync_batchnorm=True)`` asked for global BatchNorm statistics."""
    return _job.sync_batchnorm


def _abort_on_exception(kind, value, tb) -> None:
    """sys.excepthook under MPI: print this rank's traceback, then end the whole job."""
    where = f"rank {rank()} of {size()}"
    text = "".join(traceback.format_exception(kind, value, tb))
    sys.stderr.write(f"glassnet.distributed: uncaught exception on {where}:\n{text}")
    sys.stderr.write(f"glassnet.distributed: {where} calls MPI_Abort to end every rank.\n")
    sys.stderr.flush()
    sys.stdout.flush()
    _job.comm.Abort(1)
