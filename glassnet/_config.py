"""Switches read on the hot path: gradient recording, default dtype, the trace hook.

``state.grad_enabled`` and ``state.hook`` belong to the calling thread (as PyTorch's grad
mode does): a thread that predicts under ``no_grad`` never switches off another thread's
gradient recording mid-step, and a trace records only its own thread's ops. The engine
pays one attribute lookup per op for each. ``state.hook`` is the slot that
:mod:`glassnet.explain` plugs a recorder into; when it is ``None`` (the default) tracing
costs one ``is None`` check per op. ``default_dtype`` is shared by all threads.

The hook protocol (all methods optional to implement meaningfully, all must exist):

- ``on_forward(fn, inputs, output)``: an op produced ``output`` from ``inputs``.
- ``on_backward(fn, output, grad_y, grads)``: ``fn``'s backward turned the upstream
  gradient into one gradient per input (``grads``, before un-broadcasting).
- ``on_unbroadcast(fn, index, grad_before, grad_after)``: an input's gradient was summed
  back to the input's shape.
- ``on_accumulate(tensor, grad, total)``: ``grad`` was added into ``tensor``'s gradient.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from glassnet.errors import ConfigError, message

default_dtype = np.dtype(np.float32)

# The Generator that ``seed=None`` means once gn.manual_seed(n) has run; None: fresh entropy.
default_generator: np.random.Generator | None = None


def manual_seed(seed: int) -> np.random.Generator:
    """Make every random draw that is given no seed reproducible (PyTorch's habit).

    After ``gn.manual_seed(n)``, a ``seed=None`` anywhere (layer initialisation, Dropout,
    ``fit``'s shuffling, ``gn.randn``, a DataLoader) draws from ONE shared Generator
    seeded with n, in call order, so rerunning the same script gives the same numbers.
    An explicit ``seed=`` still wins everywhere. Returns that Generator.

    >>> import glassnet as gn
    >>> _ = gn.manual_seed(0); a = gn.randn((2,)).numpy()
    >>> _ = gn.manual_seed(0); b = gn.randn((2,)).numpy()
    >>> bool((a == b).all())
    True
    """
    global default_generator
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(
            message("manual_seed", "the seed must be an integer ≥ 0", repr(seed), "e.g. 0")
        )
    default_generator = np.random.default_rng(int(seed))
    return default_generator


class _ThreadState(threading.local):
    """Per-thread switches; every new thread starts recording, with no hook."""

    grad_enabled: bool = True
    hook = None
    recorder = None  # a glassnet.captured recorder while a captured step records its ops


state = _ThreadState()


@contextlib.contextmanager
def no_grad():
    """Disable graph recording in this thread inside the block (inference, updates).

    >>> import glassnet as gn
    >>> w = gn.tensor([1.0], requires_grad=True)
    >>> with gn.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    previous = state.grad_enabled
    state.grad_enabled = False
    try:
        yield
    finally:
        state.grad_enabled = previous


@contextlib.contextmanager
def enable_grad():
    """Re-enable graph recording in this thread inside a ``no_grad`` block."""
    previous = state.grad_enabled
    state.grad_enabled = True
    try:
        yield
    finally:
        state.grad_enabled = previous


@contextlib.contextmanager
def use_hook(new_hook):
    """Install ``new_hook`` (see the module docstring) in this thread for the block."""
    previous = state.hook
    state.hook = new_hook
    try:
        yield new_hook
    finally:
        state.hook = previous
