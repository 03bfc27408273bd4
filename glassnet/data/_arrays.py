"""Turn what users pass as data (ndarrays, tensors, DataFrames, lists) into ndarrays."""

from __future__ import annotations

import numpy as np

from glassnet.errors import ConfigError, DTypeError, ShapeError, message
from glassnet.tensor import Tensor


def reject_text_columns(data, where: str) -> None:
    """A pandas DataFrame (read by duck typing: pandas is never imported here) with a text
    or categorical column gets a DTypeError naming the column and suggesting one-hot
    encoding, instead of NumPy's object array."""
    dtypes = getattr(data, "dtypes", None)
    if dtypes is None or not hasattr(data, "columns") or not hasattr(dtypes, "items"):
        return
    for column, dtype in dtypes.items():
        if getattr(dtype, "kind", "O") not in "biuf":
            raise DTypeError(
                message(
                    where,
                    f"column {column!r} holds text or categories, not numbers",
                    f"dtype {dtype}",
                    "numeric columns",
                    f"one-hot encode it: pd.get_dummies(df, columns=[{column!r}]) or "
                    "sklearn.preprocessing.OneHotEncoder in a Pipeline",
                )
            )


def as_array(data, where: str, name: str = "x") -> np.ndarray:
    """An ndarray view of ``data``: a glassnet Tensor's ``.data``, anything with
    ``__array__`` (pandas DataFrames), or nested lists. At least one axis; numeric."""
    reject_text_columns(data, where)
    try:
        array = data.data if isinstance(data, Tensor) else np.asarray(data)
    except ValueError as exc:  # ragged nested lists
        raise DTypeError(
            message(
                where,
                f"cannot make an array of {name}",
                f"{type(data).__name__} ({exc})",
                "rows of equal length",
            )
        ) from None
    if array.ndim == 0:
        raise ShapeError(
            message(where, f"{name} must have a sample axis", f"{name}.shape=()", "ndim ≥ 1")
        )
    if array.dtype.kind not in "fiub":
        raise DTypeError(
            message(where, f"{name} must be numeric", f"dtype {array.dtype}", "numbers")
        )
    return array


def check_same_length(x: np.ndarray, y: np.ndarray, where: str) -> None:
    """x and y must hold the same number of samples (first axis)."""
    if len(x) != len(y):
        raise ShapeError(
            message(
                where,
                "x and y hold different numbers of samples",
                f"len(x)={len(x)}, len(y)={len(y)} (x.shape={x.shape}, y.shape={y.shape})",
                "equal lengths along the first axis",
            )
        )


def check_count(value, where: str, name: str, minimum: int = 1) -> int:
    """A positive integer setting (bools rejected: ``True`` is not a count)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigError(
            message(where, f"{name} must be an integer ≥ {minimum}", repr(value), f"≥ {minimum}")
        )
    return int(value)
