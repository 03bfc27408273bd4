"""Input and setting checks shared by fit, evaluate and predict: clear errors, early.

Each check runs before any arithmetic, so a mistake is reported in the user's terms
(``fit: x and y have different numbers of samples``) instead of as a NumPy broadcast
error ten frames deep.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet._config import no_grad
from glassnet._validate import fraction, int_at_least, is_int
from glassnet.data._arrays import reject_text_columns
from glassnet.errors import (
    ConfigError,
    DataError,
    DTypeError,
    GlassnetError,
    ShapeError,
    fmt_shape,
    message,
)
from glassnet.tensor import Tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

    from glassnet.training.model import Model

    #: (x, y, (x_val, y_val) or None), as fit_arrays and split_validation return them
    Split = tuple[Any, Any, tuple[Any, Any] | None]

__all__ = [
    "as_inputs",
    "as_targets",
    "check_pair",
    "check_fit_settings",
    "split_validation",
    "fit_arrays",
    "check_targets",
]

_TARGET_ROWS = 8192  # targets checked against the loss this many rows at a time
_FINITE_CHUNK = 1 << 16  # values checked for NaN and inf at a time (64 KiB of flags)


def _array(where: str, name: str, data) -> np.ndarray:
    reject_text_columns(data, where)  # a DataFrame's text column is named, not dumped
    try:
        array = np.asarray(data.data if isinstance(data, Tensor) else data)
    except ValueError:  # NumPy's "inhomogeneous shape": nested lists of unequal lengths
        raise DataError(
            message(
                where,
                f"{name} is a ragged list: its rows do not all have the same length",
                type(data).__name__,
                "a rectangular array: every row with the same number of values",
                "pad or trim the rows, or build the array with np.array(rows) to see where",
            )
        ) from None
    if array.dtype.kind not in "biuf":
        raise DTypeError(
            message(
                where,
                f"{name} must be numeric",
                f"dtype {array.dtype}",
                "a float, int or bool array",
                "load text files with gn.data.load_csv, which converts columns to numbers",
            )
        )
    if array.ndim == 0:
        raise ShapeError(
            message(where, f"{name} must have a batch axis", "a scalar", "shape (N, ...)")
        )
    return array


def _all_finite(array: np.ndarray) -> bool:
    """``np.isfinite(array).all()`` without a temporary the size of the array: a training
    set of 10 000 MNIST rows would need 7.8 MB of booleans, new pages the kernel faults
    in on every fit; a contiguous array is checked _FINITE_CHUNK values at a time."""
    if not array.flags.c_contiguous or array.size <= _FINITE_CHUNK:
        return bool(np.isfinite(array).all())
    flat, flags = array.reshape(-1), np.empty(_FINITE_CHUNK, dtype=bool)
    for start in range(0, flat.size, _FINITE_CHUNK):
        part = flat[start : start + _FINITE_CHUNK]
        if not np.isfinite(part, out=flags[: part.size]).all():
            return False
    return True


def _check_finite(where: str, name: str, array: np.ndarray) -> None:
    if array.dtype.kind == "f" and not _all_finite(array):
        bad = ~np.isfinite(array)
        first = np.argwhere(bad)[0]
        raise DataError(
            message(
                where,
                f"{name} holds {int(bad.sum())} non-finite values (NaN or ±inf)",
                f"{array[tuple(first)]} at index {tuple(int(i) for i in first)}",
                "finite numbers",
                "drop or fill the missing values before training",
            )
        )


def _check_range(where: str, name: str, array: np.ndarray, dtype) -> None:
    """Finite values too large for ``dtype`` (1e39 in float32) would become ±inf there."""
    dtype = np.dtype(dtype)
    if array.dtype.kind != "f" or dtype.kind != "f" or array.dtype.itemsize <= dtype.itemsize:
        return
    limit = float(np.finfo(dtype).max)
    if array.size and (array.max() > limit or array.min() < -limit):  # no temporary array
        big = np.abs(array) > limit
        first = tuple(int(i) for i in np.argwhere(big)[0])
        raise DataError(
            message(
                where,
                f"{name} holds {int(big.sum())} values that overflow {dtype} "
                f"(the model computes in {dtype})",
                f"{array[first]:g} at index {first}",
                f"values within ±{limit:.7g}",
                "rescale the data (e.g. gn.data.StandardScaler), or build the model in float64",
            )
        )


def as_inputs(where: str, x: ArrayLike, dtype: DTypeLike) -> np.ndarray:
    """x as a finite array of the model's float dtype (uint8 images become floats)."""
    x = _array(where, "x", x)
    _check_finite(where, "x", x)
    _check_range(where, "x", x, dtype)
    return x.astype(dtype, copy=False)


def as_targets(where: str, y: ArrayLike, dtype: DTypeLike | None = None) -> np.ndarray:
    """y as a finite array; integer labels stay integers (cross-entropy reads them so).
    With ``dtype`` (the model's), float targets beyond its range are refused."""
    y = _array(where, "y", y)
    _check_finite(where, "y", y)
    if dtype is not None:
        _check_range(where, "y", y, dtype)
    return y


def check_pair(where: str, x: np.ndarray, y: np.ndarray) -> None:
    if len(x) != len(y):
        raise ShapeError(
            message(
                where,
                "x and y have different numbers of samples",
                f"len(x)={len(x)} (x.shape={fmt_shape(x.shape)}), "
                f"len(y)={len(y)} (y.shape={fmt_shape(y.shape)})",
                "one target per input row",
            )
        )
    if len(x) == 0:
        raise DataError(message(where, "there are no samples", "len(x)=0", "at least 1"))


def check_fit_settings(
    epochs: int, batch_size: int | None, validation_split: float, verbose: int
) -> None:
    """ConfigError for epochs < 0, batch_size ≤ 0, a split outside [0, 1), verbose ∉ {0,1,2}."""
    int_at_least("fit", "epochs", epochs, 0)
    if batch_size is not None and (not is_int(batch_size) or batch_size <= 0):
        raise ConfigError(
            message(
                "fit",
                "batch_size must be a positive int or None",
                repr(batch_size),
                "None (full batch), 1 (SGD) or k > 1 (mini-batch)",
            )
        )
    fraction("fit", "validation_split", validation_split)
    if verbose not in (0, 1, 2):
        raise ConfigError(message("fit", "verbose must be 0, 1 or 2", repr(verbose), "0, 1 or 2"))


def fit_arrays(
    x: ArrayLike, y: ArrayLike, validation_split: float, validation_data: Any, dtype: DTypeLike
) -> Split:
    """Checked training arrays and validation pair for ``fit``: (x, y, (x_val, y_val) or None).

    Explicit ``validation_data`` gets the same checks as x and y, reported as
    ``fit (validation_data)`` so the message points at the argument that is wrong.
    """
    x, y = as_inputs("fit", x, dtype), as_targets("fit", y, dtype)
    check_pair("fit", x, y)
    x, y, validation = split_validation(x, y, validation_split, validation_data)
    if validation_data is not None:
        where = "fit (validation_data)"
        x_val, y_val = validation
        validation = as_inputs(where, x_val, dtype), as_targets(where, y_val, dtype)
        check_pair(where, *validation)
    return x, y, validation


def check_targets(where: str, model: Model, x_first: np.ndarray, y: np.ndarray) -> None:
    """Every target y checked against the model's output and loss before any update.

    The output's shape comes from one forward pass on ``x_first`` (the first batch; eval
    mode, no graph: Dropout draws nothing, BatchNorm keeps its statistics, and a wrong
    input shape is reported as the first update would). The loss then reads every
    target, a block of rows at a time, against a prediction of zeros of that shape: a
    label outside the output's classes, a target of the wrong shape or a BCE target
    outside [0, 1] anywhere in y stops ``fit`` before the first update, naming the row.
    """
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            shape = model(x_first).shape[1:]
    finally:
        model.train(was_training)
    for start in range(0, len(y), _TARGET_ROWS):
        error = _target_error(model, shape, y[start : start + _TARGET_ROWS])
        if error is not None:
            row = start + _first_bad_row(model, shape, y[start : start + _TARGET_ROWS])
            raise type(error)(
                f"{where}: target y[{row}] does not suit the model's output {fmt_shape(shape)} "
                f"and its loss; nothing was trained.\n{error}"
            ) from None


def _target_error(model, shape: tuple, y: np.ndarray) -> GlassnetError | None:
    """The loss's error for targets y against zero predictions of ``shape``, or None."""
    prediction = Tensor(np.zeros((len(y), *shape), dtype=model.dtype))
    try:
        with no_grad(), np.errstate(all="ignore"):
            model.loss(prediction, y)
    except GlassnetError as exc:
        return exc
    return None


def _first_bad_row(model, shape: tuple, y: np.ndarray) -> int:
    """Bisection over prefixes: the first row whose target the loss refuses."""
    low, high = 0, len(y)  # y[:high] fails; y[:low] passes
    while high - low > 1:
        middle = (low + high) // 2
        if _target_error(model, shape, y[:middle]) is None:
            low = middle
        else:
            high = middle
    return low


def split_validation(
    x: np.ndarray, y: np.ndarray, validation_split: float, validation_data: Any
) -> Split:
    """(x_train, y_train, (x_val, y_val) or None); a split takes the LAST rows, as Keras does.

    The split happens before shuffling, so the same rows validate every epoch.
    """
    if validation_data is not None:
        if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
            raise ConfigError(
                message(
                    "fit",
                    "validation_data must be a pair",
                    type(validation_data).__name__,
                    "(x_val, y_val)",
                )
            )
        return x, y, tuple(validation_data)
    if validation_split == 0:
        return x, y, None
    cut = math.floor(len(x) * (1 - validation_split))
    if cut == 0 or cut == len(x):
        raise ConfigError(
            message(
                "fit",
                f"validation_split={validation_split} leaves an empty set",
                f"{cut} training and {len(x) - cut} validation samples of {len(x)}",
                "at least one of each",
            )
        )
    return x[:cut], y[:cut], (x[cut:], y[cut:])
