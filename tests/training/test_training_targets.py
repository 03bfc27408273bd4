"""fit checks all of x and y against the model before the first update; odd inputs get a
glassnet error, never NumPy's or a silently wrong run."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.errors import ConfigError, DataError, ShapeError

X = np.random.default_rng(0).normal(size=(3000, 2)).astype(np.float32)


def classifier(optimizer="adam"):
    net = gn.Sequential([nn.Dense(2, 8, seed=0), nn.ReLU(), nn.Dense(8, 3, seed=1)])
    return net.compile(optimizer, "cross_entropy", ["accuracy"])


def untouched(net, before) -> bool:
    return all(np.array_equal(v, before[k]) for k, v in net.state_dict().items())


@pytest.mark.parametrize("label", [3, 100_000, 2_000_000_000, -1])
def test_a_bad_label_in_batch_60_stops_fit_before_any_update(label):
    y = np.arange(3000) % 3
    y[1917] = label  # batch 60 of 32 rows
    net = classifier()
    before = net.state_dict()
    with pytest.raises(
        ShapeError,
        match=r"(?s)fit: target y\[1917\] does not suit the model's output \(3,\) and its loss; "
        r"nothing was trained\.\nCrossEntropy: labels must lie in \[0, 3\)",
    ):
        net.fit(X, y, epochs=1, batch_size=32, verbose=0)
    assert untouched(net, before)


def test_labels_are_checked_against_the_output_not_the_data():
    y = np.arange(3000) % 2  # two classes in the data, three outputs: fine
    assert classifier().fit(X, y, epochs=1, batch_size=256, verbose=0).diverged is None
    wide = np.eye(4)[np.arange(3000) % 4]  # one-hot rows for 4 classes against 3 outputs
    with pytest.raises(ShapeError, match=r"target y\[0\] .*\n.*one-hot targets have 4 columns"):
        classifier().fit(X, wide, verbose=0)


def test_validation_targets_are_checked_too():
    y = np.arange(3000) % 3
    with pytest.raises(ShapeError, match=r"fit \(validation\): target y\[3\] does not suit"):
        classifier().fit(X, y, validation_data=(X[:5], np.array([0, 1, 2, 9, 0])), verbose=0)
    y_split = y.copy()
    y_split[-1] = 7  # in the rows validation_split holds out
    with pytest.raises(ShapeError, match=r"fit \(validation\): target y\[599\]"):
        classifier().fit(X, y_split, validation_split=0.2, verbose=0)


def test_bce_targets_outside_0_1_anywhere_are_refused_before_training():
    net = gn.Sequential([nn.Dense(2, 1, seed=0), nn.Sigmoid()]).compile("sgd", "bce")
    y = (np.arange(3000) % 2).astype(np.float32)
    y[2999] = 2.0
    with pytest.raises(ShapeError, match=r"target y\[2999\].*\n.*targets must be probabilities"):
        net.fit(X, y, batch_size=32, verbose=0)


def test_ragged_lists_are_a_data_error():
    with pytest.raises(DataError, match=r"fit: x is a ragged list: its rows do not all have"):
        classifier().fit([[1.0, 2.0], [3.0]], [0, 1], verbose=0)
    with pytest.raises(DataError, match=r"fit: y is a ragged list"):
        classifier().fit([[1.0, 2.0], [3.0, 4.0]], [[0], [1, 2]], verbose=0)
    with pytest.raises(DataError, match=r"predict: x is a ragged list"):
        classifier().predict([[1.0, 2.0], [3.0]])


def test_finite_float64_values_that_overflow_float32_are_named_as_such():
    x = X[:10].astype(np.float64)
    x[4, 1] = 1e39
    with pytest.raises(
        DataError,
        match=r"fit: x holds 1 values that overflow float32 \(the model computes in float32\)\. "
        r"Got 1e\+39 at index \(4, 1\)",
    ):
        classifier().fit(x, np.zeros(10, int), verbose=0)
    regressor = gn.Sequential([nn.Dense(2, 1, seed=0)]).compile("sgd", "mse")
    with pytest.raises(DataError, match=r"fit: y holds 2 values that overflow float32"):
        regressor.fit(X[:10], np.array([0.0] * 8 + [1e39, -1e39]), verbose=0)
    with pytest.raises(DataError, match=r"evaluate: y holds 1 values that overflow"):
        regressor.evaluate(X[:2], np.array([0.0, 5e38]))
    wide = gn.Sequential([nn.Dense(2, 1, seed=0, dtype=np.float64)]).compile("sgd", "mse")
    with np.errstate(all="ignore"):
        history = wide.fit(x, np.zeros(10), epochs=1, verbose=0)  # float64 holds 1e39
    assert len(history.epoch) == 1


def test_a_negative_seed_is_a_config_error():
    y = np.arange(3000) % 3
    with pytest.raises(ConfigError, match=r"seed: a seed must not be negative. Got -1"):
        classifier().fit(X, y, seed=-1, verbose=0)
    with pytest.raises(ConfigError, match=r"a seed must not be negative. Got -5"):
        nn.Dense(2, 3, seed=-5)
