"""MinMaxScaler and StandardScaler: formulas, round trips, edge cases, serialisation."""

from __future__ import annotations

import json

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import MinMaxScaler, StandardScaler, scaler_from_dict
from glassnet.errors import ConfigError, DataError, ShapeError


def test_min_max_is_the_textbook_formula(rng):
    x = rng.normal(3, 2, (50, 4))
    z = MinMaxScaler().fit_transform(x)
    expected = (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
    np.testing.assert_allclose(z, expected, rtol=1e-12)
    assert z.dtype == np.float64 and z.min() == 0 and z.max() == 1


def test_min_max_feature_range(rng):
    x = rng.normal(size=(30, 3))
    z = MinMaxScaler(feature_range=(-1, 1)).fit_transform(x)
    np.testing.assert_allclose(z.min(axis=0), -1)
    np.testing.assert_allclose(z.max(axis=0), 1)


def test_standard_scores(rng):
    x = rng.normal(5, 3, (200, 3)).astype(np.float32)
    scaler = StandardScaler().fit(x)
    z = scaler.transform(x)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(z.std(axis=0), 1, atol=1e-6)
    np.testing.assert_allclose(scaler.std, x.astype(np.float64).std(axis=0))


@pytest.mark.parametrize("make", [MinMaxScaler, StandardScaler])
def test_inverse_round_trip_and_fit_on_train_only(rng, make):
    x_train, x_test = rng.normal(size=(40, 3)), rng.normal(5, 1, size=(10, 3))
    scaler = make().fit(x_train)
    z_test = scaler.transform(x_test)
    np.testing.assert_allclose(scaler.inverse_transform(z_test), x_test, rtol=1e-12)
    fresh = make().fit(x_test).transform(x_test)
    assert not np.allclose(z_test, fresh)  # test data is mapped with the training statistics


@pytest.mark.parametrize("make", [MinMaxScaler, StandardScaler])
def test_constant_column_has_no_division_by_zero(make):
    x = np.array([[1.0, 0.1], [2.0, 0.1], [3.0, 0.1]])
    with np.errstate(all="raise"):
        z = make().fit_transform(x)
        back = make().fit(x).inverse_transform(z)
    assert np.all(np.isfinite(z))
    np.testing.assert_allclose(z[:, 1], 0, atol=1e-15)  # the offset (mean of 0.1s rounds)
    np.testing.assert_allclose(back, x)


@pytest.mark.parametrize("make", [MinMaxScaler, StandardScaler])
def test_non_finite_in_fit_names_the_column(make):
    x = np.array([[1.0, 2.0, 3.0], [4.0, np.inf, 6.0], [7.0, 8.0, np.nan]])
    name = make.__name__
    with pytest.raises(
        DataError, match=rf"{name}.fit: column 1 holds a non-finite value. Got x\[1\] → inf"
    ):
        make().fit(x)


def test_non_finite_in_images_names_the_pixel():
    x = np.zeros((2, 3, 4))
    x[1, 2, 3] = np.nan
    with pytest.raises(DataError, match=r"feature \(2, 3\) holds a non-finite value"):
        MinMaxScaler().fit(x)


def test_images_scale_per_pixel(rng):
    x = rng.integers(0, 256, (20, 4, 4)).astype(np.uint8)
    z = MinMaxScaler().fit_transform(x)
    assert z.shape == x.shape and z.dtype == np.float32


@pytest.mark.parametrize("make", [MinMaxScaler, StandardScaler])
def test_transform_before_fit(make):
    with pytest.raises(ConfigError, match=rf"{make.__name__}.transform: the scaler is not fitted"):
        make().transform(np.zeros((2, 2)))
    with pytest.raises(ConfigError, match="inverse_transform: the scaler is not fitted"):
        make().inverse_transform(np.zeros((2, 2)))
    with pytest.raises(ConfigError, match="to_dict: the scaler is not fitted"):
        make().to_dict()


def test_feature_count_mismatch():
    scaler = StandardScaler().fit(np.ones((3, 2)))
    with pytest.raises(
        ShapeError, match=r"different feature shape.*Got x.shape=\(4, 5\); expected \(N, 2\)"
    ):
        scaler.transform(np.ones((4, 5)))


def test_empty_fit_and_bad_feature_range():
    with pytest.raises(DataError, match="MinMaxScaler.fit: no samples to fit on"):
        MinMaxScaler().fit(np.zeros((0, 3)))
    for bad in [(1, 0), (1, 1), "ab", (0, 1, 2)]:
        with pytest.raises(ConfigError, match="feature_range must be two numbers"):
            MinMaxScaler(feature_range=bad)


@pytest.mark.parametrize("make", [lambda: MinMaxScaler((-1, 2)), StandardScaler])
def test_to_dict_from_dict_via_json(rng, make):
    x = rng.normal(size=(20, 3))
    scaler = make().fit(x)
    state = json.loads(json.dumps(scaler.to_dict()))
    for rebuilt in (type(scaler).from_dict(state), scaler_from_dict(state)):
        assert type(rebuilt) is type(scaler)
        np.testing.assert_array_equal(rebuilt.transform(x), scaler.transform(x))
    assert "fitted on (3,) features" in repr(scaler)


def test_from_dict_errors():
    state = MinMaxScaler().fit(np.eye(2)).to_dict()
    with pytest.raises(
        DataError, match="StandardScaler.from_dict: not a saved scaler of this kind"
    ):
        StandardScaler.from_dict(state)
    with pytest.raises(DataError, match=r"lacks fields. Got \['data_max'\]"):
        MinMaxScaler.from_dict({k: v for k, v in state.items() if k != "data_max"})
    with pytest.raises(DataError, match="saved statistics differ in shape"):
        MinMaxScaler.from_dict(dict(state, data_max=[1.0]))
    with pytest.raises(DataError, match="scaler_from_dict: unknown scaler type. Got 'Robust'"):
        scaler_from_dict({"type": "Robust"})


def test_accepts_tensors():
    z = StandardScaler().fit_transform(gn.tensor([[1.0], [3.0]]))
    np.testing.assert_allclose(z.ravel(), [-1, 1])


def test_one_dimensional_input_is_one_feature():
    scaler = MinMaxScaler().fit(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(scaler.transform(np.array([2.0, 5.0])), [0.5, 2.0])
    with pytest.raises(ShapeError, match=r"Got x.shape=\(2, 2\); expected \(N,\)"):
        scaler.transform(np.ones((2, 2)))
    with pytest.raises(DataError, match=r"column 0 holds a non-finite value. Got x\[1\] → nan"):
        StandardScaler().fit(np.array([1.0, np.nan]))
