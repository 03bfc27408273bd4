"""The glassnet error family and the helpers that format messages in one style.

Every message follows one template so that users learn to read it once:

    <where>: <what is wrong>. Got <actual>; expected <expected>.
      hint: <how to fix>

``where`` is in the user's terms (a layer such as ``Dense(784 → 128)``, an op such as
``matmul``, a function such as ``load_csv``).
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "GlassnetError",
    "ShapeError",
    "TensorIndexError",
    "DTypeError",
    "ConfigError",
    "DataError",
    "InternalError",
    "GradientCheckError",
    "message",
    "fmt_shape",
    "check_axis",
]


class GlassnetError(Exception):
    """Base class of every error glassnet raises on purpose."""


class ShapeError(GlassnetError, ValueError):
    """Tensor shapes do not fit together (an op's inputs, a layer's input)."""


class TensorIndexError(ShapeError, IndexError):
    """An index does not fit the tensor (out of range, too many indices, a mask of the
    wrong shape). An IndexError too, as Python's sequence protocol and PyTorch expect."""


class DTypeError(GlassnetError, TypeError):
    """A value has a type glassnet cannot compute with (strings, objects, ints with grad)."""


class ConfigError(GlassnetError, ValueError):
    """A setting is invalid: a learning rate ≤ 0, an unknown optimizer name, ..."""


class DataError(GlassnetError, ValueError):
    """A data file or data values are malformed: a corrupt IDX file, NaN in a CSV, ..."""


class InternalError(GlassnetError, RuntimeError):
    """An engine invariant broke. This is glassnet's fault: please report it."""


class GradientCheckError(GlassnetError, AssertionError):
    """Analytical and numerical gradients disagree (raised by gradcheck and check_gradients)."""


def fmt_shape(shape: Iterable[int]) -> str:
    """Format a shape the way NumPy prints it: ``(32, 28)``, ``(5,)``, ``()``."""
    return str(tuple(int(s) for s in shape))


def message(
    where: str,
    what: str,
    got: str | None = None,
    expected: str | None = None,
    hint: str | None = None,
) -> str:
    """Build a message in the house template.

    >>> print(message("matmul", "inner sizes differ", "28 and 784", "equal sizes",
    ...               "transpose one input"))
    matmul: inner sizes differ. Got 28 and 784; expected equal sizes.
      hint: transpose one input
    """
    text = f"{where}: {what}."
    if got is not None and expected is not None:
        text += f" Got {got}; expected {expected}."
    elif got is not None:
        text += f" Got {got}."
    if hint:
        text += f"\n  hint: {hint}"
    return text


def check_axis(axis: int, ndim: int, where: str) -> int:
    """``axis`` as a non-negative index into ``ndim`` axes, or a ShapeError naming ``where``.

    >>> check_axis(-1, 3, "sum")
    2
    """
    if isinstance(axis, bool) or not hasattr(type(axis), "__index__"):  # 1.5 is not axis 1
        raise ShapeError(
            message(
                where, "an axis must be an integer", f"axis={axis!r}", "an int such as 0 or -1"
            )
        )
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ShapeError(
            message(
                where,
                f"axis {axis} is out of range for a tensor with {ndim} axes",
                f"axis={axis}",
                f"an axis in [{-ndim}, {ndim})" if ndim else "no axis (the tensor is a scalar)",
            )
        )
    return axis % ndim
