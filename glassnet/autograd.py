"""Reverse-mode automatic differentiation: the Function base class and the backward engine.

The whole idea in one paragraph: every op is a :class:`Function` whose ``forward`` maps
arrays to an array and remembers what its ``backward`` will need. Applying it to tensors
records the function as the ``creator`` of the output. ``loss.backward()`` then visits the
recorded functions from the loss back to the leaves, and each one turns the gradient of
the loss with respect to its output (``grad_y``) into gradients with respect to its
inputs: the chain rule, dL/dx = dL/dy · dy/dx, applied one op at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import _config
from glassnet.errors import (
    DTypeError,
    GlassnetError,
    InternalError,
    ShapeError,
    fmt_shape,
    message,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from glassnet.tensor import Tensor

__all__ = ["Function", "backward", "unbroadcast"]


class Function:
    """One primitive op: settings in ``__init__``, ``forward(*arrays)``, ``backward(grad_y)``.

    The contract every op (glassnet's or your own) follows:

    - **Settings are declared.** Non-tensor settings (an axis, an exponent, a stride) are
      the parameters of the op's ``__init__``, which stores them as attributes:
      ``Sum(axis=None, keepdims=False)``, ``PowScalar(p)``. ``Op.apply(*tensors,
      **settings)`` builds ``Op(**settings)`` and runs it; an op without settings defines
      no ``__init__``.
    - **forward(*arrays) -> array** gets the inputs' ndarrays (never Tensors) and saves
      what backward needs as arrays or numbers on ``self`` (``self.mask``, ``self.y``).
    - **backward(grad_y) -> tuple** turns dL/dy (``grad_y``, the output's shape) into one
      gradient array (or ``None``) per input. It reads only what forward saved, its
      settings and ``self.needs_input_grad``: one bool per input, set by the engine when
      it records the op (PyTorch's ``ctx.needs_input_grad``), so a gradient nobody needs
      is skipped without touching the input tensors. A gradient may come back in the
      broadcast shape of the output: the engine sums it back to the input's shape in one
      place (:func:`unbroadcast`), so each backward stays the textbook formula.

    ``inputs`` (the input tensors) is the engine's bookkeeping, for walking the graph and
    for trace hooks; backward never reads it. A minimal op::

        class Scale(Function):
            def __init__(self, factor: float):
                self.factor = factor

            def forward(self, x):
                return self.factor * x

            def backward(self, grad_y):
                return (self.factor * grad_y,)

        y = Scale.apply(x, factor=2.0)
    """

    inputs: tuple | None = None
    needs_input_grad: tuple[bool, ...] = ()

    @classmethod
    def apply(cls, *inputs, **settings) -> Tensor:
        """Run ``cls(**settings).forward`` on the inputs' arrays; record the op when a
        gradient is needed. The output tensor is made by the inputs' own constructor
        (``Tensor._from_op``), so this module never imports :mod:`glassnet.tensor`."""
        fn = cls(**settings)
        state = _config.state  # this thread's switches
        if state.recorder is not None:  # glassnet.captured notes the settings
            state.recorder.on_apply(cls, settings)
        arrays, needs = [], []
        for t in inputs:  # one plain loop: on this hot path, cheaper than comprehensions
            arrays.append(t.data)
            needs.append(t.requires_grad)
        try:
            y = fn.forward(*arrays)
        except GlassnetError:
            raise
        except ValueError as exc:  # NumPy's broadcasting and axis errors, in our terms
            raise ShapeError(_numpy_error_message(fn, inputs, exc)) from None
        record = state.grad_enabled and True in needs
        out = inputs[0]._from_op(y, fn if record else None)
        if record:
            fn.inputs = inputs
            fn.needs_input_grad = tuple(needs)
        if state.hook is not None:
            state.hook.on_forward(fn, inputs, out)
        return out

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name}>"


def _numpy_error_message(fn: Function, inputs: tuple, exc: ValueError) -> str:
    shapes = ", ".join(fmt_shape(t.shape) for t in inputs)
    if isinstance(exc, np.exceptions.AxisError):
        return message(
            fn.name,
            "an axis is out of range",
            f"shapes {shapes} ({exc})",
            "axes within each input's number of axes",
        )
    return message(
        fn.name,
        "the inputs' shapes do not fit together",
        f"shapes {shapes} ({exc})",
        "shapes that broadcast: equal or 1, aligned right",
    )


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a gradient of a broadcast result back to the input's ``shape``.

    Forward:   y = broadcast(x) copies x along new leading axes and along axes of size 1.
    Backward:  dL/dx = Σ dL/dy over every copy, i.e. a sum over those axes.

    Raises ValueError when ``shape`` does not broadcast to ``grad.shape``.

    >>> unbroadcast(np.ones((2, 3, 4)), (3, 1))[:, 0]
    array([8., 8., 8.])
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead > 0:
        grad = grad.sum(axis=tuple(range(lead)))
    if lead >= 0:
        axes = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
        if axes:
            grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:
        raise ValueError(f"cannot sum shape {fmt_shape(grad.shape)} to {fmt_shape(shape)}")
    return grad


def _topological_order(root: Tensor) -> list[Tensor]:
    """The op outputs reachable from ``root`` (root included), each after all its consumers.

    Why topological: a node used twice (``y = x * x``, or a diamond a → b, c → d) must
    receive the gradient from *every* consumer before it passes its own gradient on.
    Visiting in reverse topological order guarantees that. The walk is a depth-first
    search with an explicit stack of (tensor, its remaining inputs), not recursion, so a
    chain of 10,000 ops is fine; a tensor is emitted once all its inputs have been, and the
    order is deterministic. Leaves are not listed: they pass nothing on, so each gradient
    reaching one is added into its ``.grad`` at once (see :func:`_propagate`).
    """
    order: list[Tensor] = []
    seen = {root}
    stack = [(root, _inputs(root))]
    while stack:
        for t in stack[-1][1]:
            if t.creator is None or t in seen or not t.requires_grad:
                continue
            seen.add(t)
            stack.append((t, _inputs(t)))
            break
        else:  # every input of the top tensor is emitted
            order.append(stack.pop()[0])
    order.reverse()
    return order


def _inputs(node: Tensor):
    """The inputs of the op that made ``node``, last first, so that the reversed order
    visits sibling inputs in call order (``x @ w + b`` reaches w before b)."""
    fn = node.creator
    if fn is None:
        return iter(())
    if fn.inputs is None:
        raise GlassnetError(
            message(
                "backward",
                "the graph was already freed by an earlier backward()",
                hint="pass retain_graph=True to the first backward() to call it twice",
            )
        )
    return reversed(fn.inputs)


def _seed_gradient(root: Tensor, grad) -> np.ndarray:
    if grad is None:
        if root.data.size != 1:
            raise ShapeError(
                message(
                    "backward",
                    "an upstream gradient is needed for a non-scalar tensor",
                    f"a tensor of shape {fmt_shape(root.shape)}",
                    "a scalar (one element)",
                    "call backward() on a scalar loss, or pass grad=<array of the same shape>",
                )
            )
        return np.ones(root.shape, dtype=root.dtype)
    if type(grad) is not np.ndarray:
        grad = np.asarray(grad)  # a Tensor gives its data (Tensor.__array__)
    if grad.dtype.kind not in "fiu":
        raise DTypeError(
            message(
                "backward",
                "the upstream gradient is not numeric",
                f"dtype {grad.dtype}",
                "a float array",
            )
        )
    data = root.data
    if grad.shape != data.shape:
        raise ShapeError(
            message(
                "backward",
                "the upstream gradient's shape differs from the tensor's",
                f"grad.shape={fmt_shape(grad.shape)}",
                f"{fmt_shape(data.shape)}",
            )
        )
    return grad if grad.dtype == data.dtype else grad.astype(data.dtype)


def backward(root: Tensor, grad: ArrayLike | None = None, retain_graph: bool = False) -> None:
    """Backpropagate from ``root``: accumulate dL/dleaf into every leaf's ``.grad``.

    ``grad`` is dL/droot (defaults to 1 for a scalar). Gradients are summed out of place
    (``a + b``, never ``a += b``) so no array handed out by a backward is ever mutated.
    Leaves accumulate across calls until ``zero_grad``. Unless ``retain_graph`` is set,
    every visited op drops its saved arrays and its links, freeing the graph.
    """
    if not root.requires_grad:
        raise GlassnetError(
            message(
                "backward",
                "this tensor does not require a gradient (no recorded op leads to it)",
                hint="create leaves with requires_grad=True, and do not call backward inside "
                "no_grad()",
            )
        )
    seed = _seed_gradient(root, grad)
    hook = _config.state.hook
    if root.creator is None:  # backward() on a leaf: dL/dL = 1
        _accumulate(root, seed.copy(), hook)
        return
    grads: dict[Tensor, np.ndarray] = {root: seed}
    for node in _topological_order(root):
        grad_y = grads.pop(node, None)
        if grad_y is None:
            continue
        if node.retains_grad:
            _accumulate(node, grad_y.copy(), hook)
        fn = node.creator
        _propagate(fn, node, grad_y, grads, hook)
        if not retain_graph:
            vars(fn).clear()
            fn.inputs = None


def _propagate(fn: Function, node: Tensor, grad_y: np.ndarray, grads: dict, hook) -> None:
    """Call one op's backward; add each input's gradient into its pending sum, or, for a
    leaf, into its ``.grad``."""
    input_grads = fn.backward(grad_y)
    if type(input_grads) is not tuple or len(input_grads) != len(fn.inputs):
        raise InternalError(_bad_backward(fn, _describe(input_grads)))
    if hook is not None:
        hook.on_backward(fn, node, grad_y, input_grads)
    for index, (t, g) in enumerate(zip(fn.inputs, input_grads)):
        if g is None or not t.requires_grad:
            continue
        if g.shape != t.data.shape:
            before = g
            try:
                g = unbroadcast(g, t.data.shape)
            except ValueError:
                what = f"a gradient of shape {fmt_shape(g.shape)} for input {index}"
                raise InternalError(_bad_backward(fn, what, t.data.shape)) from None
            if hook is not None:
                hook.on_unbroadcast(fn, index, before, g)
        if t.creator is None:
            if t.grad is None and not _exclusive(g, grad_y, input_grads, index):
                g = g.copy()  # a leaf keeps its .grad: it must own it
            _accumulate(t, g, hook)
        elif t in grads:
            grads[t] = grads[t] + g  # a new array: pending sums never alias a backward's output
        else:
            grads[t] = g


def _exclusive(g: np.ndarray, grad_y: np.ndarray, input_grads: tuple, index: int) -> bool:
    """True when nothing else can hold ``g``: a new writable array (not a view), not the
    upstream gradient passed through (``a + b`` hands grad_y on), and not already given
    to an earlier input of the same op. Such a gradient becomes ``leaf.grad`` uncopied,
    which saves a copy of every weight gradient each step."""
    if g is grad_y or g.base is not None or not g.flags.writeable:
        return False
    for earlier in input_grads[:index]:
        if earlier is g:
            return False
    return True


def _bad_backward(fn: Function, what: str, shape: tuple | None = None) -> str:
    expected = (
        f"shape {fmt_shape(shape)} or one that broadcasts to it"
        if shape is not None
        else f"a tuple with one gradient (or None) per input: {len(fn.inputs)}"
    )
    return message(
        f"{fn.name}.backward",
        "the op's backward broke the engine's contract",
        what,
        expected,
        "this is a bug in that op (glassnet's or your own Function), not in your data",
    )


def _describe(grads) -> str:
    if type(grads) is tuple:
        return f"a tuple of {len(grads)}"
    return f"one {type(grads).__name__}"


def _accumulate(leaf: Tensor, grad: np.ndarray, hook) -> None:
    """leaf.grad += grad, out of place. The first gradient is kept as is when only this
    leaf holds it (see :func:`_exclusive`) and every later sum is a new array: each leaf
    owns a writable ``.grad`` that nothing else aliases."""
    if grad.dtype != leaf.data.dtype:
        grad = grad.astype(leaf.data.dtype)
    leaf.grad = grad if leaf.grad is None else leaf.grad + grad
    if hook is not None:
        hook.on_accumulate(leaf, grad, leaf.grad)
