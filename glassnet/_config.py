"""Global switches read on the hot path: gradient recording, default dtype, the trace hook.

They are plain module attributes so that the engine pays one attribute lookup per op.
``hook`` is the slot that :mod:`glassnet.explain` plugs a recorder into; when it is ``None``
(the default) tracing costs one ``is None`` check per op.

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

import numpy as np

grad_enabled: bool = True
default_dtype = np.dtype(np.float32)
hook = None


@contextlib.contextmanager
def no_grad():
    """Disable graph recording inside the block (inference, optimizer updates).

    >>> import glassnet as gn
    >>> w = gn.tensor([1.0], requires_grad=True)
    >>> with gn.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    global grad_enabled
    previous = grad_enabled
    grad_enabled = False
    try:
        yield
    finally:
        grad_enabled = previous


@contextlib.contextmanager
def enable_grad():
    """Re-enable graph recording inside a ``no_grad`` block."""
    global grad_enabled
    previous = grad_enabled
    grad_enabled = True
    try:
        yield
    finally:
        grad_enabled = previous


@contextlib.contextmanager
def use_hook(new_hook):
    """Install ``new_hook`` (see the module docstring) for the duration of the block."""
    global hook
    previous = hook
    hook = new_hook
    try:
        yield new_hook
    finally:
        hook = previous
