"""Load a numeric CSV table into feature and target arrays.

The file is read as a stream, a few thousand rows at a time: each block of rows is parsed
to float64, checked (missing, non-numeric and non-finite cells, values beyond the range of
``dtype``) and written into arrays of the final ``dtype`` allocated once from the file's
line count. Peak memory is the result itself plus one block, not a Python string per
cell: a 26 MB file stays well within 4× its size (measured in the tests).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glassnet._validate import choice
from glassnet.errors import ConfigError, DataError, message

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

__all__ = ["MISSING", "load_csv"]

#: Cell texts read as missing values (compared after stripping spaces, case-insensitive).
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
_NA_POLICIES = ("raise", "drop", "mean")
_NONFINITE_POLICIES = ("raise", "missing")
_BLOCK_CELLS = 1 << 14  # cells parsed at a time: about 2 MB of Python strings
_CSV_HINT = "each line is one row of cells separated by the delimiter, at most 128 kB each"
_NOT_DELIMITERS = '"\r\n.+-_0123456789eE'  # quote, line ends, and characters of numbers


def _check_settings(na, nonfinite, delimiter, dtype) -> np.dtype:
    """ConfigError for an unknown policy, a delimiter that is not one usable character or a
    non-float dtype; returns the dtype."""
    if na not in _NA_POLICIES:
        raise ConfigError(
            message("load_csv", "unknown na policy", repr(na), f"one of {_NA_POLICIES}")
        )
    choice("load_csv", "nonfinite policy", nonfinite, _NONFINITE_POLICIES)
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in _NOT_DELIMITERS:
        raise ConfigError(
            message(
                "load_csv",
                "delimiter must be one character that cannot be part of a number",
                repr(delimiter),
                "a single character such as ',', ';', '\\t' or '|'",
            )
        )
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind != "f":
        raise ConfigError(message("load_csv", "dtype must be a float type", repr(dtype)))
    return dtype


def _row_capacity(path: Path, width: int, where: str) -> int:
    """An upper bound on the file's data rows: its lines after the header, and at most
    size / width (a row of ``width`` cells takes at least ``width`` bytes with its
    delimiters and line end). Counted in 1 MiB blocks of bytes."""
    newlines, returns, last, size = 0, 0, b"", 0
    try:
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                newlines += block.count(b"\n")
                returns += block.count(b"\r")
                last, size = block[-1:], size + len(block)
    except OSError as exc:
        raise DataError(message(where, f"cannot read the file ({exc})")) from None
    lines = (newlines or returns) + (last not in (b"\n", b"\r", b""))  # \r-only line ends
    return max(0, min(lines - 1, size // width))


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
    hint = None
    if len(header) == 1:
        found = [d for d in ";\t|," if d in header[0]]
        hint = f"the header has one column: is the delimiter {found[0]!r}?" if found else None
    raise ConfigError(
        message(where, f"no column {key!r}", repr(key), f"one of {header} or an index", hint)
    )


def _columns(header: list[str], target, features, where: str) -> tuple[list[int], int | None]:
    """(feature column indices, target column index or None)."""
    y_col = None if target is None else _column_index(header, target, where)
    if features is None:
        x_cols = [i for i in range(len(header)) if i != y_col]
    else:
        x_cols = [_column_index(header, key, where) for key in features]
    if not x_cols or y_col in x_cols:
        raise ConfigError(
            message(where, "features must be non-empty and exclude the target", repr(features))
        )
    return x_cols, y_col


def _blocks(reader, width: int, header: list[str], where: str):
    """Yield (rows, line numbers) blocks of the data rows; a ragged row is a DataError."""
    rows, lines, block = [], [], max(1, _BLOCK_CELLS // width)
    for row in reader:
        if not row:
            continue
        if len(row) != width:
            raise DataError(
                message(
                    where,
                    f"row {reader.line_num} has a different number of cells than the header",
                    f"{len(row)} cells",
                    f"{width} ({', '.join(header)})",
                )
            )
        rows.append(row)
        lines.append(reader.line_num)
        if len(rows) == block:
            yield rows, lines
            rows, lines = [], []
    if rows:
        yield rows, lines


def _parse(cells: list[list[str]]) -> tuple[np.ndarray, np.ndarray | None]:
    """Text cells → (float64 values with NaN for missing and text cells, text mask or None).

    The fast path converts the whole block at once; only a block holding a missing or
    non-numeric cell is parsed cell by cell.
    """
    try:
        return np.array(cells, dtype=np.float64).reshape(len(cells), -1), None
    except ValueError:
        pass
    values = np.empty((len(cells), len(cells[0])))
    text = np.zeros(values.shape, dtype=bool)
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            if cell.strip().lower() in MISSING:
                values[r, c] = np.nan
                continue
            try:
                values[r, c] = float(cell)
            except ValueError:
                values[r, c], text[r, c] = np.nan, True
    return values, text


class _Reader:
    """The state of one load_csv call: settings, the arrays being filled, what was seen."""

    def __init__(self, where, names, n_features, has_target, capacity, na, nonfinite, dtype):
        self.where, self.names, self.na, self.nonfinite = where, names, na, nonfinite
        self.dtype, self.limit = dtype, float(np.finfo(dtype).max)
        self.x = np.empty((capacity, n_features), dtype)
        self.y = np.empty(capacity, dtype) if has_target else None
        self.n, self.seen = 0, 0
        self.missing, self.first_missing = 0, None
        self.sums, self.counts = np.zeros(len(names)), np.zeros(len(names))

    def add(self, cells: list[list[str]], lines: list[int]) -> None:
        """Parse, check and store one block of rows (the chosen columns only)."""
        values, text = _parse(cells)
        if text is not None and text.any():
            self._text(cells, values, text, lines)
        self._nonfinite(cells, values, lines)
        missing = np.isnan(values)
        self.seen += len(values)
        if missing.any():
            values = self._missing(values, missing, lines)
        if self.na == "mean":
            self.sums += np.nansum(values, axis=0)
            self.counts += np.sum(~np.isnan(values), axis=0)
        self._store(values)

    def _text(self, cells, values, text, lines) -> None:
        if self.na != "raise":
            return  # already NaN: a missing cell for the na policy
        r, c = (int(i) for i in np.argwhere(text)[0])
        raise DataError(
            message(
                self.where,
                f"non-numeric value in row {lines[r]}, column {self.names[c]!r}",
                repr(cells[r][c]),
                "a number or an empty cell",
                "encode text columns as numbers, leave the column out with features=[...], or "
                "pass na='drop' or na='mean' to treat such cells as missing",
            )
        )

    def _nonfinite(self, cells, values, lines) -> None:
        """±inf, 1e400, and finite values beyond the dtype's range: an error or missing."""
        with np.errstate(invalid="ignore"):
            bad = np.abs(values) > self.limit  # NaN compares False; inf is > any limit
        if not bad.any():
            return
        if self.nonfinite == "missing":
            values[bad] = np.nan
            return
        r, c = (int(i) for i in np.argwhere(bad)[0])
        what = "is not a finite number" if np.isinf(values[r, c]) else f"overflows {self.dtype}"
        raise DataError(
            message(
                self.where,
                f"the value in row {lines[r]}, column {self.names[c]!r} {what}",
                repr(cells[r][c].strip()),
                f"a finite number within ±{self.limit:.7g} ({self.dtype})",
                "fix the file, or pass nonfinite='missing' to treat such cells as missing "
                "(then na= decides: 'drop' the rows or fill in the 'mean')",
            )
        )

    def _missing(self, values, missing, lines) -> np.ndarray:
        if self.na == "drop":
            return values[~missing.any(axis=1)]
        if self.na == "raise" and self.first_missing is None:
            r, c = (int(i) for i in np.argwhere(missing)[0])
            self.first_missing = (lines[r], self.names[c])
        self.missing += int(missing.sum())
        return values

    def _store(self, values: np.ndarray) -> None:
        end = self.n + len(values)
        if end > len(self.x):  # more rows than lines counted: the file grew while read
            self.x = np.concatenate([self.x, np.empty_like(self.x[: end - len(self.x)])])
            if self.y is not None:
                self.y = np.concatenate([self.y, np.empty_like(self.y[: end - len(self.y)])])
        features = self.x.shape[1]
        self.x[self.n : end] = values[:, :features]
        if self.y is not None:
            self.y[self.n : end] = values[:, features]
        self.n = end

    def finish(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The filled arrays, trimmed to the rows read, after the na policy's last word."""
        if self.seen == 0:
            raise DataError(
                message(
                    self.where, "the file needs a header row and at least one data row", "0 rows"
                )
            )
        if self.first_missing is not None:
            line, name = self.first_missing
            raise DataError(
                message(
                    self.where,
                    f"missing value in row {line}, column {name!r}",
                    f"{self.missing} missing cells",
                    "no missing cells",
                    "pass na='drop' to drop such rows or na='mean' to fill in column means",
                )
            )
        if self.n == 0:
            raise DataError(
                message(self.where, "na='drop' removed every row", f"{self.seen} rows")
            )
        x, y = _trim(self.x, self.n), None if self.y is None else _trim(self.y, self.n)
        if self.na == "mean":
            self._fill_means(x, y)
        return x, y

    def _fill_means(self, x: np.ndarray, y: np.ndarray | None) -> None:
        if np.any(self.counts == 0):
            empty = self.names[int(np.argmax(self.counts == 0))]
            raise DataError(message(self.where, f"column {empty!r} has no values to average"))
        means = (self.sums / self.counts).astype(self.dtype)
        columns = [x[:, i] for i in range(x.shape[1])] + ([] if y is None else [y])
        for column, mean in zip(columns, means, strict=True):
            column[np.isnan(column)] = mean


def _trim(array: np.ndarray, n: int) -> np.ndarray:
    """The first n rows of a freshly allocated array, shrunk in place (no second copy)."""
    if len(array) != n:
        array.resize((n, *array.shape[1:]), refcheck=False)  # nothing else refers to it
    return array


def load_csv(
    path: str | os.PathLike,
    target: str | int | None,
    features: list[str | int] | None = None,
    na: str = "raise",
    delimiter: str = ",",
    dtype: DTypeLike = np.float32,
    nonfinite: str = "raise",
) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Read a CSV file with a header row into ``(x, y, feature_names)``.

    ``x`` is (N, F) and ``y`` is (N,), both ``dtype`` (float32 by default); ``y`` is None
    when ``target`` is None. ``target`` and ``features`` name columns by header name or
    0-based index; ``features=None`` takes every column except the target, in file order.
    Rows are numbered as lines of the file: the header is row 1.

    Missing cells (empty, NA, N/A, NaN, null, None, ?) and text that is not a number in
    the chosen columns follow ``na``: ``"raise"`` (default) raises a DataError naming the
    row and column; ``"drop"`` drops rows with any such cell; ``"mean"`` fills each with
    its column's mean over the rows present (computed on the whole file: to keep test rows
    out of it, split first and impute yourself).

    Non-finite cells (``inf``, ``-inf``, ``1e400``) and numbers beyond the range of
    ``dtype`` (``1e39`` for float32, whose largest value is 3.4028235e38) follow
    ``nonfinite``: ``"raise"`` (default) raises a DataError naming the row and column;
    ``"missing"`` treats them as missing cells, so ``na`` decides what happens to them.
    ``delimiter`` is one character (``","``, ``";"``, ``"\\t"``, ...).
    """
    path = Path(path)
    where = f"load_csv({str(path)!r})"
    settings = (na, nonfinite, _check_settings(na, nonfinite, delimiter, dtype))
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=delimiter)
            header = [name.strip() for name in next((row for row in reader if row), [])]
            if not header:
                raise DataError(
                    message(where, "the file needs a header row and at least one data row")
                )
            x, y, names = _read_table(reader, header, path, target, features, settings)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(message(where, f"cannot read the file ({exc})")) from None
    return x, y, names


def _read_table(reader, header: list[str], path: Path, target, features, settings):
    """(x, y, feature names) from the rows after the header."""
    where = f"load_csv({str(path)!r})"
    x_cols, y_col = _columns(header, target, features, where)
    cols = x_cols + ([] if y_col is None else [y_col])
    names = [header[i] for i in cols]
    capacity = _row_capacity(path, len(header), where)
    state = _Reader(where, names, len(x_cols), y_col is not None, capacity, *settings)
    try:
        for rows, lines in _blocks(reader, len(header), header, where):
            state.add([[row[i] for i in cols] for row in rows], lines)
    except csv.Error as exc:
        raise DataError(
            message(where, f"cannot read row {reader.line_num} ({exc})", hint=_CSV_HINT)
        ) from None
    x, y = state.finish()
    return x, y, names[: len(x_cols)]
