"""Load a numeric CSV table into feature and target arrays."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from glassnet.errors import ConfigError, DataError, message

__all__ = ["MISSING", "load_csv"]

#: Cell texts read as missing values (compared after stripping spaces, case-insensitive).
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
_NA_POLICIES = ("raise", "drop", "mean")


def _read_rows(path: Path, delimiter: str, where: str) -> tuple[list[str], list[list[str]]]:
    """Header and data rows; every row must have as many cells as the header."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [row for row in csv.reader(f, delimiter=delimiter) if row]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(message(where, f"cannot read the file ({exc})")) from None
    if len(rows) < 2:
        raise DataError(
            message(
                where, "the file needs a header row and at least one data row", f"{len(rows)} rows"
            )
        )
    header = [name.strip() for name in rows[0]]
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(
                message(
                    where,
                    f"row {i} has a different number of cells than the header",
                    f"{len(row)} cells",
                    f"{len(header)} ({', '.join(header)})",
                )
            )
    return header, rows[1:]


def _column_index(header: list[str], key, where: str) -> int:
    """A column given by name or by 0-based position."""
    if (
        isinstance(key, int | np.integer)
        and not isinstance(key, bool)
        and -len(header) <= key < len(header)
    ):
        return int(key) % len(header)
    if isinstance(key, str) and key in header:
        return header.index(key)
    raise ConfigError(
        message(where, f"no column {key!r}", repr(key), f"one of {header} or an index")
    )


def _to_floats(cells: list[list[str]], names: list[str], na: str, where: str) -> np.ndarray:
    """Parse text cells to float64 with NaN for missing ones. Text that is not a number
    raises a DataError naming its row and column, or, when the caller chose an ``na``
    policy other than "raise", counts as missing too."""
    table = np.array(cells, dtype=object)
    missing = np.vectorize(lambda s: s.strip().lower() in MISSING, otypes=[bool])(table)
    table[missing] = "nan"
    try:
        return table.astype(np.float64)
    except ValueError:
        text = ~np.vectorize(_is_number, otypes=[bool])(table)
    if na != "raise":
        table[text] = "nan"
        return table.astype(np.float64)
    r, c = (int(i) for i in np.argwhere(text)[0])
    raise DataError(
        message(
            where,
            f"non-numeric value in row {r + 2}, column {names[c]!r}",
            repr(table[r, c]),
            "a number or an empty cell",
            "encode text columns as numbers, leave the column out with features=[...], or "
            "pass na='drop' or na='mean' to treat such cells as missing",
        )
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _handle_missing(values: np.ndarray, names: list[str], na: str, where: str) -> np.ndarray:
    """Apply the ``na`` policy to NaN cells (row numbers count the header as row 1)."""
    missing = np.isnan(values)
    if not missing.any():
        return values
    if na == "raise":
        r, c = (int(i) for i in np.argwhere(missing)[0])
        raise DataError(
            message(
                where,
                f"missing value in row {r + 2}, column {names[c]!r}",
                f"{int(missing.sum())} missing cells",
                "no missing cells",
                "pass na='drop' to drop such rows or na='mean' to fill in column means",
            )
        )
    if na == "drop":
        kept = values[~missing.any(axis=1)]
        if len(kept) == 0:
            raise DataError(message(where, "na='drop' removed every row", f"{len(values)} rows"))
        return kept
    empty = missing.all(axis=0)
    if empty.any():
        raise DataError(
            message(where, f"column {names[int(np.argmax(empty))]!r} has no values to average")
        )
    return np.where(missing, np.nanmean(values, axis=0), values)


def load_csv(
    path: str | os.PathLike,
    target: str | int | None,
    features: list[str | int] | None = None,
    na: str = "raise",
    delimiter: str = ",",
    dtype=np.float32,
) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Read a CSV file with a header row into ``(x, y, feature_names)``.

    ``x`` is (N, F) and ``y`` is (N,), both ``dtype`` (float32 by default); ``y`` is None
    when ``target`` is None. ``target`` and ``features`` name columns by header name or
    0-based index; ``features=None`` takes every column except the target, in file order.
    Rows are numbered as in a spreadsheet: the header is row 1.

    Missing cells (empty, NA, N/A, NaN, null, None, ?) and text that is not a number in
    the chosen columns follow ``na``: ``"raise"`` (default) raises a DataError naming the
    row and column; ``"drop"`` drops rows with any such cell; ``"mean"`` fills each with
    its column's mean over the rows present (computed on the whole file: to keep test rows
    out of it, split first and impute yourself).
    """
    path = Path(path)
    where = f"load_csv({str(path)!r})"
    if na not in _NA_POLICIES:
        raise ConfigError(
            message("load_csv", "unknown na policy", repr(na), f"one of {_NA_POLICIES}")
        )
    header, rows = _read_rows(path, delimiter, where)
    y_col = None if target is None else _column_index(header, target, where)
    if features is None:
        x_cols = [i for i in range(len(header)) if i != y_col]
    else:
        x_cols = [_column_index(header, key, where) for key in features]
    if not x_cols or y_col in x_cols:
        raise ConfigError(
            message(where, "features must be non-empty and exclude the target", repr(features))
        )
    cols = x_cols + ([] if y_col is None else [y_col])
    names = [header[i] for i in cols]
    values = _to_floats([[row[i] for i in cols] for row in rows], names, na, where)
    values = _handle_missing(values, names, na, where).astype(dtype)
    x = values[:, : len(x_cols)]
    y = None if y_col is None else values[:, -1].copy()
    return np.ascontiguousarray(x), y, names[: len(x_cols)]
