"""load_csv: columns by name or index, missing and non-numeric cells, bad files."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.data import load_csv
from glassnet.errors import ConfigError, DataError


@pytest.fixture
def table(tmp_path):
    def write(text: str, name: str = "t.csv"):
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def test_target_by_name_and_default_features(table):
    path = table("a,b,y\n1,2,3\n4,5,6\n")
    x, y, names = load_csv(path, target="y")
    assert names == ["a", "b"] and x.dtype == np.float32 and y.dtype == np.float32
    np.testing.assert_array_equal(x, [[1, 2], [4, 5]])
    np.testing.assert_array_equal(y, [3, 6])


def test_target_and_features_by_index_and_name(table):
    path = table("y,a,b,c\n1,2,3,4\n5,6,7,8")  # no trailing newline
    x, y, names = load_csv(path, target=0, features=["c", 1], dtype=np.float64)
    assert names == ["c", "a"] and x.dtype == np.float64
    np.testing.assert_array_equal(x, [[4, 2], [8, 6]])
    np.testing.assert_array_equal(y, [1, 5])
    x, y, names = load_csv(path, target=-1)
    assert names == ["y", "a", "b"] and y.tolist() == [4, 8]


def test_no_target(table):
    x, y, names = load_csv(table("a,b\n1,2\n"), target=None)
    assert y is None and names == ["a", "b"] and x.shape == (1, 2)


def test_quoted_cells_spaces_and_bom(table):
    path = table('\ufeff"a", b ,y\n" 1.5",2e3,-3\n')
    x, y, names = load_csv(path, target="y")
    assert names == ["a", "b"]
    np.testing.assert_array_equal(x, [[1.5, 2000]])


def test_missing_value_raises_with_row_and_column(table):
    path = table("a,b,y\n1,2,3\n4,,6\n7,NA,9\n")
    with pytest.raises(
        DataError, match=r"missing value in row 3, column 'b'. Got 2 missing cells"
    ):
        load_csv(path, target="y")


def test_missing_values_drop_and_mean(table):
    path = table("a,b,y\n1,2,3\n4,,6\n7,n/a,9\n,8,?\n")
    x, y, _ = load_csv(path, target="y", na="drop")
    np.testing.assert_array_equal(x, [[1, 2]])
    np.testing.assert_array_equal(y, [3])
    x, y, _ = load_csv(path, target="y", na="mean")
    np.testing.assert_allclose(x, [[1, 2], [4, 5], [7, 5], [4, 8]])
    np.testing.assert_allclose(y, [3, 6, 9, 6])


def test_missing_in_unused_column_is_ignored(table):
    x, y, _ = load_csv(table("a,skip,y\n1,,3\n"), target="y", features=["a"])
    assert x.tolist() == [[1.0]] and y.tolist() == [3.0]


def test_drop_removing_everything_and_empty_mean_column(table):
    path = table("a,y\n,1\n,2\n")
    with pytest.raises(DataError, match="na='drop' removed every row"):
        load_csv(path, target="y", na="drop")
    with pytest.raises(DataError, match="column 'a' has no values to average"):
        load_csv(path, target="y", na="mean")


def test_non_numeric_value_raises_with_row_and_column(table):
    path = table("a,colour,y\n1,2,3\n4,red,6\n")
    with pytest.raises(
        DataError,
        match=r"(?s)non-numeric value in row 3, column 'colour'. Got 'red'.*na='drop'",
    ):
        load_csv(path, target="y")
    x, _, _ = load_csv(path, target="y", features=["a"])
    assert x.ravel().tolist() == [1, 4]


def test_non_numeric_values_follow_the_callers_na_choice(table):
    path = table("a,b,y\n1,2,3\n4,red,6\n7,8,?\n10,12..5,1\n")
    x, y, _ = load_csv(path, target="y", na="drop")
    np.testing.assert_array_equal(x, [[1, 2]])
    np.testing.assert_array_equal(y, [3])
    x, y, _ = load_csv(path, target="y", na="mean")
    np.testing.assert_allclose(x[:, 1], [2, 5, 8, 5])  # 'red' and '12..5' → mean of 2 and 8
    np.testing.assert_allclose(y, [3, 6, 10 / 3, 1])
    with pytest.raises(DataError, match="column 'b' has no values to average"):
        load_csv(table("b,y\nred,1\nblue,2\n", "text.csv"), target="y", na="mean")


def test_ragged_row(table):
    with pytest.raises(
        DataError, match=r"row 3 has a different number of cells.*Got 2 cells; expected 3"
    ):
        load_csv(table("a,b,y\n1,2,3\n4,5\n"), target="y")


def test_header_only_and_missing_file(table, tmp_path):
    with pytest.raises(DataError, match="needs a header row and at least one data row"):
        load_csv(table("a,b\n"), target="a")
    with pytest.raises(DataError, match=r"load_csv\('.*absent.csv'\): cannot read the file"):
        load_csv(tmp_path / "absent.csv", target="a")


def test_bad_settings(table):
    path = table("a,b,y\n1,2,3\n")
    with pytest.raises(
        ConfigError, match=r"no column 'z'. Got 'z'; expected one of \['a', 'b', 'y'\]"
    ):
        load_csv(path, target="z")
    with pytest.raises(ConfigError, match="no column 7"):
        load_csv(path, target="y", features=[7])
    with pytest.raises(ConfigError, match="features must be non-empty and exclude the target"):
        load_csv(path, target="y", features=["a", "y"])
    with pytest.raises(ConfigError, match="unknown na policy. Got 'zero'"):
        load_csv(path, target="y", na="zero")


def test_semicolon_delimiter(table):
    x, y, _ = load_csv(table("a;y\n1.5;2\n"), target="y", delimiter=";")
    assert x.tolist() == [[1.5]] and y.tolist() == [2.0]
    with pytest.raises(DataError, match="non-numeric value in row 2, column 'a'. Got '1,5'"):
        load_csv(table("a;y\n1,5;2\n", "b.csv"), target="y", delimiter=";")
