"""Initialisers: each one's bounds or standard deviation, its seeding, and its errors."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn import init

SHAPE = (400, 300)  # fan_in 400, fan_out 300: 120,000 samples
FAN_IN, FAN_OUT = SHAPE


def test_fans_of_dense_and_conv_shapes():
    assert init.fans((400, 300)) == (400, 300)
    assert init.fans((16, 3, 5, 5)) == (75, 400)
    assert init.fans((7,)) == (7, 7)


def test_zeros_and_constant():
    assert not init.zeros(SHAPE).any() and init.zeros(SHAPE).dtype == np.float32
    np.testing.assert_array_equal(
        init.constant((2, 3), 0.5, dtype=np.float64), np.full((2, 3), 0.5)
    )


@pytest.mark.parametrize(
    "make, bound",
    [
        (lambda s: init.uniform(SHAPE, seed=s), 1.0),
        (lambda s: init.uniform(SHAPE, -0.2, 0.6, seed=s), None),
        (lambda s: init.glorot_uniform(SHAPE, seed=s), math.sqrt(6 / (FAN_IN + FAN_OUT))),
        (lambda s: init.he_uniform(SHAPE, seed=s), math.sqrt(6 / FAN_IN)),
    ],
    ids=["uniform", "uniform_low_high", "glorot_uniform", "he_uniform"],
)
def test_uniform_initialisers_fill_their_interval(make, bound):
    w = make(0)
    low, high = (-bound, bound) if bound else (-0.2, 0.6)
    assert (
        low <= w.min() < low + 0.01 * (high - low) and high - 0.01 * (high - low) < w.max() < high
    )
    assert w.mean() == pytest.approx((low + high) / 2, abs=0.01 * (high - low))
    assert w.std() == pytest.approx((high - low) / math.sqrt(12), rel=0.01)


@pytest.mark.parametrize(
    "make, std",
    [
        (lambda s: init.normal(SHAPE, std=0.3, seed=s), 0.3),
        (lambda s: init.glorot_normal(SHAPE, seed=s), math.sqrt(2 / (FAN_IN + FAN_OUT))),
        (lambda s: init.he_normal(SHAPE, seed=s), math.sqrt(2 / FAN_IN)),
        (lambda s: init.lecun_normal(SHAPE, seed=s), math.sqrt(1 / FAN_IN)),
    ],
    ids=["normal", "glorot_normal", "he_normal", "lecun_normal"],
)
def test_normal_initialisers_have_their_standard_deviation(make, std):
    w = make(0)
    assert w.std() == pytest.approx(std, rel=0.01)
    assert abs(w.mean()) < 0.01 * std
    assert np.abs(w).max() > 3.5 * std  # not truncated


def test_normal_mean_and_dtype():
    w = init.normal((1000,), std=0.1, mean=2.0, seed=0, dtype=np.float64)
    assert w.dtype == np.float64 and w.mean() == pytest.approx(2.0, abs=0.01)


@pytest.mark.parametrize(
    "name",
    [
        "normal",
        "uniform",
        "glorot_uniform",
        "glorot_normal",
        "he_uniform",
        "he_normal",
        "lecun_normal",
    ],
)
def test_seeds_reproduce_and_generators_advance(name):
    make = init.get(name)
    np.testing.assert_array_equal(make((5, 4), seed=3), make((5, 4), seed=3))
    assert not np.array_equal(make((5, 4), seed=3), make((5, 4), seed=4))
    rng = np.random.default_rng(3)
    first, second = make((5, 4), seed=rng), make((5, 4), seed=rng)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, make((5, 4), seed=3))


def test_get_resolves_names_aliases_and_callables():
    assert init.get("xavier_uniform") is init.glorot_uniform
    assert init.get("kaiming_normal") is init.he_normal
    assert init.get(init.zeros) is init.zeros
    layer = gn.nn.Dense(3, 2, init="zeros")
    assert not layer.w.data.any()


def test_errors():
    with pytest.raises(
        gn.ConfigError, match="unknown initialiser 'orthogonal'. Got 'orthogonal'; expected one of"
    ):
        init.get("orthogonal")
    with pytest.raises(gn.ConfigError, match="low must be below high. Got low=1, high=1"):
        init.uniform((2,), 1, 1)
    with pytest.raises(gn.ConfigError, match="std must be positive. Got std=0"):
        init.normal((2,), std=0)
