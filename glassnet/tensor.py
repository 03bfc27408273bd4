"""Tensor: an ndarray plus the bookkeeping autograd needs (grad, requires_grad, creator).

A scalar is a 0-d tensor, a vector 1-d, a matrix 2-d, an image batch 4-d (N, C, H, W).
Arithmetic operators call the primitive ops in :mod:`glassnet.ops`, which record the graph.

Dtypes: float32 unless the data or ``dtype`` say otherwise. A Python number or a NumPy
array meeting a float tensor takes the tensor's dtype, so ``x * 0.5`` stays float32.

This module also holds ``as_tensor`` (wrap a value the way ops do) and re-exports
``rng_from`` (a Generator from a seed); the dtype rules for user data and the seed rules
live in :mod:`glassnet.tensor_data`. The constructors (``tensor``, ``zeros``, ``randn``,
...) live in :mod:`glassnet.creation`, one layer up.

Imports: the engine (:mod:`glassnet.autograd`) sits below this module and never imports
it. The one import cycle of the package is tensor ↔ ops, on purpose: the ops build on
Tensor (they take and return tensors), and Tensor's operators and methods (``a + b``,
``x.sum()``) are spellings of those ops. ``glassnet.ops`` is therefore imported at the
bottom of this module, after Tensor exists, and only used inside methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet import _config
from glassnet import autograd as _autograd
from glassnet import notebook as _notebook
from glassnet.errors import DTypeError, ShapeError, fmt_shape, message
from glassnet.tensor_data import int_grad_message, rng_from, to_array

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

__all__ = ["Tensor", "as_tensor", "rng_from"]


def _comparison(ufunc):
    """An elementwise comparison method: a boolean tensor that carries no gradient."""

    def compare(self, other) -> Tensor:
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._from_op(ufunc(self.data, other), None)

    return compare


class Tensor:
    """An n-dimensional array that can record the ops applied to it for backpropagation.

    Attributes: ``data`` (the ndarray), ``grad`` (ndarray or None, filled by backward),
    ``requires_grad``, ``creator`` (the Function that made it, None for a leaf), ``name``.
    """

    __slots__ = ("data", "grad", "requires_grad", "creator", "name", "retains_grad", "__weakref__")
    __array_priority__ = 1000  # so ndarray + Tensor calls Tensor.__radd__

    def __init__(
        self,
        data: ArrayLike | Tensor,
        dtype: DTypeLike | None = None,
        requires_grad: bool = False,
        name: str | None = None,
    ) -> None:
        self.data = to_array(data.data if isinstance(data, Tensor) else data, dtype, "tensor")
        if requires_grad and self.data.dtype.kind != "f":
            raise DTypeError(int_grad_message(self.data.dtype))
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.creator = None
        self.name = name
        self.retains_grad = False

    @staticmethod
    def _from_op(data: np.ndarray, creator) -> Tensor:
        """Fast constructor used by ops: no conversion, no checks. Always a plain Tensor,
        also when reached through a subclass instance (``Function.apply`` calls it on its
        first input: a Parameter's op result is a Tensor)."""
        t = object.__new__(Tensor)
        t.data = data
        t.grad = None
        t.requires_grad = creator is not None
        t.creator = creator
        t.name = None
        t.retains_grad = False
        return t

    # ---- array-like properties -------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """Tuple of axis sizes."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """Number of axes."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """Number of elements."""
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype."""
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True when no op made it."""
        return self.creator is None

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self):
        """Iterate over the first axis, like an ndarray (each row is a differentiable view)."""
        return (self[i] for i in range(len(self)))

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        _note_read(self, "item")
        if self.data.size != 1:
            raise ShapeError(
                message(
                    "item",
                    "only a one-element tensor has a single value",
                    f"shape {fmt_shape(self.shape)}",
                    "one element",
                    "reduce first (x.sum(), x.mean()) or index one element (x[0, 0])",
                )
            )
        return self.data.item()

    def tolist(self) -> Any:
        _note_read(self, "tolist")
        return self.data.tolist()

    def astype(self, dtype: DTypeLike) -> Tensor:
        """A copy with another dtype. To a float dtype gradients flow back (converted to
        this tensor's dtype); an int or bool copy is a constant, as in PyTorch."""
        dtype = np.dtype(dtype)
        if dtype.kind not in "fiub":
            raise DTypeError(
                message("astype", "dtype must be numeric", f"dtype {dtype}", "a float dtype")
            )
        if dtype.kind != "f":
            return Tensor._from_op(self.data.astype(dtype), None)
        return _ops.arithmetic.Cast.apply(self, dtype=dtype)

    def detach(self) -> Tensor:
        """A new leaf sharing the data, cut off from the graph."""
        return Tensor._from_op(self.data, None)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Start (or stop) tracking ops on this leaf; only float tensors can."""
        if flag and self.data.dtype.kind != "f":
            raise DTypeError(int_grad_message(self.data.dtype))
        self.requires_grad = bool(flag)
        return self

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        self.retains_grad = True
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def backward(self, grad: ArrayLike | None = None, retain_graph: bool = False) -> None:
        """Backpropagate: fill ``.grad`` of every leaf this tensor depends on.

        ``grad`` is dL/dself; it may be left out when the tensor is a scalar (then 1).
        """
        _autograd.backward(self, grad, retain_graph)

    def __repr__(self) -> str:
        body = np.array2string(
            self.data, precision=4, separator=", ", threshold=50, prefix="tensor("
        )
        extras = [f"dtype={self.data.dtype}"] if self.data.dtype != np.float32 else []
        if self.creator is not None:
            extras.append(f"op={self.creator.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    def _repr_html_(self) -> str:  # Jupyter: values, shape, dtype, the op that made it
        return _notebook.tensor_html(self)

    def __bool__(self) -> bool:
        _note_read(self, "bool")
        return bool(self.data)

    # Comparisons are elementwise, so hashing is by identity (the engine keys dicts by tensor).
    __hash__ = object.__hash__

    # ---- operators: each calls one primitive op ---------------------------------------
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    # Comparisons give boolean tensors that carry no gradient.
    __eq__ = _comparison(np.equal)
    __ne__ = _comparison(np.not_equal)
    __lt__ = _comparison(np.less)
    __le__ = _comparison(np.less_equal)
    __gt__ = _comparison(np.greater)
    __ge__ = _comparison(np.greater_equal)

    # ---- methods: thin spellings of the ops -------------------------------------------
    @property
    def T(self) -> Tensor:
        return _ops.transpose(self)

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return _ops.sum(self, axis, keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return _ops.mean(self, axis, keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return _ops.max(self, axis, keepdims)

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return _ops.min(self, axis, keepdims)

    def var(
        self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, ddof: int = 0
    ) -> Tensor:
        return _ops.var(self, axis, keepdims, ddof)

    def argmax(self, axis: int | None = None) -> Tensor:
        return Tensor(np.argmax(self.data, axis=axis))

    def argmin(self, axis: int | None = None) -> Tensor:
        return Tensor(np.argmin(self.data, axis=axis))

    def reshape(self, *shape) -> Tensor:
        return _ops.reshape(self, *shape)

    def transpose(self, *axes) -> Tensor:
        return _ops.transpose(self, *axes)

    def permute(self, *axes) -> Tensor:
        return _ops.permute(self, *axes)

    def swapaxes(self, a: int, b: int) -> Tensor:
        return _ops.swapaxes(self, a, b)

    def expand_dims(self, axis: int) -> Tensor:
        return _ops.expand_dims(self, axis)

    def squeeze(self, axis: int | tuple[int, ...] | None = None) -> Tensor:
        return _ops.squeeze(self, axis)

    def broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
        return _ops.broadcast_to(self, shape)

    def flatten(self, start_axis: int = 0, end_axis: int = -1) -> Tensor:
        return _ops.flatten(self, start_axis, end_axis)

    def exp(self) -> Tensor:
        return _ops.exp(self)

    def log(self) -> Tensor:
        return _ops.log(self)

    def sqrt(self) -> Tensor:
        return _ops.sqrt(self)

    def abs(self) -> Tensor:
        return _ops.abs(self)

    def clip(self, low: float | None = None, high: float | None = None) -> Tensor:
        return _ops.clip(self, low, high)

    def relu(self) -> Tensor:
        return _ops.relu(self)

    def sigmoid(self) -> Tensor:
        return _ops.sigmoid(self)

    def tanh(self) -> Tensor:
        return _ops.tanh(self)

    def softmax(self, axis: int = -1) -> Tensor:
        return _ops.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return _ops.log_softmax(self, axis)


# ---- conversion (the ops and layers use it) ------------------------------
def _note_read(t: Tensor, how: str) -> None:
    """Tell a recording captured step that a value left the graph for Python code."""
    if _config.state.recorder is not None:
        _config.state.recorder.on_read(t, how)


def as_tensor(x: ArrayLike | Tensor, like: Tensor | None = None) -> Tensor:
    """Return ``x`` if it is a Tensor; otherwise wrap it, taking ``like``'s float dtype.

    A Python int meeting an integer tensor takes that tensor's dtype, as in PyTorch
    (``int32 tensor + 1`` stays int32); other values follow :class:`Tensor`'s rules.
    """
    if isinstance(x, Tensor):
        return x
    if like is not None and like.data.dtype.kind == "f":
        if isinstance(x, int | float) or (
            isinstance(x, np.ndarray | np.generic) and np.asarray(x).dtype.kind in "fiub"
        ):
            return Tensor._from_op(np.asarray(x, dtype=like.data.dtype), None)
    elif like is not None and like.data.dtype.kind in "iu" and type(x) is int:
        try:
            return Tensor._from_op(np.asarray(x, dtype=like.data.dtype), None)
        except OverflowError:  # too large for like's dtype: NumPy's promotion decides
            return Tensor._from_op(np.asarray(x), None)
    return Tensor(x)


# The tensor ↔ ops cycle (see the module docstring): ops build on Tensor, Tensor's
# operators call ops, so ops is imported once Tensor exists.
from glassnet import ops as _ops  # noqa: E402
