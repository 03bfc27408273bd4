"""The primitive ops as functions: ``gn.ops.relu(x)``, ``gn.ops.matmul(a, b)``, ...

Each function converts plain numbers and arrays to tensors of the other operand's dtype,
checks what NumPy would report ambiguously, and applies one :class:`Function` from the
modules beside this one (arithmetic, reduce, shape, linalg, activation).
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from glassnet.errors import ShapeError, check_axis, fmt_shape, message
from glassnet.ops import activation, arithmetic, linalg, reduce, shape
from glassnet.tensor import Tensor, as_tensor

__all__ = [
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "neg",
    "matmul",
    "linear",
    "exp",
    "log",
    "sqrt",
    "abs",
    "maximum",
    "minimum",
    "clip",
    "where",
    "sum",
    "mean",
    "max",
    "min",
    "var",
    "reshape",
    "transpose",
    "permute",
    "swapaxes",
    "expand_dims",
    "squeeze",
    "broadcast_to",
    "flatten",
    "getitem",
    "concatenate",
    "stack",
    "pad",
    "relu",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "softplus",
    "softmax",
    "log_softmax",
    "identity",
]


def _pair(a, b) -> tuple[Tensor, Tensor]:
    """Both operands as tensors; a non-tensor takes the tensor operand's float dtype."""
    if isinstance(a, Tensor):
        return a, (b if isinstance(b, Tensor) else as_tensor(b, a))
    b = as_tensor(b)
    return as_tensor(a, b), b


# ---- arithmetic -------------------------------------------------------------------------
def add(a, b) -> Tensor:
    """a + b, elementwise with broadcasting."""
    return arithmetic.Add.apply(*_pair(a, b))


def sub(a, b) -> Tensor:
    """a − b, elementwise with broadcasting."""
    return arithmetic.Sub.apply(*_pair(a, b))


def mul(a, b) -> Tensor:
    """a ⊙ b, elementwise with broadcasting."""
    return arithmetic.Mul.apply(*_pair(a, b))


def div(a, b) -> Tensor:
    """a / b, elementwise with broadcasting."""
    return arithmetic.Div.apply(*_pair(a, b))


def pow(a, b) -> Tensor:  # noqa: A001 - the op's name
    """aᵇ: a constant exponent uses PowScalar, a tensor exponent Pow."""
    if isinstance(a, Tensor) and not isinstance(b, Tensor):
        if np.ndim(b) == 0:
            return arithmetic.PowScalar.apply(a, p=b.item() if hasattr(b, "item") else b)
    return arithmetic.Pow.apply(*_pair(a, b))


def neg(x) -> Tensor:
    """−x."""
    return arithmetic.Neg.apply(as_tensor(x))


def exp(x) -> Tensor:
    """eˣ, elementwise."""
    return arithmetic.Exp.apply(as_tensor(x))


def log(x) -> Tensor:
    """ln x, elementwise."""
    return arithmetic.Log.apply(as_tensor(x))


def sqrt(x) -> Tensor:
    """√x, elementwise."""
    return arithmetic.Sqrt.apply(as_tensor(x))


def abs(x) -> Tensor:  # noqa: A001 - the op's name
    """|x|, elementwise."""
    return arithmetic.Abs.apply(as_tensor(x))


def maximum(a, b) -> Tensor:
    """Elementwise max(a, b)."""
    return arithmetic.Maximum.apply(*_pair(a, b))


def minimum(a, b) -> Tensor:
    """Elementwise min(a, b)."""
    return arithmetic.Minimum.apply(*_pair(a, b))


def clip(x, low=None, high=None) -> Tensor:
    """Clamp x into [low, high]; either bound may be None."""
    return arithmetic.Clip.apply(as_tensor(x), low=low, high=high)


def where(condition, a, b) -> Tensor:
    """a where ``condition`` holds, else b (condition carries no gradient)."""
    condition = np.asarray(
        condition.data if isinstance(condition, Tensor) else condition, dtype=bool
    )
    return arithmetic.Where.apply(*_pair(a, b), condition=condition)


# ---- matrix product -----------------------------------------------------------------
def matmul(a, b) -> Tensor:
    """a @ b; see :class:`glassnet.ops.linalg.MatMul` for the 1-D and batched rules."""
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(
            message(
                "matmul",
                "both operands need at least one axis",
                f"a.shape={fmt_shape(a.shape)}, b.shape={fmt_shape(b.shape)}",
                "vectors or matrices",
                "use * to scale by a scalar",
            )
        )
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != inner_b:
        raise ShapeError(
            message(
                "matmul",
                f"inner sizes {a.shape[-1]} and {inner_b} differ",
                f"a.shape={fmt_shape(a.shape)}, b.shape={fmt_shape(b.shape)}",
                "a.shape[-1] == b.shape[-2]",
                "transpose one operand (x.T) or check the layer sizes",
            )
        )
    return linalg.MatMul.apply(a, b)


def linear(x, w, b=None) -> Tensor:
    """z = x·w + b for w (in, out) and b (out,): a Dense layer's weighted sum, fused."""
    x, w = _pair(x, w)
    if b is None:
        return matmul(x, w)
    b = as_tensor(b, w)
    if x.ndim == 0 or w.ndim != 2 or x.shape[-1] != w.shape[0] or b.shape != w.shape[1:]:
        raise ShapeError(
            message(
                "linear",
                "x, w and b do not fit z = x·w + b",
                f"x.shape={fmt_shape(x.shape)}, w.shape={fmt_shape(w.shape)}, "
                f"b.shape={fmt_shape(b.shape)}",
                "x (..., in), w (in, out), b (out,)",
            )
        )
    return linalg.Linear.apply(x, w, b)


# ---- reductions -----------------------------------------------------------------------
def sum(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - the op's name
    """Σ over ``axis`` (all axes by default)."""
    return reduce.Sum.apply(as_tensor(x), axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False) -> Tensor:
    """Arithmetic mean over ``axis``."""
    return reduce.Mean.apply(as_tensor(x), axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - the op's name
    """Maximum over ``axis``; ties share the gradient."""
    return reduce.Max.apply(as_tensor(x), axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - the op's name
    """Minimum over ``axis``; ties share the gradient."""
    return reduce.Min.apply(as_tensor(x), axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False, ddof=0) -> Tensor:
    """Variance over ``axis`` with divisor n − ddof."""
    return reduce.Var.apply(as_tensor(x), axis=axis, keepdims=keepdims, ddof=ddof)


# ---- shape ------------------------------------------------------------------------------
def _shape_arg(args) -> tuple:
    if len(args) == 1 and isinstance(args[0], tuple | list):
        return tuple(args[0])
    return tuple(args)


def reshape(x, *new_shape) -> Tensor:
    """The same elements in another shape; one axis may be −1 (inferred)."""
    x, new_shape = as_tensor(x), _shape_arg(new_shape)
    known = math.prod(s for s in new_shape if s != -1)
    fits = x.size == known if -1 not in new_shape else (known and x.size % known == 0)
    if not fits or builtins.sum(s == -1 for s in new_shape) > 1:
        raise ShapeError(
            message(
                "reshape",
                f"cannot lay {x.size} elements out as {new_shape}",
                f"x.shape={fmt_shape(x.shape)}",
                f"a shape with {x.size} elements (at most one -1)",
            )
        )
    return shape_op(x, new_shape)


def shape_op(x: Tensor, new_shape: tuple) -> Tensor:
    """Reshape without checks (used by ops that computed a valid shape themselves)."""
    return shape.Reshape.apply(x, shape=new_shape)


def transpose(x, *axes) -> Tensor:
    """Reverse the axes, or permute them by ``axes``."""
    axes = _shape_arg(axes) or None
    return _permute(as_tensor(x), axes)


def permute(x, *axes) -> Tensor:
    """Permute the axes: ``y.shape[k] = x.shape[axes[k]]``."""
    return _permute(as_tensor(x), _shape_arg(axes))


def _permute(x: Tensor, axes) -> Tensor:
    if axes is not None and sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
        raise ShapeError(
            message(
                "transpose",
                "axes must be a permutation of the tensor's axes",
                f"axes={axes} for x.shape={fmt_shape(x.shape)}",
                f"a permutation of {tuple(range(x.ndim))}",
            )
        )
    axes = None if axes is None else tuple(a % x.ndim for a in axes)
    return shape.Transpose.apply(x, axes=axes)


def swapaxes(x, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    x = as_tensor(x)
    axis1, axis2 = check_axis(axis1, x.ndim, "swapaxes"), check_axis(axis2, x.ndim, "swapaxes")
    perm = list(range(x.ndim))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return _permute(x, tuple(perm))


def expand_dims(x, axis: int) -> Tensor:
    """Insert an axis of size 1 at ``axis``."""
    x = as_tensor(x)
    axis = check_axis(axis, x.ndim + 1, "expand_dims")
    return shape_op(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(x, axis=None) -> Tensor:
    """Remove axes of size 1 (all of them, or the given ones, which must have size 1)."""
    x = as_tensor(x)
    if axis is None:
        axes = [i for i, s in enumerate(x.shape) if s == 1]
    else:
        axes = [check_axis(a, x.ndim, "squeeze") for a in np.atleast_1d(axis).tolist()]
    bad = [a for a in axes if x.shape[a] != 1]
    if bad:
        raise ShapeError(
            message(
                "squeeze",
                f"axis {bad[0]} has size {x.shape[bad[0]]}",
                f"x.shape={fmt_shape(x.shape)}",
                "axes of size 1",
            )
        )
    return shape_op(x, tuple(s for i, s in enumerate(x.shape) if i not in axes))


def broadcast_to(x, new_shape) -> Tensor:
    """Repeat x to ``new_shape`` by NumPy's broadcasting rules."""
    x, new_shape = as_tensor(x), tuple(new_shape)
    if not _broadcastable(x.shape, new_shape):
        raise ShapeError(
            message(
                "broadcast_to",
                "the shapes cannot be broadcast",
                f"x.shape={fmt_shape(x.shape)} to {fmt_shape(new_shape)}",
                "axes equal or of size 1, aligned from the right",
            )
        )
    return shape.BroadcastTo.apply(x, shape=new_shape)


def _broadcastable(source: tuple, target: tuple) -> bool:
    """True when ``source`` can be repeated to exactly ``target``."""
    if len(source) > len(target):
        return False
    return builtins.all(s in (1, t) for s, t in zip(source[::-1], target[::-1]))


def flatten(x, start_axis: int = 0) -> Tensor:
    """Merge the axes from ``start_axis`` on into one (start_axis=1 keeps the batch axis)."""
    x = as_tensor(x)
    if x.ndim:
        start_axis = check_axis(start_axis, x.ndim, "flatten")
    return shape_op(x, x.shape[:start_axis] + (-1,))


def _is_advanced(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return builtins.any(isinstance(p, np.ndarray | list) for p in parts)


def getitem(x, index) -> Tensor:
    """x[index] with ints, slices, None, Ellipsis, integer arrays or a boolean mask."""
    x = as_tensor(x)
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(p.data if isinstance(p, Tensor) else p for p in index)
    if isinstance(index, list):
        index = np.asarray(index)
    try:
        return shape.GetItem.apply(x, index=index, advanced=_is_advanced(index))
    except IndexError as exc:
        raise ShapeError(
            message(
                "getitem",
                "the index does not fit the tensor",
                f"x.shape={fmt_shape(x.shape)} ({exc})",
                "indices within each axis",
            )
        ) from None


def _same_dtype(tensors, where: str) -> list[Tensor]:
    tensors = list(tensors)
    if not tensors:
        raise ShapeError(message(where, "there is nothing to join", "an empty list", "tensors"))
    like = next((t for t in tensors if isinstance(t, Tensor)), None)
    return [as_tensor(t, like) for t in tensors]


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    tensors = _same_dtype(tensors, "concatenate")
    axis = check_axis(axis, tensors[0].ndim, "concatenate")
    rest = [tuple(s for i, s in enumerate(t.shape) if i != axis) for t in tensors]
    if builtins.any(r != rest[0] for r in rest) or len({t.ndim for t in tensors}) > 1:
        raise ShapeError(
            message(
                "concatenate",
                f"shapes differ off axis {axis}",
                ", ".join(fmt_shape(t.shape) for t in tensors),
                f"equal sizes on every axis but {axis}",
            )
        )
    return shape.Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis: int = 0) -> Tensor:
    """Stack same-shaped tensors along a new axis."""
    tensors = _same_dtype(tensors, "stack")
    axis = check_axis(axis, tensors[0].ndim + 1, "stack")
    if len({t.shape for t in tensors}) > 1:
        raise ShapeError(
            message(
                "stack",
                "all tensors need the same shape",
                ", ".join(fmt_shape(t.shape) for t in tensors),
                "one shape",
            )
        )
    return shape.Stack.apply(*tensors, axis=axis)


def pad(x, pad_width, value=0.0) -> Tensor:
    """Pad with ``value``: ``pad_width`` is an int, a (before, after) pair or one per axis."""
    x = as_tensor(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    return shape.Pad.apply(x, pad_width=tuple(map(tuple, widths.tolist())), value=value)


# ---- activations ------------------------------------------------------------------------
def identity(x) -> Tensor:
    """y = x."""
    return activation.Identity.apply(as_tensor(x))


def relu(x) -> Tensor:
    """max(0, x)."""
    return activation.ReLU.apply(as_tensor(x))


def leaky_relu(x, alpha: float = 0.01) -> Tensor:
    """x if x > 0 else α·x."""
    return activation.LeakyReLU.apply(as_tensor(x), alpha=alpha)


def sigmoid(x) -> Tensor:
    """σ(x) = 1 / (1 + e⁻ˣ), overflow-free."""
    return activation.Sigmoid.apply(as_tensor(x))


def tanh(x) -> Tensor:
    """tanh(x)."""
    return activation.Tanh.apply(as_tensor(x))


def softplus(x) -> Tensor:
    """ln(1 + eˣ), overflow-free."""
    return activation.Softplus.apply(as_tensor(x))


def softmax(x, axis: int = -1) -> Tensor:
    """Probabilities along ``axis``: e^xᵢ / Σⱼ e^xⱼ (stable)."""
    x = as_tensor(x)
    return activation.Softmax.apply(x, axis=check_axis(axis, x.ndim, "softmax"))


def log_softmax(x, axis: int = -1) -> Tensor:
    """ln softmax(x) along ``axis`` (stable)."""
    x = as_tensor(x)
    return activation.LogSoftmax.apply(x, axis=check_axis(axis, x.ndim, "log_softmax"))


# ---- convolution, pooling, normalisation (NCHW; defined beside their ops) ---------------
from glassnet.ops.conv import conv2d  # noqa: E402
from glassnet.ops.norm import batch_norm  # noqa: E402
from glassnet.ops.pool import avg_pool2d, global_avg_pool2d, max_pool2d  # noqa: E402

__all__ += ["conv2d", "max_pool2d", "avg_pool2d", "global_avg_pool2d", "batch_norm"]
