"""The closures a captured program (:mod:`glassnet._capture_program`) is made of.

Each step is ``step(v, pend)``: ``v`` is the replay's list of slots, ``pend`` the pending
gradient sums of the backward pass running (slot → array), as in the engine.

A program's *workspace* holds the arrays its replay kernels (:mod:`glassnet._capture_kernels`)
write into with ``out=``: the same memory on every replay, so a replayed step allocates
little. Two rules keep that invisible: an array that leaves a replay (a returned value, a
parameter's ``.grad``) is copied when it is, or views, a workspace array (:class:`Workspace`
``.escapes``), and each replay takes a workspace of its own from a spare list (two threads
replaying one program get two).
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import _accumulate, _exclusive, unbroadcast

__all__ = ["Workspace", "backward_step", "call_step", "forward_step", "source_step"]


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


def forward_step(op, baked: dict, linked: list, needs, srcs: list, out: int, cell):
    """A new ``op(**settings)`` (as Function.apply makes it), its forward on the slots
    ``srcs`` into slot ``out``; the op waits in slot ``cell`` for its backward (slots
    belong to one replay), or, with ``cell`` None, is dropped at once, with what it saved."""
    if linked or needs is None or cell is None or len(srcs) > 2:
        return _general_forward_step(op, baked, linked, needs, srcs, out, cell)
    if len(srcs) == 1:  # the common cases, unrolled
        (a,) = srcs

        def run(v, pend):
            v[cell] = fn = op(**baked)
            fn.needs_input_grad = needs
            v[out] = fn.forward(v[a])

    else:
        a, b = srcs

        def run(v, pend):
            v[cell] = fn = op(**baked)
            fn.needs_input_grad = needs
            v[out] = fn.forward(v[a], v[b])

    return run


def _general_forward_step(op, baked: dict, linked: list, needs, srcs: list, out: int, cell):
    def run(v, pend):
        settings = baked
        if linked:
            settings = dict(baked)
            for key, slot in linked:
                settings[key] = v[slot]
        fn = op(**settings)
        if needs is not None:
            fn.needs_input_grad = needs
        if cell is not None:
            v[cell] = fn
        v[out] = fn.forward(*[v[s] for s in srcs])

    return run


def source_step(kernel, owner, srcs: list, out: int):
    def run(v, pend):
        v[out] = kernel(owner, *[v[s] for s in srcs])

    return run


def call_step(method):
    def run(v, pend):
        method()

    return run


def backward_step(cell: int, node: int, targets: list, shapes: list, seed_like, kernel, ws):
    """The engine's ``_propagate`` for one op, with gradients routed by slot: a pending
    sum for an op's output (``pend``), ``.grad`` for a parameter. Same sums, same order,
    same copies as the engine (plus a copy of a workspace array bound for a ``.grad``).
    The gradients come from ``kernel(v, grad_y)`` (a replay kernel) or from the op in
    slot ``cell``, which is then let go with what it saved, as the engine does."""
    routes = [(i, t, s) for i, (t, s) in enumerate(zip(targets, shapes)) if t is not None]
    own = ws.ids  # a gradient that is a workspace array must be copied to become a .grad
    one = np.ones(seed_like[0], dtype=seed_like[1]) if seed_like is not None else None

    def run(v, pend):
        if one is not None:  # a backward pass starts: dL/dL = 1, a new array as in eager
            pend.clear()
            pend[node] = one.copy()
        grad_y = pend.pop(node, None)
        if grad_y is None:
            return
        if kernel is None:
            grads = v[cell].backward(grad_y)
            v[cell] = None
        else:
            grads = kernel(v, grad_y)
        for index, target, shape in routes:
            g = grads[index]
            if g is None:
                continue
            if g.shape != shape:
                g = unbroadcast(g, shape)
            if type(target) is int:
                pend[target] = pend[target] + g if target in pend else g
            elif target.grad is None:  # _accumulate's first gradient, with its copy rule
                if g.base is not None or id(g) in own or not _exclusive(g, grad_y, grads, index):
                    g = g.copy()  # a view is never exclusive: _exclusive would say so too
                dtype = target.data.dtype
                target.grad = g if g.dtype == dtype else g.astype(dtype)
            else:
                _accumulate(target, g, None)

    return run
