"""The slot a data-parallel backend plugs into, so training never imports one.

``Model.fit`` asks :func:`session` whether this call trains alone (None) or as one rank of
a job (a session object that shards batches, reduces gradients and keeps writers on rank
0); ``Model.save`` asks :func:`rank` whether this process writes files. Alone, the answers
are None and 0. ``glassnet.distributed`` (which sits above training) installs its own
answers when it is imported, with :func:`install`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassnet.errors import ConfigError, message

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    import numpy as np

    from glassnet.nn.module import Module

__all__ = ["install", "rank", "session"]

_backend: dict = {}


def install(session_for: Callable, rank_of: Callable[[], int]) -> None:
    """Plug in a backend: ``session_for(model, distributed, seed)`` and ``rank_of()``."""
    _backend.update(session=session_for, rank=rank_of)


def session(
    model: Module, distributed: bool | None, seed: int | np.random.Generator | None
) -> Any:
    """None when this fit trains alone; else the backend's session for it."""
    if "session" in _backend:
        return _backend["session"](model, distributed, seed)
    if distributed not in (True, False, None):
        raise ConfigError(
            message("fit", "distributed must be True, False or None", repr(distributed), "a bool")
        )
    if distributed:
        raise ConfigError(
            message(
                "fit",
                "distributed=True needs glassnet.distributed, which is not loaded",
                hint="import glassnet as gn; call gn.distributed.init() under mpirun",
            )
        )
    return None


def rank() -> int:
    """This process's rank in a data-parallel job (0 when alone)."""
    return _backend["rank"]() if "rank" in _backend else 0
