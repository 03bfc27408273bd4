"""The recording half of :mod:`glassnet.captured`: what one eager call of a step did.

A :class:`Recorder` sits in two slots of the calling thread while the step runs eagerly:
the trace hook (``_config.state.hook``, the protocol :mod:`glassnet.explain` uses) and the
recorder slot (``_config.state.recorder``). Through them it sees, in call order:

- ``on_apply(cls, settings)`` then ``on_forward(fn, inputs, out)``: one primitive op, its
  settings (the keywords of ``apply``) and the tensors it read and made;
- ``on_backward(fn, node, grad_y, grads)``: one op's backward in the engine's order; the
  recorder follows the engine's routing of each gradient (to a pending sum or to a leaf's
  ``.grad``) so that it knows where every backward pass starts (the seed dL/dL = 1);
- ``on_source(kernel, owner, arrays, out)``: an array made outside the ops that must be
  made again on every replay (Dropout's mask, from the layer's generator);
- ``on_call(obj, name)``: ``optimizer.zero_grad()``, ``optimizer.step()``,
  ``module.zero_grad()``: replayed as the same method call on the same object;
- ``on_when(value, method)``: ``method()`` called only when ``value`` (a loss) is finite
  (:func:`glassnet.captured.step_if_finite`): the replay makes the same test;
- ``on_module(module)``: a module ran (the replay guards on its ``training`` flag);
- ``on_read(tensor, how)``: a value left the graph for Python (``item()``, ``bool()``,
  ``tolist()``). Python may branch on it, and a replay cannot take another branch, so a
  step that does this is never replayed.

Anything the recorder cannot vouch for sets ``unsafe`` to a sentence saying why.
"""

from __future__ import annotations

import numpy as np

from glassnet.tensor import Tensor

__all__ = ["Recorder"]


class Recorder:
    """The events of one eager call of a captured step (see the module docstring)."""

    def __init__(self, args: tuple):
        self.args = [a.data if isinstance(a, Tensor) else a for a in args]
        self.events: list[tuple] = []
        self.modules: dict[int, object] = {}
        self.unsafe: str | None = None
        self.result = None
        self._settings: tuple | None = None
        self._pending: set = set()  # tensors holding a pending gradient, as in the engine
        self._expected_leaves: list = []

    def fail(self, reason: str) -> None:
        if self.unsafe is None:
            self.unsafe = reason

    # ---- the recorder slot --------------------------------------------------------------
    def on_apply(self, cls, settings: dict) -> None:
        self._settings = (cls, dict(settings))

    def on_module(self, module) -> None:
        self.modules.setdefault(id(module), module)

    def on_source(self, kernel, owner, arrays: tuple, out: np.ndarray) -> None:
        self.events.append(("src", kernel, owner, arrays, out))

    def on_call(self, obj, name: str) -> None:
        self.events.append(("call", obj, name))

    def on_when(self, value: np.ndarray, method) -> None:
        self.events.append(("when", value, method.__self__, method.__name__))

    def on_read(self, tensor, how: str) -> None:
        self.fail(
            f"the step reads a tensor's value into Python ({how}()), and Python may branch "
            "on it; return the tensor and read it after the step"
        )

    # ---- the trace-hook protocol --------------------------------------------------------
    def on_forward(self, fn, inputs: tuple, out) -> None:
        cls, settings = self._settings if self._settings is not None else (None, {})
        self._settings = None
        if cls is not type(fn):
            self.fail(f"{type(fn).__name__} ran without Function.apply")
        needs = fn.__dict__.get("needs_input_grad")  # the engine's, before backward frees it
        self.events.append(("fwd", fn, settings, inputs, out, needs))

    def on_backward(self, fn, node, grad_y, grads) -> None:
        seed = node not in self._pending
        if seed:
            self._pending.clear()
            if node.retains_grad or grad_y.shape != node.shape or not np.all(grad_y == 1):
                self.fail("backward() was given a gradient or a retained non-leaf")
        else:
            self._pending.discard(node)
        for t, g in zip(fn.inputs, grads):
            if g is None or not t.requires_grad:
                continue
            if t.creator is None:
                self._expected_leaves.append(t)
            else:
                self._pending.add(t)
        self.events.append(("bwd", fn, node, seed))

    def on_unbroadcast(self, fn, index, before, after) -> None:
        pass  # the replay sums back to the input's shape itself, as the engine does

    def on_accumulate(self, tensor, grad, total) -> None:
        if not self._expected_leaves or self._expected_leaves.pop(0) is not tensor:
            self.fail("a gradient reached a tensor outside an op's backward")
