"""Ops that move or copy elements without arithmetic: reshape, transpose, broadcast_to,
getitem, concatenate, stack, pad. Their backward puts each gradient back where its
element came from. The functions at the end (``reshape``, ``transpose``, ``getitem``, ...,
re-exported as ``glassnet.ops.*``) check their arguments in the user's terms, then apply
one op.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np

from glassnet.autograd import Function
from glassnet.errors import ShapeError, TensorIndexError, check_axis, fmt_shape, message
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike


class Reshape(Function):
    """View the same elements with another shape (also expand_dims, squeeze, flatten).

    Forward:   y = x laid out as ``shape`` (row-major order unchanged)
    Backward:  dL/dx = dL/dy laid out as x's shape
    Shapes:    x (*) → y (shape), same number of elements
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.source = x.shape
        return x.reshape(self.shape)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y.reshape(self.source),)


class Transpose(Function):
    """Permute axes (``axes=None`` reverses them; a matrix gets yᵢⱼ = xⱼᵢ).

    Forward:   y = x with axes permuted by p:  y.shape[k] = x.shape[p[k]]
    Backward:  dL/dx = dL/dy permuted by the inverse permutation p⁻¹
    Shapes:    x (*) → y (permuted *)
    """

    def __init__(self, axes: tuple[int, ...] | None = None) -> None:
        self.axes = axes

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.perm = tuple(range(x.ndim))[::-1] if self.axes is None else self.axes
        return x.transpose(self.perm)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        inverse = sorted(range(len(self.perm)), key=self.perm.__getitem__)
        return (grad_y.transpose(inverse),)


class BroadcastTo(Function):
    """Repeat x along new leading axes and along its axes of size 1.

    Forward:   y = broadcast(x, shape)
    Backward:  dL/dx = Σ dL/dy over the repeated axes (done by the engine's unbroadcast)
    Shapes:    x (*) → y (shape)
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x, self.shape)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y,)


class GetItem(Function):
    """Indexing and slicing: ints, slices, integer arrays, boolean masks.

    Forward:   y = x[index]
    Backward:  dL/dx = zeros like x, with dL/dy scatter-added at x[index]
    Shapes:    x (*) → y (whatever the index selects)
    Notes:     an index that repeats an element (x[[0, 0]]) adds both gradients (np.add.at).
               ``advanced``: the index holds integer arrays or a mask (NumPy's advanced
               indexing), so elements may repeat.
    """

    def __init__(self, index: object, advanced: bool = False) -> None:
        self.index, self.advanced = index, advanced

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        return x[self.index]

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        grad = np.zeros(self.shape, dtype=grad_y.dtype)
        if self.advanced:
            np.add.at(grad, self.index, grad_y)
        else:
            grad[self.index] = grad_y
        return (grad,)


class Concatenate(Function):
    """Join tensors along an existing axis.

    Forward:   y = [x₁ | x₂ | …] along ``axis``
    Backward:  dL/dxₖ = the slice of dL/dy that xₖ occupies
    Shapes:    xₖ (..., nₖ, ...) → y (..., Σ nₖ, ...)
    """

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def forward(self, *xs) -> np.ndarray:
        ends = list(itertools.accumulate(x.shape[self.axis] for x in xs))
        self.parts = [slice(start, end) for start, end in zip([0, *ends], ends)]
        return np.concatenate(xs, axis=self.axis)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        lead = (slice(None),) * self.axis
        return tuple(grad_y[(*lead, part)] for part in self.parts)


class Stack(Function):
    """Stack same-shaped tensors along a new axis.

    Forward:   y[..., k, ...] = xₖ
    Backward:  dL/dxₖ = dL/dy[..., k, ...]
    Shapes:    xₖ (*) → y (with a new axis of size K)
    """

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def forward(self, *xs) -> np.ndarray:
        return np.stack(xs, axis=self.axis)

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        lead = (slice(None),) * self.axis
        return tuple(grad_y[(*lead, k)] for k in range(grad_y.shape[self.axis]))


class Pad(Function):
    """Pad with a constant value (zero by default).

    Forward:   y = x surrounded by ``pad_width`` constant elements per axis
    Backward:  dL/dx = dL/dy with the padding cut away
    Shapes:    x (*) → y (each axis grown by before + after)
    Notes:     y is filled with the value and x copied into its middle (np.pad is ~10×
               slower on small tensors).
    """

    def __init__(self, pad_width: tuple[tuple[int, int], ...], value: float = 0.0) -> None:
        self.pad_width, self.value = pad_width, value

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.inner = tuple(
            slice(before, before + n) for (before, _), n in zip(self.pad_width, x.shape)
        )
        shape = tuple(before + n + after for (before, after), n in zip(self.pad_width, x.shape))
        y = np.full(shape, self.value, dtype=x.dtype)
        y[self.inner] = x
        return y

    def backward(self, grad_y: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (grad_y[self.inner],)


# ---- the functions: check the arguments, then apply one op ------------------------------
def _shape_arg(args) -> tuple:
    if len(args) == 1 and isinstance(args[0], tuple | list):
        return tuple(args[0])
    return tuple(args)


def reshape(x: Tensor | ArrayLike, *new_shape) -> Tensor:
    """The same elements in another shape; one axis may be −1 (inferred)."""
    x, new_shape = as_tensor(x), _shape_arg(new_shape)
    known = math.prod(s for s in new_shape if s != -1)
    fits = x.size == known if -1 not in new_shape else (known and x.size % known == 0)
    if not fits or sum(s == -1 for s in new_shape) > 1:
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
    return Reshape.apply(x, shape=new_shape)


def transpose(x: Tensor | ArrayLike, *axes) -> Tensor:
    """Reverse the axes, or permute them by ``axes``."""
    axes = _shape_arg(axes) or None
    return _permute(as_tensor(x), axes)


def permute(x: Tensor | ArrayLike, *axes) -> Tensor:
    """Permute the axes: ``y.shape[k] = x.shape[axes[k]]``."""
    return _permute(as_tensor(x), _shape_arg(axes))


def _permute(x: Tensor, axes) -> Tensor:
    if axes is not None:
        given, axes = axes, tuple(check_axis(a, x.ndim, "transpose") for a in axes)
        if sorted(axes) != list(range(x.ndim)):
            raise ShapeError(
                message(
                    "transpose",
                    "axes must be a permutation of the tensor's axes",
                    f"axes={given} for x.shape={fmt_shape(x.shape)}",
                    f"a permutation of {tuple(range(x.ndim))}",
                )
            )
    return Transpose.apply(x, axes=axes)


def swapaxes(x: Tensor | ArrayLike, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    x = as_tensor(x)
    axis1, axis2 = check_axis(axis1, x.ndim, "swapaxes"), check_axis(axis2, x.ndim, "swapaxes")
    perm = list(range(x.ndim))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return _permute(x, tuple(perm))


def expand_dims(x: Tensor | ArrayLike, axis: int) -> Tensor:
    """Insert an axis of size 1 at ``axis``."""
    x = as_tensor(x)
    axis = check_axis(axis, x.ndim + 1, "expand_dims")
    return shape_op(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(x: Tensor | ArrayLike, axis: int | None = None) -> Tensor:
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


def broadcast_to(x: Tensor | ArrayLike, new_shape: tuple[int, ...]) -> Tensor:
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
    return BroadcastTo.apply(x, shape=new_shape)


def _broadcastable(source: tuple, target: tuple) -> bool:
    """True when ``source`` can be repeated to exactly ``target``."""
    if len(source) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(source[::-1], target[::-1]))


def flatten(x: Tensor | ArrayLike, start_axis: int = 0, end_axis: int = -1) -> Tensor:
    """Merge the axes ``start_axis`` … ``end_axis`` (inclusive) into one (PyTorch's
    ``flatten(start_dim, end_dim)``; start_axis=1 keeps the batch axis)."""
    x = as_tensor(x)
    if not x.ndim:
        return shape_op(x, (1,))
    start = check_axis(start_axis, x.ndim, "flatten")
    end = check_axis(end_axis, x.ndim, "flatten")
    if end < start:
        raise ShapeError(
            message(
                "flatten",
                "end_axis comes before start_axis",
                f"start_axis={start_axis}, end_axis={end_axis} for x.shape={fmt_shape(x.shape)}",
                "start_axis ≤ end_axis",
            )
        )
    merged = math.prod(x.shape[start : end + 1])  # not -1: an empty batch has no size to infer
    return shape_op(x, x.shape[:start] + (merged,) + x.shape[end + 1 :])


def _is_advanced(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray | list) for p in parts)


def getitem(x: Tensor | ArrayLike, index: object) -> Tensor:
    """x[index] with ints, slices, None, Ellipsis, integer arrays or a boolean mask."""
    x = as_tensor(x)
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(p.data if isinstance(p, Tensor) else p for p in index)
    if isinstance(index, list):
        index = np.asarray(index)
    try:
        return GetItem.apply(x, index=index, advanced=_is_advanced(index))
    except IndexError as exc:
        raise TensorIndexError(
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


def concatenate(tensors: Sequence[Tensor | ArrayLike], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    tensors = _same_dtype(tensors, "concatenate")
    axis = check_axis(axis, tensors[0].ndim, "concatenate")
    rest = [tuple(s for i, s in enumerate(t.shape) if i != axis) for t in tensors]
    if any(r != rest[0] for r in rest) or len({t.ndim for t in tensors}) > 1:
        raise ShapeError(
            message(
                "concatenate",
                f"shapes differ off axis {axis}",
                ", ".join(fmt_shape(t.shape) for t in tensors),
                f"equal sizes on every axis but {axis}",
            )
        )
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Tensor | ArrayLike], axis: int = 0) -> Tensor:
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
    return Stack.apply(*tensors, axis=axis)


def pad(
    x: Tensor | ArrayLike,
    pad_width: int | Sequence[int] | Sequence[Sequence[int]],
    value: float = 0.0,
) -> Tensor:
    """Pad with ``value``: ``pad_width`` is an int, a (before, after) pair or one per axis."""
    x = as_tensor(x)
    return Pad.apply(x, pad_width=_pad_widths(pad_width, x.shape), value=value)


def _pad_widths(pad_width, shape: tuple) -> tuple:
    """One (before, after) pair of ints ≥ 0 per axis, as np.pad reads ``pad_width``."""
    if isinstance(pad_width, int) and not isinstance(pad_width, bool) and pad_width >= 0:
        return ((pad_width, pad_width),) * len(shape)  # the common case, without NumPy
    widths = np.asarray(pad_width)
    if (
        widths.dtype.kind not in "iu"
        or not _broadcastable(widths.shape, (len(shape), 2))
        or (widths < 0).any()
    ):
        raise ShapeError(
            message(
                "pad",
                "pad_width must give non-negative integer widths (before, after) per axis",
                f"pad_width={pad_width!r} for x.shape={fmt_shape(shape)}",
                f"an int, a (before, after) pair, or {len(shape)} such pairs",
            )
        )
    return tuple(map(tuple, np.broadcast_to(widths, (len(shape), 2)).tolist()))
