"""Feature scaling: min-max and standard scores, fitted on training data only.

Both scalers learn per-feature statistics over the sample axis (axis 0) in float64, map
with an affine function z = (x − shift) · scale + offset, and undo it exactly. They
serialise to a JSON-ready dict so that a saved model can carry the scaler it was
trained with (:func:`scaler_from_dict` rebuilds either kind).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.data._arrays import as_array
from glassnet.errors import ConfigError, DataError, ShapeError, message

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["MinMaxScaler", "StandardScaler", "scaler_from_dict"]


def _feature_name(index: int, shape: tuple[int, ...]) -> str:
    """Column 3 for tables, feature (0, 5, 7) for images."""
    if len(shape) <= 1:
        return f"column {index}"
    return f"feature {tuple(int(i) for i in np.unravel_index(index, shape))}"


def _safe_range(spread: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Replace spreads that are zero (a constant column) or round-off noise relative to the
    data's magnitude by 1, so that such a column maps to the offset instead of dividing by 0.
    """
    tiny = spread <= 10 * np.finfo(np.float64).eps * size
    return np.where(tiny, 1.0, spread)


class _Scaler:
    """Shared plumbing: input checks, the affine map and its inverse, (de)serialisation.

    Subclasses define ``fit`` (which calls ``_set_stats``), ``_stats`` (names of the
    fitted arrays) and, when they have settings, ``_setting_names``/``_settings``.
    """

    _stats: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.shift: np.ndarray | None = None  # subtracted first
        self.scale: np.ndarray | None = None  # then multiplied
        self.offset = 0.0  # then added

    @property
    def fitted(self) -> bool:
        """True once ``fit`` (or ``from_dict``) has set the statistics."""
        return self.shift is not None

    def _where(self, method: str) -> str:
        return f"{type(self).__name__}.{method}"

    def _check_fit_input(self, x) -> np.ndarray:
        x = as_array(x, self._where("fit")).astype(np.float64, copy=False)
        if len(x) == 0:
            raise DataError(message(self._where("fit"), "no samples to fit on", "len(x)=0"))
        flat = x.reshape(len(x), -1)
        bad = ~np.isfinite(flat)
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            raise DataError(
                message(
                    self._where("fit"),
                    f"{_feature_name(col, x.shape[1:])} holds a non-finite value",
                    f"x[{row}] → {flat[row, col]} in {_feature_name(col, x.shape[1:])}",
                    "finite numbers",
                    "drop or impute missing values first (load_csv(..., na='drop' or 'mean'))",
                )
            )
        return x

    def _check_input(self, x, method: str) -> np.ndarray:
        if not self.fitted:
            raise ConfigError(
                message(
                    self._where(method),
                    "the scaler is not fitted yet",
                    hint="call fit(x_train) first, then transform train, validation and test",
                )
            )
        x = as_array(x, self._where(method))
        if x.shape[1:] != self.shift.shape:
            raise ShapeError(
                message(
                    self._where(method),
                    "x has a different feature shape than the data the scaler was fitted on",
                    f"x.shape={x.shape}",
                    str(("N", *self.shift.shape)).replace("'", ""),
                )
            )
        return x

    @staticmethod
    def _out_dtype(x: np.ndarray) -> np.dtype:
        """float64 stays float64; everything else (float32, ints, bools) gives float32."""
        return np.dtype(np.float64 if x.dtype == np.float64 else np.float32)

    def fit_transform(self, x) -> np.ndarray:
        """``fit(x)`` then ``transform(x)``."""
        return self.fit(x).transform(x)

    def transform(self, x) -> np.ndarray:
        """Apply the fitted map. NaN passes through as NaN."""
        x = self._check_input(x, "transform")
        z = (x - self.shift) * self.scale + self.offset
        return z.astype(self._out_dtype(x), copy=False)

    def inverse_transform(self, z) -> np.ndarray:
        """Undo :meth:`transform`: x = (z − offset) / scale + shift."""
        z = self._check_input(z, "inverse_transform")
        x = (z - self.offset) / self.scale + self.shift
        return x.astype(self._out_dtype(z), copy=False)

    def _settings(self) -> dict:
        return {}

    def to_dict(self) -> dict:
        """A JSON-ready dict: ``{"type", settings..., statistics as nested lists}``."""
        if not self.fitted:
            raise ConfigError(
                message(self._where("to_dict"), "the scaler is not fitted yet", hint="fit first")
            )
        stats = {name: getattr(self, name).tolist() for name in self._stats}
        return {"type": type(self).__name__, **self._settings(), **stats}

    @classmethod
    def from_dict(cls, state: dict):
        """Rebuild a fitted scaler from :meth:`to_dict`'s output."""
        where = f"{cls.__name__}.from_dict"
        if not isinstance(state, dict) or state.get("type") != cls.__name__:
            got = state.get("type") if isinstance(state, dict) else type(state).__name__
            raise DataError(
                message(where, "not a saved scaler of this kind", repr(got), cls.__name__)
            )
        missing = [k for k in cls._setting_names() + cls._stats if k not in state]
        if missing:
            raise DataError(message(where, "the saved scaler lacks fields", str(missing)))
        scaler = cls(**{k: state[k] for k in cls._setting_names()})
        stats = [np.asarray(state[name], dtype=np.float64) for name in cls._stats]
        if any(s.shape != stats[0].shape for s in stats):
            raise DataError(
                message(where, "saved statistics differ in shape", str([s.shape for s in stats]))
            )
        scaler._set_stats(*stats)
        return scaler

    @classmethod
    def _setting_names(cls) -> tuple[str, ...]:
        return ()

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._setting_names())
        state = f"fitted on {self.shift.shape} features" if self.fitted else "not fitted"
        return f"{type(self).__name__}({settings})  # {state}"


class MinMaxScaler(_Scaler):
    """Rescale each feature linearly so that its training min and max land on ``feature_range``.

    Forward:   z = (x − min) / (max − min) · (hi − lo) + lo     (per feature, axis 0)
    Inverse:   x = (z − lo) · (max − min) / (hi − lo) + min
    Notes:     with (lo, hi) = (0, 1) this is min-max normalisation, (x − min)/(max − min).
               A constant column (max = min) maps to lo, with no division by zero. Values
               outside the training range map outside (lo, hi): no clipping.

    >>> MinMaxScaler().fit_transform(np.array([[1.0], [3.0], [5.0]])).ravel().tolist()
    [0.0, 0.5, 1.0]
    """

    _stats = ("data_min", "data_max")

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        super().__init__()
        try:
            lo, hi = (float(v) for v in feature_range)
        except (TypeError, ValueError):
            lo = hi = float("nan")
        if not lo < hi:
            raise ConfigError(
                message(
                    "MinMaxScaler",
                    "feature_range must be two numbers (lo, hi) with lo < hi",
                    repr(feature_range),
                    "e.g. (0, 1) or (-1, 1)",
                )
            )
        self.feature_range = (lo, hi)
        self.data_min: np.ndarray | None = None
        self.data_max: np.ndarray | None = None

    @classmethod
    def _setting_names(cls) -> tuple[str, ...]:
        return ("feature_range",)

    def _settings(self) -> dict:
        return {"feature_range": list(self.feature_range)}

    def _set_stats(self, data_min: np.ndarray, data_max: np.ndarray) -> None:
        lo, hi = self.feature_range
        self.data_min, self.data_max = data_min, data_max
        spread = _safe_range(data_max - data_min, np.maximum(abs(data_min), abs(data_max)))
        self.shift, self.scale, self.offset = data_min, (hi - lo) / spread, lo

    def fit(self, x: ArrayLike) -> MinMaxScaler:
        """Learn each feature's min and max from training data ``x`` (N, *features)."""
        x = self._check_fit_input(x)
        self._set_stats(x.min(axis=0), x.max(axis=0))
        return self


class StandardScaler(_Scaler):
    """Shift and scale each feature to mean 0 and standard deviation 1 on the training data.

    Forward:   z = (x − μ) / σ,   μ = mean of x over samples, σ = √(mean of (x − μ)²)
    Inverse:   x = z · σ + μ
    Notes:     σ is the population standard deviation (divide by N). A constant column
               (σ = 0) maps to 0, with no division by zero.

    >>> StandardScaler().fit_transform(np.array([[1.0], [3.0]])).ravel().tolist()
    [-1.0, 1.0]
    """

    _stats = ("mean", "std")

    def __init__(self) -> None:
        super().__init__()
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def _set_stats(self, mean: np.ndarray, std: np.ndarray) -> None:
        self.mean, self.std = mean, std
        self.shift, self.scale = mean, 1.0 / _safe_range(std, abs(mean))

    def fit(self, x: ArrayLike) -> StandardScaler:
        """Learn each feature's mean μ and standard deviation σ from training data ``x``."""
        x = self._check_fit_input(x)
        self._set_stats(x.mean(axis=0), x.std(axis=0))
        return self


_KINDS = {cls.__name__: cls for cls in (MinMaxScaler, StandardScaler)}


def scaler_from_dict(state: dict) -> MinMaxScaler | StandardScaler:
    """Rebuild whichever scaler ``state`` (from ``to_dict``) describes."""
    kind = state.get("type") if isinstance(state, dict) else None
    if kind not in _KINDS:
        raise DataError(
            message(
                "scaler_from_dict", "unknown scaler type", repr(kind), f"one of {list(_KINDS)}"
            )
        )
    return _KINDS[kind].from_dict(state)
