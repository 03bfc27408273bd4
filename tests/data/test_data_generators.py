"""Playground-style generators: shapes, dtypes, seeds, class balance and geometry."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.data import (
    make_circles,
    make_gaussians,
    make_multi_gaussian,
    make_regression_plane,
    make_spiral,
    make_xor,
)
from glassnet.errors import ConfigError

CLASSIFIERS = [make_circles, make_xor, make_gaussians, make_spiral]
REGRESSIONS = [make_regression_plane, make_multi_gaussian]


@pytest.mark.parametrize("make", CLASSIFIERS + REGRESSIONS)
def test_shapes_dtypes_and_seeds(make):
    x, y = make(101, noise=0.2, seed=5)
    assert x.shape == (101, 2) and x.dtype == np.float32 and y.shape == (101,)
    assert y.dtype == (np.int64 if make in CLASSIFIERS else np.float32)
    x2, y2 = make(101, noise=0.2, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(x, make(101, noise=0.2, seed=6)[0])


@pytest.mark.parametrize("make", [make_spiral, make_gaussians])
def test_balanced_classes_in_random_order(make):
    _, y = make(101, seed=0)
    assert np.bincount(y).tolist() == [51, 50]
    assert not np.all(np.diff(y) >= 0)  # shuffled, not sorted by class


def test_circles_geometry_without_noise():
    x, y = make_circles(400, seed=0)
    r = np.linalg.norm(x, axis=1)
    assert np.all(r[y == 1] < 2.5) and np.all((r[y == 0] >= 3.5 - 1e-6) & (r[y == 0] <= 5 + 1e-6))
    assert np.bincount(y).tolist() == [200, 200]


def test_xor_labels_and_gap():
    x, y = make_xor(500, seed=0)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] >= 0).astype(int))
    assert np.all(np.abs(x) >= 0.3 - 1e-6)


def test_noise_labels_follow_the_noisy_point():
    x, y = make_circles(2000, noise=0.5, seed=0)
    np.testing.assert_array_equal(y, (np.linalg.norm(x, axis=1) < 2.5).astype(int))


def test_gaussians_centres_and_variance():
    x, y = make_gaussians(4000, noise=0.5, seed=0)
    np.testing.assert_allclose(x[y == 1].mean(axis=0), [2, 2], atol=0.15)
    np.testing.assert_allclose(x[y == 0].var(axis=0), [4, 4], rtol=0.1)  # 0.5 + 7·0.5


def test_spiral_arms_and_more_classes():
    x, y = make_spiral(300, seed=0, n_classes=3)
    assert np.bincount(y).tolist() == [100, 100, 100]
    assert np.linalg.norm(x, axis=1).max() <= 5


def test_regression_targets():
    x, y = make_regression_plane(500, seed=0)
    np.testing.assert_allclose(y, np.clip((x[:, 0] + x[:, 1]) / 10, -1, 1), atol=1e-6)
    x, y = make_multi_gaussian(2000, seed=0)
    assert -1 <= y.min() < -0.5 and 0.5 < y.max() <= 1
    near = np.linalg.norm(x - np.array([4, 2.5]), axis=1) < 0.2  # positive bump at (4, 2.5)
    assert np.all(y[near] > 0.85)


@pytest.mark.parametrize("make", CLASSIFIERS + REGRESSIONS)
def test_bad_settings(make):
    with pytest.raises(ConfigError, match=rf"{make.__name__}: n must be an integer ≥ 1. Got 0"):
        make(0)
    with pytest.raises(
        ConfigError, match=rf"{make.__name__}: noise must be a number ≥ 0. Got -0.1"
    ):
        make(10, noise=-0.1)
    with pytest.raises(ConfigError, match="noise must be a number"):
        make(10, noise=float("nan"))


def test_spiral_needs_two_classes():
    with pytest.raises(ConfigError, match="make_spiral: n_classes must be an integer ≥ 2. Got 1"):
        make_spiral(10, n_classes=1)
