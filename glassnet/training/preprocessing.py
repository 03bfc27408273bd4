"""Preprocessing: how raw rows become a model's inputs, saved inside the model file.

``glassnet train`` standardises tabular features (z = (x − μ_train) / σ_train) and divides
MNIST pixels by 255. A model trained that way answers wrongly on raw rows unless the same
steps run first, so the steps travel with the model: ``model.preprocessing`` is a
:class:`Preprocessing`, ``model.save`` writes it into the file's description, and
``model.predict`` / ``model.evaluate`` apply it to the rows they are given. ``fit`` and
calling the model directly take inputs that are already prepared.

The description is the same small JSON object an older ``preprocess.json`` side file holds:
``{"features": [column names], "scaler": {...}}`` or ``{"divide_by": 255.0}``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glassnet.errors import DataError, message

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping, Sequence
    from typing import Any

    from numpy.typing import ArrayLike

    from glassnet.data.scalers import MinMaxScaler, StandardScaler

__all__ = ["Preprocessing"]

_KEYS = {"features", "scaler", "divide_by"}


class Preprocessing:
    """Steps applied to raw rows, in order: pick ``features`` (CSV column names, used by
    ``glassnet predict`` to read a CSV by name), then divide by ``divide_by`` or apply the
    fitted ``scaler`` (:class:`glassnet.data.StandardScaler` or ``MinMaxScaler``).

    Forward:   z = x / divide_by,  or  z = scaler.transform(x)   (per feature, axis 1)
    Shapes:    x (N, F) or (N, ...) flattened to (N, F) → z (N, F)
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        scaler: MinMaxScaler | StandardScaler | None = None,
        divide_by: float | None = None,
    ) -> None:
        self.features = None if features is None else [str(f) for f in features]
        self.scaler, self.divide_by = scaler, divide_by

    def transform(self, x: ArrayLike) -> np.ndarray:
        x = np.asarray(x, np.float32)
        x = x.reshape(len(x), -1) if x.ndim else x
        if self.divide_by is not None:
            return x / np.float32(self.divide_by)
        return x if self.scaler is None else self.scaler.transform(x)

    def to_dict(self) -> dict:
        spec = {} if self.features is None else {"features": list(self.features)}
        if self.divide_by is not None:
            spec["divide_by"] = float(self.divide_by)
        if self.scaler is not None:
            spec["scaler"] = self.scaler.to_dict()
        return spec

    @classmethod
    def from_dict(
        cls, spec: Mapping[str, Any], where: str = "Preprocessing.from_dict"
    ) -> Preprocessing:
        """Rebuild from :meth:`to_dict` (or a preprocess.json); DataError when malformed."""
        from glassnet.data import scaler_from_dict

        if not isinstance(spec, dict) or not set(spec) <= _KEYS:
            got = sorted(spec) if isinstance(spec, dict) else type(spec).__name__
            raise DataError(
                message(
                    where,
                    "the preprocessing is malformed",
                    str(got),
                    f"an object with keys among {sorted(_KEYS)}",
                )
            )
        features, divide_by = spec.get("features"), spec.get("divide_by")
        if features is not None and not (
            isinstance(features, list) and all(isinstance(f, str) for f in features)
        ):
            raise DataError(
                message(
                    where,
                    "features must be a list of column names",
                    repr(features)[:80],
                    '["age", "education_yrs", ...]',
                )
            )
        if divide_by is not None and not (
            isinstance(divide_by, int | float)
            and not isinstance(divide_by, bool)
            and math.isfinite(divide_by)
            and divide_by > 0
        ):
            raise DataError(
                message(
                    where, "divide_by must be a positive number", repr(divide_by), "e.g. 255.0"
                )
            )
        scaler = None if spec.get("scaler") is None else scaler_from_dict(spec["scaler"])
        return cls(features, scaler, divide_by)

    @classmethod
    def read(cls, path: str | os.PathLike) -> Preprocessing:
        """From a ``preprocess.json`` side file (written by glassnet train before 0.2)."""
        where = f"preprocess file {str(path)!r}"
        try:
            spec = json.loads(Path(path).read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise DataError(
                message(where, "it is not JSON", type(exc).__name__, "a JSON object")
            ) from None
        return cls.from_dict(spec, where)

    def __eq__(self, other) -> bool:
        return isinstance(other, Preprocessing) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        steps = [f"features={len(self.features)}"] if self.features else []
        if self.divide_by is not None:
            steps.append(f"divide_by={self.divide_by:g}")
        if self.scaler is not None:
            steps.append(type(self.scaler).__name__)
        return f"Preprocessing({', '.join(steps)})"
