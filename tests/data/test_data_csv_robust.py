"""load_csv against hostile files: non-finite cells, float32 overflow, bad delimiters,
odd line ends, huge lines, and peak memory within 4× the file size."""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from glassnet.data import load_csv
from glassnet.errors import ConfigError, DataError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from csv_memory import write_csv  # noqa: E402


@pytest.fixture
def table(tmp_path):
    def write(text: str, name: str = "t.csv"):
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


@pytest.mark.parametrize(
    ("cell", "row", "column", "what"),
    [
        ("inf", 3, "y", "is not a finite number"),
        ("-inf", 2, "a", "is not a finite number"),
        ("-Infinity", 2, "a", "is not a finite number"),
        ("1e400", 3, "y", "is not a finite number"),
        ("1e39", 2, "a", "overflows float32"),
        ("-3.5e38", 3, "y", "overflows float32"),
    ],
)
def test_non_finite_and_overflowing_cells_name_row_and_column(table, cell, row, column, what):
    cells = {(2, "a"): "1", (3, "y"): "4"} | {(row, column): cell}
    path = table(f"a,y\n{cells[2, 'a']},2\n3,{cells[3, 'y']}\n")
    with pytest.raises(
        DataError,
        match=rf"(?s)the value in row {row}, column '{column}' {what}\. Got '{cell}'; "
        r"expected a finite number within ±3.402823e\+38 \(float32\).*nonfinite='missing'",
    ):
        load_csv(path, target="y")


def test_float64_holds_what_float32_cannot(table):
    x, y, _ = load_csv(table("a,y\n1e39,2\n"), target="y", dtype=np.float64)
    assert x.dtype == np.float64 and x[0, 0] == 1e39
    with pytest.raises(DataError, match="row 2, column 'a' is not a finite number"):
        load_csv(table("a,y\ninf,2\n", "inf.csv"), target="y", dtype=np.float64)


def test_nonfinite_missing_hands_the_cells_to_the_na_policy(table):
    path = table("a,b,y\n1,2,3\n4,5,inf\n1,1e400,1\n7,8,9\n")
    with pytest.raises(DataError, match="missing value in row 3, column 'y'. Got 2 missing"):
        load_csv(path, target="y", nonfinite="missing")
    x, y, _ = load_csv(path, target="y", nonfinite="missing", na="drop")
    np.testing.assert_array_equal(x, [[1, 2], [7, 8]])
    np.testing.assert_array_equal(y, [3, 9])
    x, y, _ = load_csv(path, target="y", nonfinite="missing", na="mean")
    np.testing.assert_allclose(x[:, 1], [2, 5, 5, 8])
    np.testing.assert_allclose(y, [3, 13 / 3, 1, 9])
    assert np.isfinite(x).all() and np.isfinite(y).all()


@pytest.mark.parametrize("delimiter", ["", ";;", ".", "-", "1", "e", '"', "\n", 5, None])
def test_a_bad_delimiter_is_a_config_error(table, delimiter):
    with pytest.raises(
        ConfigError,
        match=r"load_csv: delimiter must be one character that cannot be part of a number",
    ):
        load_csv(table("a,y\n1,2\n"), target="y", delimiter=delimiter)


def test_bad_policies_and_dtype(table):
    path = table("a,y\n1,2\n")
    with pytest.raises(ConfigError, match="unknown nonfinite policy. Got 'zero'"):
        load_csv(path, target="y", nonfinite="zero")
    with pytest.raises(ConfigError, match="dtype must be a float type. Got dtype\\('int64'\\)"):
        load_csv(path, target="y", dtype=np.int64)


def test_a_wrong_delimiter_is_named_in_the_hint(table):
    with pytest.raises(
        ConfigError,
        match=r"(?s)no column 'y'.*hint: the header has one column: is the "
        r"delimiter ';'\?",
    ):
        load_csv(table("a;y\n1;2\n"), target="y")


def test_a_line_beyond_the_field_limit_is_a_data_error(table):
    path = table("a,y\n" + "9" * 200_000 + ",1\n")
    with pytest.raises(DataError, match=r"cannot read row 2 \(field larger than field limit"):
        load_csv(path, target="y")


def test_carriage_return_line_ends_blank_lines_and_no_final_newline(table):
    x, y, _ = load_csv(table("a,y\r1,2\r3,4\r"), target="y")
    assert x.tolist() == [[1], [3]] and y.tolist() == [2, 4]
    x, y, _ = load_csv(table("\na,y\n\n\n1,2\n\n3,4", "blank.csv"), target="y")
    assert x.tolist() == [[1], [3]] and y.tolist() == [2, 4]
    with pytest.raises(DataError, match=r"row 4 has a different number of cells"):
        load_csv(table("a,y\n\n1,2\n3\n", "ragged.csv"), target="y")


def test_empty_and_header_only_files(table):
    for text in ("", "\n\n", "a,y\n", "a,y\n\n\n"):
        with pytest.raises(DataError, match="needs a header row and at least one data row"):
            load_csv(table(text), target="y" if text.strip() else None)


def test_many_blocks_keep_row_numbers_and_results(tmp_path):
    rows = 20_000  # several blocks of 16384 cells
    data = np.arange(rows * 3, dtype=np.float64).reshape(rows, 3)
    path = tmp_path / "big.csv"
    np.savetxt(path, data, fmt="%d", delimiter=",", header="a,b,y", comments="")
    x, y, _ = load_csv(path, target="y")
    np.testing.assert_array_equal(x, data[:, :2])
    np.testing.assert_array_equal(y, data[:, 2])
    assert x.flags.c_contiguous and x.base is None
    lines = path.read_text().splitlines()
    lines[15_000] = lines[15_000].replace(lines[15_000].split(",")[1], "inf")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="row 15001, column 'b' is not a finite number"):
        load_csv(path, target="y")


def test_peak_memory_stays_within_four_times_the_file_size(tmp_path):
    """Today's figure for a 26 MB file: see benchmarks/csv_memory.py (traced peak 0.8×)."""
    path = tmp_path / "table.csv"
    size = write_csv(path, megabytes=3, columns=10)
    tracemalloc.start()
    try:
        x, y, _ = load_csv(path, target="y")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert x.shape[1] == 10 and len(y) == len(x) > 10_000
    assert peak < 4 * size, (peak, size)
