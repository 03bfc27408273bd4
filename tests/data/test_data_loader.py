"""DataLoader: GD/SGD/mini-batch sizes, one permutation per epoch, inputs, errors."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import DataLoader
from glassnet.errors import ConfigError, DTypeError, ShapeError


def _epoch(loader):
    return [(xb.copy(), yb.copy()) for xb, yb in loader]


def test_mini_batches_cover_every_sample_once_per_epoch():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    loader = DataLoader(x, y, batch_size=4, seed=0)
    assert len(loader) == 3
    batches = _epoch(loader)
    assert [len(yb) for _, yb in batches] == [4, 4, 2]
    ys = np.concatenate([yb for _, yb in batches])
    assert sorted(ys.tolist()) == list(range(10)) and ys.tolist() != list(range(10))
    for xb, yb in batches:
        np.testing.assert_array_equal(xb[:, 0] // 2, yb)  # x and y stay paired


def test_full_batch_sgd_and_drop_last():
    x = np.arange(10.0)
    assert len(DataLoader(x, x, batch_size=None)) == 1
    ((xb, yb),) = list(DataLoader(x, x, batch_size=None, shuffle=False))
    assert xb.shape == (10,)
    assert len(DataLoader(x, x, batch_size=1)) == 10
    assert all(len(xb) == 1 for xb, _ in DataLoader(x, x, batch_size=1))
    loader = DataLoader(x, x, batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(b) for b, _ in loader] == [4, 4]
    assert len(DataLoader(x, batch_size=10, drop_last=True)) == 1
    assert len(DataLoader(x, batch_size=50)) == 1


def test_epochs_differ_but_a_seed_replays_them():
    x = np.arange(50)
    a, b = DataLoader(x, x, batch_size=50, seed=7), DataLoader(x, x, batch_size=50, seed=7)
    a1, a2 = _epoch(a)[0][1], _epoch(a)[0][1]
    b1, b2 = _epoch(b)[0][1], _epoch(b)[0][1]
    assert not np.array_equal(a1, a2)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)


def test_one_permutation_per_epoch_from_the_seed():
    """Epoch e's sample order is the e-th permutation drawn from default_rng(seed)."""
    loader = DataLoader(np.arange(100), np.arange(100), batch_size=7, seed=0)
    reference = np.random.default_rng(0)
    for _ in range(2):
        order = np.concatenate([yb for _, yb in _epoch(loader)])
        np.testing.assert_array_equal(order, reference.permutation(100))


def test_no_shuffle_yields_ordered_views():
    x = np.arange(12).reshape(6, 2)
    batches = list(DataLoader(x, batch_size=4, shuffle=False))
    np.testing.assert_array_equal(batches[0], x[:4])
    assert np.shares_memory(batches[0], x)


def test_without_y_yields_x_batches():
    batches = list(DataLoader(np.arange(5), batch_size=2, seed=0))
    assert [b.shape for b in batches] == [(2,), (2,), (1,)]


def test_accepts_tensors_array_likes_and_lists():
    class Frame:  # anything with __array__, like a pandas DataFrame
        def __array__(self, dtype=None, copy=None):
            return np.arange(8.0).reshape(4, 2)

    for x in (gn.tensor(np.arange(8.0).reshape(4, 2)), Frame(), [[0, 1], [2, 3], [4, 5], [6, 7]]):
        loader = DataLoader(x, gn.tensor([0, 1, 2, 3]), batch_size=2, shuffle=False)
        xb, yb = next(iter(loader))
        assert isinstance(xb, np.ndarray) and isinstance(yb, np.ndarray)
        np.testing.assert_array_equal(xb, [[0, 1], [2, 3]])


def test_keeps_dtype_and_batches_images(rng):
    x = rng.integers(0, 256, (64, 28, 28)).astype(np.uint8)
    y = rng.integers(0, 10, 64).astype(np.uint8)
    xb, yb = next(iter(DataLoader(x, y, batch_size=16, seed=0)))
    assert xb.shape == (16, 28, 28) and xb.dtype == np.uint8 and yb.dtype == np.uint8


def test_errors():
    x = np.zeros((10, 2))
    with pytest.raises(
        ShapeError,
        match=r"DataLoader: x and y hold different numbers of samples. "
        r"Got len\(x\)=10, len\(y\)=9",
    ):
        DataLoader(x, np.zeros(9))
    for bad in (0, -3, 2.5, True, "32"):
        with pytest.raises(ConfigError, match="DataLoader: batch_size must be a positive int"):
            DataLoader(x, batch_size=bad)
    with pytest.raises(
        ConfigError, match="drop_last=True with batch_size larger than the data leaves no batch"
    ):
        DataLoader(x, batch_size=11, drop_last=True)
    with pytest.raises(ConfigError, match="x holds no samples"):
        DataLoader(np.zeros((0, 2)))
    with pytest.raises(ShapeError, match="x must have a sample axis"):
        DataLoader(np.float32(1.0))
    with pytest.raises(DTypeError, match="DataLoader: y must be numeric. Got dtype <U1"):
        DataLoader(np.zeros(2), np.array(["a", "b"]))
    with pytest.raises(DTypeError, match=r"DataLoader: cannot make an array of x. Got list"):
        DataLoader([[1, 2], [3]])
    with pytest.raises(DTypeError, match="a seed must be an int"):
        DataLoader(x, seed="zero")


def test_repr():
    assert repr(DataLoader(np.zeros(10), batch_size=4)) == (
        "DataLoader(samples=10, batch_size=4, batches=3, shuffle=True, drop_last=False)"
    )
