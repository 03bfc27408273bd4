"""The workspace of a captured program (:mod:`glassnet._capture_program`).

A program's *workspace* holds the arrays its replay kernels (:mod:`glassnet._capture_kernels`)
write into with ``out=``: the same memory on every replay, so a replayed step allocates
little. Two rules keep that invisible: an array that leaves a replay (a returned value, a
parameter's ``.grad``) is copied when it is, or views, a workspace array (:class:`Workspace`
``.escapes``), and each replay takes a workspace of its own from a spare list (two threads
replaying one program get two).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Workspace"]


class Workspace:
    """The reserved slots of a program: ``v[start:]``, one preallocated array each."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.protos: list[np.ndarray] = []
        self.spare: list[list] = []
        self.ids: set[int] = set()

    def reserve(self, like: np.ndarray) -> int:
        """A new slot holding an array shaped and laid out as ``like`` (see the kernels)."""
        self.protos.append(like)
        return self.start + len(self.protos) - 1

    def take(self) -> list:
        """A workspace for one replay: a spare one, else new arrays."""
        try:
            return self.spare.pop()
        except IndexError:
            arrays = [np.empty_like(p) for p in self.protos]
            self.ids.update(id(a) for a in arrays)
            return arrays

    def give(self, arrays: list) -> None:
        self.spare.append(arrays)

    def escapes(self, a: np.ndarray) -> bool:
        """True when ``a`` is, or views, a workspace array (it must be copied to leave)."""
        while a.base is not None:
            a = a.base
        return id(a) in self.ids
