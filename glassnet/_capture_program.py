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

The program is a list of closures (:mod:`glassnet._capture_steps`), one per forward op,
source, backward op or method call, each reading and writing slots. A backward closure
does what the engine's ``_propagate`` does (same sums, same order, same copies), so
replayed gradients are bit-identical. The commonest ops replay through kernels that
write into preallocated arrays instead (:mod:`glassnet._capture_kernels`).
"""

from __future__ import annotations

import numpy as np

from glassnet import _capture_kernels
from glassnet._capture_steps import Workspace, backward_step, call_step, forward_step, source_step
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
            _, obj, name = e2
            if obj is not e1[1] or name != e1[2]:
                raise NotReplayable(f"{name}() was called on another object")
            self.steps.append(call_step(getattr(obj, name)))

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
        self.steps.append(source_step(kernel, owner, srcs, out))

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
    """A captured step: its closures, slots, guards and the shape of its return value."""

    def __init__(self, builder: _Builder, template, modules):
        self.init = builder.init
        self.arg_slots = builder.arg_slots
        self.live = builder.live
        self.flags = [t.requires_grad for _, t, _ in builder.live]
        self.casts = builder.casts
        self.workspace = Workspace(len(self.init))
        kernels: dict[int, object] = {}  # cell -> a replay kernel's backward
        self.steps = [self._step(step, builder, kernels) for step in builder.steps]
        self.init = self.init + [None] * len(self.workspace.protos)
        self.template = template
        self.fill = _filler(template, self.workspace.escapes)
        self.modules = [(m, m.training) for m in modules]

    def _step(self, step, builder: _Builder, kernels: dict):
        """The closure of one recorded step: a replay kernel where there is one."""
        if type(step) is not tuple:
            return step
        if step[0] == "bwd":
            _, cell, out, targets, shapes, seed_like = step
            return backward_step(
                cell, out, targets, shapes, seed_like, kernels.get(cell), self.workspace
            )
        _, op, baked, linked, needs, srcs, out, cell = step
        cell = cell if cell in builder.backed else None  # an op no backward uses goes at once
        made = _capture_kernels.make(
            op,
            baked,
            dict(linked),
            needs,
            srcs,
            out,
            builder.proto.__getitem__,
            self.workspace.reserve,
        )
        if made is None:
            return forward_step(op, baked, linked, needs, srcs, out, cell)
        kernels[cell] = made[1]
        return made[0]

    def __len__(self) -> int:
        return len(self.steps)

    def valid(self) -> bool:
        """False when a module switched train/eval, a parameter was frozen or unfrozen, or
        a parameter's array was replaced since the recording."""
        for module, mode in self.modules:
            if module.training != mode:
                return False
        for (_, t, a), flag in zip(self.live, self.flags):
            if t.data is not a or t.requires_grad != flag:
                return False
        return True

    def run(self, args: tuple):
        v = self.init.copy()
        for j in self.arg_slots:
            a = args[j]
            v[j] = a if type(a) is np.ndarray else a.data if isinstance(a, Tensor) else a
        for slot, t, _ in self.live:
            v[slot] = t.data
        for slot, j, dtype in self.casts:
            v[slot] = v[j].astype(dtype)
        workspace = self.workspace
        arrays = workspace.take()
        v[workspace.start :] = arrays
        pend: dict = {}
        for step in self.steps:
            step(v, pend)
        result = self.fill(v)
        workspace.give(arrays)  # only after a replay that finished: never two at once
        return result


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


def _filler(template, escapes):
    """A function of the slots that builds the step's return value from ``template``:
    ('slot', k) and ('tensor', k) read slot k (a copy when it is a workspace array, which
    the next replay would overwrite); tuples, lists and dicts nest; ('value', x) is x."""
    kind, value = template
    if kind == "slot" or kind == "tensor":

        def read(v):
            a = v[value]
            if isinstance(a, np.ndarray) and escapes(a):
                a = a.copy()
            return a if kind == "slot" else Tensor._from_op(a, None)

        return read
    if kind in ("tuple", "list"):
        parts = [_filler(t, escapes) for t in value]
        if kind == "list":
            return lambda v: [part(v) for part in parts]
        if len(parts) == 2:  # (loss, output): fit's step
            first, second = parts
            return lambda v: (first(v), second(v))
        return lambda v: tuple(part(v) for part in parts)
    if kind == "dict":
        parts = {k: _filler(t, escapes) for k, t in value.items()}
        return lambda v: {k: part(v) for k, part in parts.items()}
    return lambda v: value


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
