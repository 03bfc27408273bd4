"""The replay half of :mod:`glassnet.captured`: two recordings in, one flat program out.

Every array the step touched gets a *slot* (an index in a list ``v``): the arguments first,
then each op's output, each source's output, the parameters (read live at every replay),
and the constants. Where an array came from is decided by comparing the two recordings
(the first and second eager calls with this key):

- made by a recorded op or source, or an argument itself (the same memory): a slot;
- the same object both times (a parameter, BatchNorm's running statistics): by reference;
- an argument converted to another dtype both times: converted again on every replay;
- equal both times while the arguments differed: a constant, kept;
- anything else (a value Python computed from the inputs): the step is not replayable.

The program is one Python function written out from the steps (one per forward op,
source, backward op or method call) and compiled once (:mod:`glassnet._capture_codegen`;
``Program.source`` shows it). Its backward lines do what the engine's ``_propagate``
does (same sums, same order, same copies), so replayed gradients are bit-identical. The
commonest ops replay through kernels that write into preallocated arrays instead
(:mod:`glassnet._capture_kernels`), and an optimizer's step is written out as its
update rule (:mod:`glassnet.optim.replay`).
"""

from __future__ import annotations

import numpy as np

from glassnet._capture_codegen import Codegen
from glassnet._capture_steps import Workspace
from glassnet.tensor import Tensor

__all__ = ["Program", "build", "DEFER"]

DEFER = "the arguments were equal in both recordings, so constants cannot be told apart"


class NotReplayable(Exception):
    """Raised while building: the recordings show something a replay cannot reproduce."""


class _Builder:
    """Turns two recordings of one step into a :class:`Program` (see the module docstring)."""

    def __init__(self, first, second):
        self.first, self.second = first, second
        self.slot_of: dict[int, int] = {}
        self.init: list = []  # a slot's fixed value (constants, references), else None
        self.keep: list = []  # every recorded array, so that no id is reused while building
        self.proto: dict[int, np.ndarray] = {}  # slot -> its array in the second recording
        self.live: list = []  # (slot, tensor, array): parameters, read at each replay
        self.casts: list = []  # (slot, arg slot, dtype)
        self.fwd_of: dict[int, tuple] = {}  # id(recorded fn) -> (replayed fn, settings, slot)
        self.steps: list = []
        self.backed: set[int] = set()  # replayed ops whose backward runs (and frees them)
        self.arg_slots = [j for j, a in enumerate(second.args) if isinstance(a, np.ndarray)]
        self.args_equal = any(
            isinstance(first.args[j], np.ndarray)
            and first.args[j].shape == second.args[j].shape
            and np.array_equal(first.args[j], second.args[j])
            for j in self.arg_slots
        )
        for j, a in enumerate(second.args):
            self.init.append(None)
            if j in self.arg_slots:
                self.remember(a, j)

    def remember(self, a: np.ndarray, slot: int) -> int:
        self.slot_of[id(a)] = slot
        self.keep.append(a)
        self.proto[slot] = a
        return slot

    def new_slot(self, fixed=None) -> int:
        self.init.append(fixed)
        return len(self.init) - 1

    # ---- where an array comes from ------------------------------------------------------
    def array(self, a2: np.ndarray, a1) -> int:
        """The slot of array ``a2`` (second recording), ``a1`` its twin in the first."""
        slot = self.slot_of.get(id(a2))
        if slot is not None:
            return slot
        for j in self.arg_slots:
            if _same_view(a2, self.second.args[j]):
                return j
        if a2 is a1:  # the same object both times: kept by reference
            return self.remember(a2, self.new_slot(a2))
        if not isinstance(a1, np.ndarray) or a1.shape != a2.shape or a1.dtype != a2.dtype:
            raise NotReplayable("a value made outside the ops changed shape between calls")
        for j in self.arg_slots:
            if _is_cast(a2, self.second.args[j]) and _is_cast(a1, self.first.args[j]):
                if self.args_equal:
                    raise NotReplayable(DEFER)
                slot = self.remember(a2, self.new_slot())
                self.casts.append((slot, j, a2.dtype))
                return slot
        if np.array_equal(a1, a2, equal_nan=True):
            if self.args_equal:
                raise NotReplayable(DEFER)
            return self.remember(a2, self.new_slot(a2.copy()))
        raise NotReplayable(
            "an array computed in Python from the inputs (not by a glassnet op) feeds an op"
        )

    def tensor(self, t2: Tensor, t1) -> int:
        slot = self.slot_of.get(id(t2.data))
        if slot is not None:
            return slot
        if t2 is t1 and t2.creator is None:
            slot = self.remember(t2.data, self.new_slot())  # a parameter: read live
            self.live.append((slot, t2, t2.data))
            return slot
        return self.array(t2.data, t1.data if isinstance(t1, Tensor) else None)

    def settings(self, s2: dict, s1: dict) -> tuple[dict, list]:
        """The settings baked into the replayed op, and those set from a slot each replay."""
        baked, linked = {}, []
        for key, v2 in s2.items():
            v1 = s1.get(key)
            if isinstance(v2, np.ndarray):
                slot = self.array(v2, v1)
                if self.init[slot] is not None:
                    baked[key] = self.init[slot]
                else:
                    linked.append((key, slot))
            elif _equal(v1, v2):
                baked[key] = v2
            else:
                raise NotReplayable(f"the setting {key}={v2!r} changed between calls")
        return baked, linked

    # ---- the steps ----------------------------------------------------------------------
    def add(self, e2: tuple, e1: tuple) -> None:
        kind = e2[0]
        if kind != e1[0]:
            raise NotReplayable("the step ran other operations on its second call")
        if kind == "fwd":
            self.forward(e2, e1)
        elif kind == "src":
            self.source(e2, e1)
        elif kind == "bwd":
            self.backward(e2, e1)
        else:
            obj, name = e2[-2:]
            if obj is not e1[-2] or name != e1[-1]:
                raise NotReplayable(f"{name}() was called on another object")
            if kind == "call":
                self.steps.append(("call", obj, name))
            else:  # ("when", loss, obj, name): a call made only for a finite loss
                self.steps.append(("when", self.array(e2[1], e1[1]), obj, name))

    def forward(self, e2: tuple, e1: tuple) -> None:
        _, fn2, s2, inputs2, out2, needs = e2
        _, fn1, s1, inputs1, out1, needs1 = e1
        if type(fn2) is not type(fn1) or len(inputs2) != len(inputs1):
            raise NotReplayable(f"{fn2.name} stood where {fn1.name} ran the first time")
        if out2.data.shape != out1.data.shape or out2.data.dtype != out1.data.dtype:
            raise NotReplayable(f"{fn2.name}'s output changed shape between calls")
        srcs = [self.tensor(t2, t1) for t2, t1 in zip(inputs2, inputs1)]
        baked, linked = self.settings(s2, s1)
        if needs != needs1:
            raise NotReplayable(f"{fn2.name}'s inputs changed which gradients they need")
        out = self.remember(out2.data, self.new_slot())
        cell = self.new_slot()  # the op itself, from its forward to its backward
        self.fwd_of[id(fn2)] = (cell, out, inputs2)
        self.steps.append(("fwd", type(fn2), baked, linked, needs, srcs, out, cell))

    def source(self, e2: tuple, e1: tuple) -> None:
        _, kernel, owner, arrays2, out2 = e2
        if kernel is not e1[1] or owner is not e1[2] or len(arrays2) != len(e1[3]):
            raise NotReplayable("a random source ran for another layer between calls")
        srcs = [self.array(a2, a1) for a2, a1 in zip(arrays2, e1[3])]
        out = self.remember(out2, self.new_slot())
        self.steps.append(("src", kernel, owner, srcs, out))

    def backward(self, e2: tuple, e1: tuple) -> None:
        _, fn2, node2, seed = e2
        cell, out, inputs = self.fwd_of[id(fn2)]
        targets = []
        for t in inputs:
            if not t.requires_grad:
                targets.append(None)
            elif t.creator is not None and id(t.creator) in self.fwd_of:
                targets.append(self.fwd_of[id(t.creator)][1])
            elif any(t is live[1] for live in self.live):
                targets.append(t)
            else:
                raise NotReplayable("a gradient flows to a tensor made anew on each call")
        shapes = [t.data.shape for t in inputs]
        seed_like = (node2.data.shape, node2.data.dtype) if seed else None
        self.steps.append(("bwd", cell, out, targets, shapes, seed_like))
        self.backed.add(cell)

    def result(self, r2, r1):
        """A template of the step's return value: ('slot', k), ('tensor', k) or a value."""
        if isinstance(r2, Tensor):
            return ("tensor", self.tensor(r2, r1))
        if isinstance(r2, np.ndarray | np.generic) and id(r2) in self.slot_of:
            return ("slot", self.slot_of[id(r2)])  # an op's output (a loss may be a scalar)
        if isinstance(r2, np.ndarray):
            return ("slot", self.array(r2, r1))
        if isinstance(r2, tuple | list) and type(r1) is type(r2) and len(r1) == len(r2):
            return (type(r2).__name__, [self.result(a, b) for a, b in zip(r2, r1)])
        if isinstance(r2, dict) and isinstance(r1, dict) and r1.keys() == r2.keys():
            return ("dict", {k: self.result(r2[k], r1[k]) for k in r2})
        if isinstance(r2, int | float | str | bool | type(None)) and _equal(r1, r2):
            return ("value", r2)
        raise NotReplayable(f"the step returned a {type(r2).__name__} that changes between calls")


class Program:
    """A captured step: its replay function, its guard, its workspace.

    ``run(args)`` replays (``source`` is the replay function's text); ``valid()`` is
    False when a module switched train/eval, a parameter was frozen or unfrozen, a
    parameter's array was replaced, or an optimizer written out changed its structure
    (rebound, reloaded, momentum or clipping switched) since the recording: a function
    compiled with the replay (``guard_source``). ``run_loop`` replays fit's step on many
    batches in one call (``loop_source``; None where the program has no such loop).
    """

    def __init__(self, builder: _Builder, template, modules):
        self.workspace = Workspace(len(builder.init))
        code = Codegen(builder, self.workspace)
        for step in builder.steps:
            kind, rest = step[0], step[1:]
            if kind == "fwd":
                *rest, cell = rest
                code.forward(*rest, cell if cell in builder.backed else None)
            else:
                {"bwd": code.backward, "src": code.source, "call": code.call}.get(
                    kind, code.when_finite
                )(*rest)
        fixed = {k: value for k, value in enumerate(builder.init) if value is not None}
        made = code.compile(template, fixed)
        self.source, self.replay, self.replay_quiet = made["source"], made["replay"], made["quiet"]
        self.replay_loop, self.loop_source = made["loop"], made["loop_source"]
        modes = [(m, m.training) for m in modules]
        self.guard_source, self.valid = code.guard(modes, builder.live)
        self.steps = len(builder.steps)

    def __len__(self) -> int:
        return self.steps

    def run(self, args: tuple, quiet: bool = False):
        """Replay on ``args``; ``quiet``: the caller ignores overflow (np.errstate), so the
        replay skips its own errstate blocks."""
        workspace = self.workspace
        arrays = workspace.take()
        result = (self.replay_quiet if quiet else self.replay)(args, arrays)
        workspace.give(arrays)  # only after a replay that finished: never two at once
        return result

    def run_loop(self, pairs, append) -> tuple:
        """Replay each args of ``pairs`` in turn under the caller's ``np.errstate``,
        ``append``-ing each result, until ``pairs`` ends or a step skips its update (a
        non-finite loss): then ``(None, steps)``; an args recorded with another key ends it
        before that step: ``(args, steps)``. Only when ``replay_loop`` is not None."""
        workspace = self.workspace
        arrays = workspace.take()
        leftover = self.replay_loop(pairs, arrays, append)
        workspace.give(arrays)
        return leftover


def build(first, second):
    """A :class:`Program` from two recordings of the same key, or why there is none
    (a sentence; :data:`DEFER` when a third recording could still decide)."""
    reason = first.unsafe or second.unsafe
    if reason is not None:
        return reason
    if len(first.events) != len(second.events) or first.modules.keys() != second.modules.keys():
        return "the step took another path on its second call (a Python branch)"
    builder = _Builder(first, second)
    try:
        for e2, e1 in zip(second.events, first.events):
            builder.add(e2, e1)
        template = builder.result(second.result, first.result)
    except NotReplayable as exc:
        return str(exc)
    return Program(builder, template, second.modules.values())


def _same_view(a: np.ndarray, b) -> bool:
    """True when ``a`` is ``b`` seen the same way: same memory, shape, strides and dtype."""
    return (
        isinstance(b, np.ndarray)
        and a.shape == b.shape
        and a.dtype == b.dtype
        and a.strides == b.strides
        and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    )


def _is_cast(a: np.ndarray, arg) -> bool:
    """True when ``a`` holds ``arg``'s values converted to a's dtype."""
    return (
        isinstance(arg, np.ndarray)
        and a.shape == arg.shape
        and np.array_equal(a, arg.astype(a.dtype), equal_nan=a.dtype.kind in "fc")
    )


def _equal(a, b) -> bool:
    """Settings compare by value when Python can say so plainly, else by identity."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    try:
        same = a == b
    except Exception:
        return False
    return same if isinstance(same, bool) else False
