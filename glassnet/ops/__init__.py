"""The primitive ops as functions: ``gn.ops.relu(x)``, ``gn.ops.matmul(a, b)``, ...

Each function converts plain numbers and arrays to tensors of the other operand's dtype,
checks what NumPy would report ambiguously, and applies one :class:`Function` from the
modules beside this one (arithmetic, reduce, linalg, activation). The shape functions
(reshape, transpose, getitem, concatenate, pad, ...) are defined beside their ops in
:mod:`glassnet.ops.shape`, like conv2d and the pooling functions; all are re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import _config
from glassnet._validate import positive_number
from glassnet.errors import ConfigError, DTypeError, ShapeError, check_axis, fmt_shape, message
from glassnet.ops import activation, arithmetic, linalg, reduce
from glassnet.ops.padding import pad
from glassnet.ops.shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    getitem,
    permute,
    reshape,
    squeeze,
    stack,
    swapaxes,
    transpose,
)
from glassnet.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


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
    """Both operands as tensors; a non-tensor takes the tensor operand's float dtype.

    An integer or boolean operand meeting a float one becomes that float dtype first, as
    in PyTorch: ``int tensor * 0.5`` is float32 (glassnet's default), where NumPy's own
    rules would give float64.
    """
    if isinstance(a, Tensor):
        b = b if isinstance(b, Tensor) else as_tensor(b, a)
    else:
        b = as_tensor(b)
        a = as_tensor(a, b)
    dtype_a, dtype_b = a.data.dtype, b.data.dtype
    if dtype_a is not dtype_b and dtype_a.kind != dtype_b.kind:  # `is`: the common case
        return _to_float(a, dtype_b), _to_float(b, dtype_a)
    return a, b


def _to_float(t: Tensor, other: np.dtype) -> Tensor:
    """``t`` cast to ``other`` when t holds integers or booleans and ``other`` is a float
    dtype (such a t never requires a gradient, so the cast is a constant)."""
    if other.kind == "f" and t.data.dtype.kind != "f":
        return Tensor._from_op(t.data.astype(other), None)
    return t


# ---- arithmetic -------------------------------------------------------------------------
def add(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """a + b, elementwise with broadcasting."""
    return arithmetic.Add.apply(*_pair(a, b))


def sub(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """a − b, elementwise with broadcasting."""
    return arithmetic.Sub.apply(*_pair(a, b))


def mul(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """a ⊙ b, elementwise with broadcasting."""
    return arithmetic.Mul.apply(*_pair(a, b))


def div(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """a / b, elementwise with broadcasting (true division: two integer operands give
    glassnet's default float dtype, as in PyTorch)."""
    a, b = _pair(a, b)
    if a.data.dtype.kind != "f" and b.data.dtype.kind != "f":
        a, b = _to_float(a, _config.default_dtype), _to_float(b, _config.default_dtype)
    return arithmetic.Div.apply(a, b)


def pow(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:  # noqa: A001 - the op's name
    """aᵇ: a constant number as exponent uses PowScalar, a tensor exponent Pow."""
    if isinstance(a, Tensor) and not isinstance(b, Tensor) and np.ndim(b) == 0:
        p = np.asarray(b)
        if p.dtype.kind in "biuf":
            if p.dtype.kind == "f":  # an integer tensor to a float power is a float
                a = _to_float(a, _config.default_dtype)
            return arithmetic.PowScalar.apply(a, p=p.item())
    return arithmetic.Pow.apply(*_pair(a, b))


def neg(x: Tensor | ArrayLike) -> Tensor:
    """−x."""
    return arithmetic.Neg.apply(as_tensor(x))


def exp(x: Tensor | ArrayLike) -> Tensor:
    """eˣ, elementwise."""
    return arithmetic.Exp.apply(as_tensor(x))


def log(x: Tensor | ArrayLike) -> Tensor:
    """ln x, elementwise."""
    return arithmetic.Log.apply(as_tensor(x))


def sqrt(x: Tensor | ArrayLike) -> Tensor:
    """√x, elementwise."""
    return arithmetic.Sqrt.apply(as_tensor(x))


def abs(x: Tensor | ArrayLike) -> Tensor:  # noqa: A001 - the op's name
    """|x|, elementwise."""
    return arithmetic.Abs.apply(as_tensor(x))


def maximum(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """Elementwise max(a, b)."""
    return arithmetic.Maximum.apply(*_pair(a, b))


def minimum(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """Elementwise min(a, b)."""
    return arithmetic.Minimum.apply(*_pair(a, b))


def clip(x: Tensor | ArrayLike, low: float | None = None, high: float | None = None) -> Tensor:
    """Clamp x into [low, high]; either bound may be None, not both."""
    if low is None and high is None:
        raise ConfigError(
            message(
                "clip",
                "at least one bound is needed",
                "low=None, high=None",
                "a number for low, high or both",
            )
        )
    for name, bound in (("low", low), ("high", high)):
        if bound is not None and np.asarray(bound).dtype.kind not in "biuf":
            raise DTypeError(
                message(
                    "clip", f"{name} must be a number", f"{name}={bound!r}", "a number or None"
                )
            )
    return arithmetic.Clip.apply(as_tensor(x), low=low, high=high)


def where(condition: Tensor | ArrayLike, a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
    """a where ``condition`` holds, else b (condition carries no gradient)."""
    condition = np.asarray(
        condition.data if isinstance(condition, Tensor) else condition, dtype=bool
    )
    a, b = _pair(a, b)
    try:
        np.broadcast_shapes(condition.shape, a.shape, b.shape)
    except ValueError:
        raise ShapeError(
            message(
                "where",
                "condition, a and b do not broadcast together",
                f"condition.shape={fmt_shape(condition.shape)}, a.shape={fmt_shape(a.shape)}, "
                f"b.shape={fmt_shape(b.shape)}",
                "shapes that broadcast: equal or 1, aligned right",
            )
        ) from None
    return arithmetic.Where.apply(a, b, condition=condition)


# ---- matrix product -----------------------------------------------------------------
def matmul(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> Tensor:
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


def linear(
    x: Tensor | ArrayLike, w: Tensor | ArrayLike, b: Tensor | ArrayLike | None = None
) -> Tensor:
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
def sum(
    x: Tensor | ArrayLike, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> Tensor:  # noqa: A001 - the op's name
    """Σ over ``axis`` (all axes by default)."""
    return reduce.Sum.apply(as_tensor(x), axis=axis, keepdims=keepdims)


def mean(
    x: Tensor | ArrayLike, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> Tensor:
    """Arithmetic mean over ``axis``."""
    return reduce.Mean.apply(as_tensor(x), axis=axis, keepdims=keepdims)


def max(
    x: Tensor | ArrayLike, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> Tensor:  # noqa: A001 - the op's name
    """Maximum over ``axis``; ties share the gradient."""
    return reduce.Max.apply(as_tensor(x), axis=axis, keepdims=keepdims)


def min(
    x: Tensor | ArrayLike, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> Tensor:  # noqa: A001 - the op's name
    """Minimum over ``axis``; ties share the gradient."""
    return reduce.Min.apply(as_tensor(x), axis=axis, keepdims=keepdims)


def var(
    x: Tensor | ArrayLike,
    axis: int | tuple[int, ...] | None = None,
    keepdims: bool = False,
    ddof: int = 0,
) -> Tensor:
    """Variance over ``axis`` with divisor n − ddof."""
    return reduce.Var.apply(as_tensor(x), axis=axis, keepdims=keepdims, ddof=ddof)


# ---- activations ------------------------------------------------------------------------
def identity(x: Tensor | ArrayLike) -> Tensor:
    """y = x."""
    return activation.Identity.apply(as_tensor(x))


def relu(x: Tensor | ArrayLike) -> Tensor:
    """max(0, x)."""
    return activation.ReLU.apply(as_tensor(x))


def leaky_relu(x: Tensor | ArrayLike, alpha: float = 0.01) -> Tensor:
    """x if x > 0 else α·x."""
    return activation.LeakyReLU.apply(as_tensor(x), alpha=alpha)


def sigmoid(x: Tensor | ArrayLike) -> Tensor:
    """σ(x) = 1 / (1 + e⁻ˣ); for very negative x, e⁻ˣ overflows to ∞ and σ(x) = 0, silently."""
    return activation.Sigmoid.apply(as_tensor(x))


def tanh(x: Tensor | ArrayLike) -> Tensor:
    """tanh(x)."""
    return activation.Tanh.apply(as_tensor(x))


def softplus(x: Tensor | ArrayLike, beta: float = 1.0) -> Tensor:
    """(1/β) ln(1 + e^(βx)), overflow-free; ``beta`` > 0 (PyTorch's ``beta``)."""
    beta = positive_number("softplus", "beta", beta)
    return activation.Softplus.apply(as_tensor(x), beta=beta)


def softmax(x: Tensor | ArrayLike, axis: int = -1) -> Tensor:
    """Probabilities along ``axis``: e^xᵢ / Σⱼ e^xⱼ (stable)."""
    x = as_tensor(x)
    return activation.Softmax.apply(x, axis=check_axis(axis, x.ndim, "softmax"))


def log_softmax(x: Tensor | ArrayLike, axis: int = -1) -> Tensor:
    """ln softmax(x) along ``axis`` (stable)."""
    x = as_tensor(x)
    return activation.LogSoftmax.apply(x, axis=check_axis(axis, x.ndim, "log_softmax"))


# ---- convolution, pooling, normalisation (NCHW; defined beside their ops) ---------------
from glassnet.ops.conv import conv2d  # noqa: E402
from glassnet.ops.conv_transpose import conv_transpose2d  # noqa: E402
from glassnet.ops.norm import batch_norm  # noqa: E402
from glassnet.ops.pool import avg_pool2d, global_avg_pool2d, max_pool2d  # noqa: E402
from glassnet.ops.pool_nd import avg_pool1d, avg_pool3d, max_pool1d, max_pool3d  # noqa: E402
from glassnet.ops.reference import (  # noqa: E402
    avg_pool2d_reference,
    conv2d_reference,
    max_pool2d_reference,
)

__all__ += [
    "conv2d",
    "conv_transpose2d",
    "max_pool2d",
    "avg_pool2d",
    "global_avg_pool2d",
    "max_pool1d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool3d",
    "batch_norm",
]
__all__ += ["conv2d_reference", "max_pool2d_reference", "avg_pool2d_reference"]
