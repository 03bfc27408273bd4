"""Bundled small data sets: hourly wages, the bank example and the three-layer toy."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import DataError


def test_hourly_wages_matches_its_readme():
    x, y, names = gn.data.load_hourly_wages()
    assert x.shape == (534, 9) and y.shape == (534,) and x.dtype == np.float32
    assert names == [
        "union",
        "education_yrs",
        "experience_yrs",
        "age",
        "female",
        "marr",
        "south",
        "manufacturing",
        "construction",
    ]
    assert (y.min(), y.max()) == (1.0, 44.5)
    assert round(float(y.mean()), 3) == 9.024
    assert x[:, names.index("union")].sum() == 96 and x[:, names.index("female")].sum() == 245
    np.testing.assert_array_equal(x[0], [0, 8, 21, 35, 1, 1, 0, 1, 0])  # first row, 5.10 $/h
    assert y[0] == np.float32(5.1)
    readme = gn.data.mnist.bundled_path("hourly_wages", "README.md").read_text()
    assert "Current Population Survey" in readme


def test_bank_transactions_forward_pass_gives_nine():
    bank = gn.data.load_bank_transactions()
    assert bank.x.tolist() == [[2, 3]] and bank.feature_names == ("children", "accounts")
    np.testing.assert_array_equal(bank.hidden, [[5, 1]])
    np.testing.assert_array_equal(bank.y, [9])
    hidden = gn.nn.Dense(2, 2, use_bias=False)
    out = gn.nn.Dense(2, 1, use_bias=False)
    hidden.w.data[...] = bank.w_hidden
    out.w.data[...] = bank.w_output
    assert out(hidden(gn.tensor(bank.x))).item() == 9.0


def test_three_layer_toy_is_xor_with_a_bias_column():
    x, y = gn.data.load_three_layer_toy()
    assert x.shape == (4, 3) and y.shape == (4, 1) and x.dtype == np.float32
    assert set(np.unique(x)) == {0, 1} and np.all(x[:, 2] == 1)
    np.testing.assert_array_equal(y[:, 0], np.logical_xor(x[:, 0], x[:, 1]))
    # not linearly separable: no least-squares plane through the inputs fits it
    w, *_ = np.linalg.lstsq(x, y, rcond=None)
    assert np.abs(x @ w - y).max() > 0.4


def test_corrupt_bundled_wages_file_is_refused(monkeypatch):
    monkeypatch.setattr(gn.data.toy, "HOURLY_WAGES_SHA256", "f" * 64)
    with pytest.raises(DataError, match="load_hourly_wages: the bundled file is corrupt"):
        gn.data.load_hourly_wages()
