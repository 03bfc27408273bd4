"""Captured steps: record a step's primitive kernels once, then replay them on NumPy arrays.

``step = gn.capture(train_step)`` wraps a function (the decorator style of ``jax.jit`` and
tinygrad's TinyJit). ``Model.fit``, ``predict`` and ``evaluate`` use it unless the model
was compiled with ``capture=False``.

Design note
-----------
*Why.* On a small network the work per step is a few small GEMMs; the rest is Python:
making Tensors, recording the graph, sorting it, routing gradients. The kernels a step
runs depend only on the shapes and settings, so they can be recorded once and replayed.

*Keys.* Each call is keyed by its arguments (for an array or tensor: shape, dtype,
strides; for anything else: the value) and by whether gradients are recorded. The first
two calls with a key run eagerly and are recorded (:mod:`glassnet._capture_record`); if the
two recordings agree, later calls replay the program built from them
(:mod:`glassnet._capture_program`): one Python function, written out from the recorded
forward ops, random sources, backward ops and optimizer calls and compiled once
(:mod:`glassnet._capture_codegen`; ``program.source`` prints it). No Tensor, no graph,
no topological sort, no per-op dispatch, no closure per op.

*Guards.* A replay happens only when, besides the key, every module that ran is in the
same train/eval mode, every parameter has the same ``trainable`` flag and the same array,
and no trace hook is set (explain, hooks and ``check_gradients`` see the eager path).
Otherwise the step runs eagerly and records again. Hyperparameters the optimizer reads
(``lr`` and the rest) are read live on every replay, so a schedule needs no re-capture;
an optimizer whose step is written out (:mod:`glassnet.optim.replay`) is guarded on its
structure (its parameters and buffers, momentum, weight decay, clipping) instead.
A step is never replayed (it always runs eagerly, ``reason`` says why) when it reads a
tensor's value into Python (``item()``, ``bool()``, ``tolist()``: Python could branch on
it), when it ran different ops on its two recorded calls, or when an op is fed an array
computed in Python from the inputs rather than by an op.

*Many steps in one call.* ``fit``'s epoch loop, when nothing runs between batches (no
per-batch callback), hands the run of same-shaped batches to ``CapturedStep.loop``: the
program's third compiled function runs them all, checking each batch's shape, layout and
dtype against the recording and stopping after a batch whose loss was not finite. The
guard is checked once before the run: with every call of the step written out (no
optimizer ``step`` called as it is), nothing inside the run can change what it checks.

*Random and stateful ops.* Dropout draws its mask through :func:`source`, so each replay
draws a fresh mask from the layer's generator: the same stream as eager. BatchNorm's
running statistics are updated in place by its forward kernel, on replay too.

*What is baked in.* Like ``jax.jit``, Python values the function reads from outside its
arguments (a closure's number, a layer's ``p``) are fixed at capture; pass them as
arguments to make them part of the key. Arrays the function mutates without glassnet
(``p.grad = None``, ``w.data -= ...``) are not seen: use ``optimizer.zero_grad()`` and
``optimizer.step()``, which are recorded and called again on replay. Tensors returned by
a replay carry no graph.

*Memory.* The commonest ops (Linear, Sigmoid, ReLU, the squared error) replay through
kernels that make the op's own NumPy calls into arrays allocated once per program
(``out=``, :mod:`glassnet._capture_kernels`), with no op object. A value the step returns,
or a parameter's ``.grad``, is never such an array (it is copied when it would be), and
each thread replays with arrays of its own.

*Exactness.* A replay calls the same kernels in the same order with the same arrays, and
sums gradients exactly as the engine does, so its weights, losses and optimizer state are
bit-identical to the eager step's (``tests/test_capture.py`` checks 50 steps).
"""

from __future__ import annotations

import copy
import functools
import math
from typing import TYPE_CHECKING

import numpy as np

from glassnet import _config
from glassnet._capture_program import DEFER, Program, build
from glassnet._capture_record import Recorder
from glassnet.errors import ConfigError, message
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["CapturedStep", "capture", "source", "step_if_finite"]

_MAX_KEYS = 8  # programs kept per captured step (a fit needs 2: full and last batch)
_MAX_DEFERRALS = 4  # recordings with equal arguments before giving up on a key


def capture(
    fn: Callable | None = None, *, enabled: bool = True
) -> CapturedStep | Callable[[Callable], CapturedStep]:
    """Wrap ``fn`` so that its calls are recorded twice, then replayed (see the module notes).

    Use as ``step = gn.capture(train_step)`` or as the decorator ``@gn.capture``.
    ``enabled=False`` returns a wrapper that always runs ``fn`` eagerly.

    >>> import glassnet as gn, numpy as np
    >>> w = gn.tensor(np.ones((3, 2), np.float32), requires_grad=True)
    >>> opt = gn.optim.SGD([w], lr=0.1)
    >>> def train_step(x):
    ...     opt.zero_grad()
    ...     loss = (gn.ops.matmul(x, w) ** 2).mean()
    ...     loss.backward()
    ...     opt.step()
    ...     return loss
    >>> step = gn.capture(train_step)
    >>> losses = [float(step(np.ones((4, 3), np.float32)).data) for _ in range(4)]
    >>> step.replays
    2
    """
    if fn is None:
        return functools.partial(capture, enabled=enabled)
    if not callable(fn):
        raise ConfigError(
            message("capture", "the step must be callable", type(fn).__name__, "a function")
        )
    return CapturedStep(fn, enabled)


def source(kernel: Callable[..., np.ndarray], owner: object, *arrays: np.ndarray) -> np.ndarray:
    """``kernel(owner, *arrays)``: an array made outside the ops that a replay must make
    again (Dropout's mask). ``kernel`` reads its settings from ``owner`` when it runs."""
    out = kernel(owner, *arrays)
    recorder = _config.state.recorder
    if recorder is not None:
        recorder.on_source(kernel, owner, arrays, out)
    return out


def step_if_finite(value: np.ndarray, method: Callable[[], None]) -> bool:
    """``method()`` (an optimizer's step) when ``value`` (a loss) is finite; True if it ran.

    ``Model.fit``'s step: a NaN or infinite loss never moves the weights. A captured step
    records the test and the call as one event, and a replay makes the same test on the
    replayed loss (a plain ``if`` on the value would keep the step eager)."""
    finite = math.isfinite(float(value.item()))
    state = _config.state
    recorder = state.recorder
    if recorder is None:
        if finite:
            method()
        return finite
    recorder.on_when(value, method)
    state.recorder = None  # the call is part of this event, not one of its own
    try:
        if finite:
            method()
    finally:
        state.recorder = recorder
    return finite


class CapturedStep:
    """A function with recorded programs, one per key (see :func:`capture`).

    ``replays`` and ``recordings`` count calls of each kind; ``reason`` is the last
    sentence saying why a key is not replayed (None when all are).
    """

    def __init__(self, fn: Callable, enabled: bool = True) -> None:
        self.fn, self.enabled = fn, bool(enabled)
        self.programs: dict = {}  # key -> Program | str (why not) | Recorder (first call)
        self.deferrals: dict = {}
        self.replays = self.recordings = 0
        self.reason: str | None = None
        functools.update_wrapper(self, fn)

    def __call__(self, *args) -> Any:
        return self.call(args)

    def call(self, args: tuple, quiet: bool = False) -> Any:
        """``self(*args)``; ``quiet=True`` when the caller runs under
        ``np.errstate(over="ignore")`` already (fit's epoch loop): a replay then skips its
        own errstate blocks, the same computation without entering a context each call."""
        state = _config.state
        if not self.enabled or state.hook is not None or state.recorder is not None:
            return self.fn(*args)
        key = _key(args, state.grad_enabled)
        if key is None:
            return self.fn(*args)
        entry = self.programs.get(key)
        if type(entry) is Program:
            if entry.valid():
                self.replays += 1
                return entry.run(args, quiet)
            entry = None  # a guard changed: record again
        elif type(entry) is str:
            return self.fn(*args)
        return self._record(key, entry, args)

    def loop(self, args: tuple) -> Callable | None:
        """``run(pairs, append)``, replaying ``args``'s program on each args of ``pairs``
        (see ``Program.run_loop``: it returns the args it stopped before, or None), when
        that program replays now and has a loop (fit's step, every call written out);
        else None (call the step). For fit's epoch loop with nothing to do between
        batches: under ``np.errstate(over="ignore")``, with no hook or callback that could
        switch a guard between two batches."""
        state = _config.state
        if not self.enabled or state.hook is not None or state.recorder is not None:
            return None
        program = self.programs.get(_key(args, state.grad_enabled))
        if type(program) is not Program or program.replay_loop is None or not program.valid():
            return None

        def run(pairs, append):
            leftover, steps = program.run_loop(pairs, append)
            self.replays += steps
            return leftover

        return run

    def _record(self, key, previous, args):
        recorder = Recorder(args)
        state = _config.state
        state.recorder, state.hook = recorder, recorder
        try:
            result = self.fn(*args)
        finally:
            state.recorder, state.hook = None, None
        recorder.result = result
        self.recordings += 1
        if type(previous) is not Recorder:
            self._store(key, recorder)
            return result
        built = build(previous, recorder)
        if built == DEFER and self.deferrals.get(key, 0) < _MAX_DEFERRALS:
            self.deferrals[key] = self.deferrals.get(key, 0) + 1
            built = recorder
        if type(built) is str:
            self.reason = built
        self._store(key, built)
        return result

    def _store(self, key, entry) -> None:
        if key not in self.programs and len(self.programs) >= _MAX_KEYS:
            self.programs.pop(next(iter(self.programs)))
        self.programs[key] = entry

    def __deepcopy__(self, memo):
        """A copy (of a model, say) records afresh: programs point at the original's arrays."""
        return CapturedStep(copy.deepcopy(self.fn, memo), self.enabled)

    def __getstate__(self) -> dict:
        return {"fn": self.fn, "enabled": self.enabled}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["fn"], state["enabled"])

    def reset(self) -> None:
        """Forget every recording and program (the next calls record again)."""
        self.programs.clear()
        self.deferrals.clear()
        self.reason = None

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", type(self.fn).__name__)
        return f"<captured {name}: {self.recordings} recorded, {self.replays} replayed>"


def _key(args: tuple, grad_enabled: bool):
    """What must match for a program to apply; None when an argument rules capture out
    (a tensor that requires a gradient: its gradient lands on a new tensor each call)."""
    parts: list = [grad_enabled]
    for a in args:
        if type(a) is np.ndarray:  # the common case first
            parts.append((a.shape, a.dtype, a.strides))
            continue
        if isinstance(a, Tensor):
            if a.requires_grad:
                return None
            a = a.data
        if isinstance(a, np.ndarray):
            parts.append((a.shape, a.dtype, a.strides))
        else:
            try:
                hash(a)
            except TypeError:
                return None
            parts.append((type(a), a if isinstance(a, int | float | str | bool) else id(a)))
    return tuple(parts)
