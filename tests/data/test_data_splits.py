"""one_hot, train_test_split and train_val_split."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import one_hot, train_test_split, train_val_split
from glassnet.errors import ConfigError, DataError, ShapeError


def test_one_hot_rows():
    out = one_hot(np.array([2, 0, 1, 2]), 3)
    assert out.dtype == np.float32 and out.shape == (4, 3)
    np.testing.assert_array_equal(out.argmax(axis=1), [2, 0, 1, 2])
    np.testing.assert_array_equal(out.sum(axis=1), 1)
    np.testing.assert_array_equal(
        one_hot(np.array([[1.0], [0.0]]), 2, dtype=np.float64), np.eye(2)[[1, 0]]
    )


def test_one_hot_checks_range_and_values():
    with pytest.raises(
        DataError, match=r"label out of range for num_classes=3. Got y\[1\] = 3 \(2 labels"
    ):
        one_hot([0, 3, -1], 3)
    with pytest.raises(DataError, match=r"class labels must be whole numbers. Got y\[1\] = 0.5"):
        one_hot([1.0, 0.5], 2)
    with pytest.raises(ShapeError, match=r"y must be a vector of labels. Got y.shape=\(2, 2\)"):
        one_hot(np.zeros((2, 2), dtype=int), 2)
    with pytest.raises(ConfigError, match="num_classes must be an integer ≥ 1. Got 0"):
        one_hot([0], 0)


def test_split_order_sizes_and_partition():
    x, y = np.arange(100).reshape(50, 2), np.arange(50)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, seed=0)
    assert (len(x_tr), len(x_te)) == (40, 10)
    np.testing.assert_array_equal(x_tr[:, 0] // 2, y_tr)  # rows stay paired
    np.testing.assert_array_equal(x_te[:, 0] // 2, y_te)
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(50))
    assert not np.array_equal(y_te, np.arange(40, 50))  # shuffled


def test_split_is_seeded_and_counts_round_up():
    x = np.arange(11)
    a = train_test_split(x, test_size=0.25, seed=3)
    b = train_test_split(x, test_size=0.25, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(a[1], b[1])
    assert len(a[1]) == 3  # ⌈0.25 · 11⌉
    assert len(train_test_split(x, test_size=4)[1]) == 4


def test_stratified_split_keeps_class_shares(rng):
    y = np.repeat([0, 1, 2], [60, 30, 10])
    x = rng.normal(size=(100, 2))
    _, _, y_tr, y_te = train_test_split(x, y, test_size=0.2, seed=1, stratify=True)
    assert np.bincount(y_te).tolist() == [12, 6, 2]
    assert np.bincount(y_tr).tolist() == [48, 24, 8]
    _, _, _, y_te = train_test_split(x, gn.data.one_hot(y, 3), test_size=0.3, stratify=True)
    assert np.bincount(y_te.argmax(axis=1)).tolist() == [18, 9, 3]


def test_stratified_validation_split_keeps_class_shares():
    y = np.repeat([0, 1], [80, 20])
    _, _, y_tr, y_val = train_val_split(np.zeros((100, 1)), y, val_size=0.25, stratify=True)
    assert np.bincount(y_val).tolist() == [20, 5] and np.bincount(y_tr).tolist() == [60, 15]


def test_stratified_split_with_uneven_shares_is_exact():
    y = np.array([0] * 7 + [1] * 5 + [2] * 3)
    _, _, y_tr, y_te = train_test_split(np.zeros((15, 1)), y, test_size=4, seed=0, stratify=True)
    counts = np.bincount(y_te, minlength=3)
    assert counts.sum() == 4 and np.all(np.abs(counts - np.array([7, 5, 3]) * 4 / 15) < 1)


def test_val_split_without_shuffle_takes_the_tail_like_keras():
    x = np.arange(10)
    x_tr, x_val = train_val_split(x, val_size=0.3, shuffle=False)
    assert x_tr.tolist() == list(range(7)) and x_val.tolist() == [7, 8, 9]
    x_tr, x_val, y_tr, y_val = train_val_split(x, x * 10, val_size=0.3, seed=0)
    np.testing.assert_array_equal(y_val, x_val * 10)


def test_split_accepts_tensors_and_array_likes():
    x_tr, x_te = train_test_split(gn.tensor(np.arange(10.0)), test_size=0.5)
    assert isinstance(x_tr, np.ndarray) and len(x_te) == 5


def test_split_errors():
    x = np.arange(10)
    with pytest.raises(
        ShapeError,
        match=r"train_test_split: x and y hold different numbers of samples. "
        r"Got len\(x\)=10, len\(y\)=9",
    ):
        train_test_split(x, np.arange(9))
    for bad in (0.0, 1.0, 1.5, "0.2", True):
        with pytest.raises(ConfigError, match="test_size must be a fraction in"):
            train_test_split(x, test_size=bad)
    with pytest.raises(ConfigError, match=r"val_size leaves an empty side. Got 10 of 10"):
        train_val_split(x, val_size=10)
    with pytest.raises(ConfigError, match="stratify=True needs labels y and shuffle=True"):
        train_test_split(x, stratify=True)
