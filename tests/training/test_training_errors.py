"""Bad input to the training API gets a clear error in the user's terms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.errors import ConfigError, DataError, ShapeError
from glassnet.training.callbacks import DivergenceWarning


def model(optimizer="sgd"):
    net = gn.Sequential([nn.Dense(4, 3, seed=0), nn.ReLU(), nn.Dense(3, 2, seed=1)])
    return net.compile(optimizer, "cross_entropy", ["accuracy"])


X = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
Y = np.arange(20) % 2


def test_feature_mismatch_names_the_layer():
    with pytest.raises(ShapeError, match=r"Dense\(4 → 3\): input has 5 features on its last"):
        model().fit(np.zeros((8, 5)), np.zeros(8, int), verbose=0)
    with pytest.raises(ShapeError, match=r"hint: add Flatten\(\) before this layer"):
        model().predict(np.zeros((2, 2, 2)))


def test_design_example_unflattened_images_into_dense():
    net = gn.Sequential([nn.Dense(784, 128), nn.ReLU(), nn.Dense(128, 10)])
    net.compile("adam", "cross_entropy")
    expected = (
        "Dense(784 → 128): input has 28 features on its last axis, expected 784. "
        "Got x.shape=(32, 28, 28).\n  hint: add Flatten() before this layer"
    )
    with pytest.raises(ShapeError) as caught:
        net.fit(np.zeros((32, 28, 28), np.uint8), np.zeros(32, int), verbose=0)
    assert str(caught.value) == expected


def test_fit_and_evaluate_before_compile():
    net = gn.Sequential([nn.Dense(4, 2)])
    with pytest.raises(ConfigError, match=r"fit: the model is not compiled.*\n  hint: call"):
        net.fit(X, Y)
    with pytest.raises(ConfigError, match="evaluate: the model is not compiled"):
        net.evaluate(X, Y)


def test_compile_needs_a_loss_and_known_names():
    with pytest.raises(ConfigError, match="compile: a loss is required"):
        gn.Sequential([nn.Dense(4, 2)]).compile("adam")
    with pytest.raises(ConfigError, match="unknown metric 'acuracy'"):
        gn.Sequential([nn.Dense(4, 2)]).compile("adam", "mse", ["acuracy"])
    with pytest.raises(
        ConfigError,
        match=r"metric names must be unique and not 'loss'. Got \['mae', 'mae'\]; expected dis",
    ):
        gn.Sequential([nn.Dense(4, 2)]).compile("adam", "mse", ["mae", "mae"])


def test_compile_rejects_an_optimizer_bound_to_another_model():
    other = gn.optim.SGD(gn.Sequential([nn.Dense(4, 2)]).parameters())
    with pytest.raises(ConfigError, match="bound to parameters that are not this model's"):
        gn.Sequential([nn.Dense(4, 2)]).compile(other, "mse")


def test_x_y_length_mismatch():
    with pytest.raises(ShapeError, match=r"x and y have different numbers of samples\. Got len"):
        model().fit(X, Y[:-1], verbose=0)
    with pytest.raises(ShapeError, match="different numbers of samples"):
        model().evaluate(X, Y[:5])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_inputs_and_targets(bad):
    x = X.copy()
    x[3, 1] = bad
    with pytest.raises(DataError, match=r"fit: x holds 1 non-finite values.*index \(3, 1\)"):
        model().fit(x, Y, verbose=0)
    with pytest.raises(DataError, match="predict: x holds 1 non-finite"):
        model().predict(x)
    y = np.zeros((20, 2))
    y[0, 0] = bad
    with pytest.raises(DataError, match="fit: y holds 1 non-finite"):
        model().fit(X, y, verbose=0)


@pytest.mark.parametrize("row", [0, 9_999])  # first and last of the 64 Ki-value chunks
def test_a_non_finite_value_anywhere_in_a_large_input_is_found(row):
    x = np.zeros((10_000, 8), np.float32)  # checked in chunks, without a boolean copy
    x[row, 7] = np.nan
    with pytest.raises(DataError, match=rf"fit: x holds 1 non-finite values.*\({row}, 7\)"):
        gn.Sequential([gn.nn.Dense(8, 2, seed=0)]).compile(loss="mse").fit(
            x, np.zeros((10_000, 2), np.float32), verbose=0
        )


def test_validation_data_is_checked_like_x_and_y():
    x_val = X[:5].copy()
    x_val[2, 0] = np.nan
    with pytest.raises(DataError, match=r"fit \(validation_data\): x holds 1 non-finite"):
        model().fit(X, Y, validation_data=(x_val, Y[:5]), verbose=0)
    with pytest.raises(
        ShapeError, match=r"fit \(validation_data\): x and y have different numbers of samples"
    ):
        model().fit(X, Y, validation_data=(X[:5], Y[:4]), verbose=0)


def test_non_numeric_scalar_and_empty_inputs():
    with pytest.raises(gn.DTypeError, match="predict: x must be numeric"):
        model().predict(np.array([["a"] * 4]))
    with pytest.raises(ShapeError, match=r"fit: y must have a batch axis. Got a scalar"):
        model().fit(X, 1, verbose=0)
    with pytest.raises(DataError, match=r"evaluate: there are no samples. Got len\(x\)=0"):
        model().evaluate(np.zeros((0, 4)), np.zeros(0, int))


@pytest.mark.parametrize("lr", [0, -0.1])
def test_learning_rate_must_be_positive(lr):
    with pytest.raises(ConfigError, match="lr must be a positive number"):
        model(gn.optim.SGD(lr=lr))


@pytest.mark.parametrize(
    "settings, pattern",
    [
        ({"batch_size": 0}, "batch_size must be a positive int or None"),
        ({"batch_size": -4}, "batch_size must be a positive int or None"),
        ({"batch_size": 2.5}, "batch_size must be a positive int or None"),
        ({"epochs": -1}, r"epochs must be an int ≥ 0\. Got -1"),
        ({"validation_split": 1.0}, r"validation_split must be in \[0, 1\)"),
        ({"validation_split": 0.99}, "validation_split=0.99 leaves an empty set"),
        ({"verbose": 3}, "verbose must be 0, 1 or 2"),
        ({"validation_data": X}, "validation_data must be a pair"),
        ({"callbacks": [print]}, "every callback must be a glassnet Callback"),
    ],
)
def test_bad_fit_settings_raise_config_error(settings, pattern):
    with pytest.raises(ConfigError, match=pattern):
        model().fit(X, Y, **{"verbose": 0, **settings})


def test_predict_batch_size_and_freeze_arguments():
    with pytest.raises(ConfigError, match="predict: batch_size must be a positive int"):
        model().predict(X, batch_size=0)
    with pytest.raises(ConfigError, match="freeze: up_to must be a layer count"):
        model().freeze(up_to=9)


def diverging_fit(**kwargs):
    """Linear regression with a learning rate far above 2/λ_max: every step overshoots."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32) * 10
    y = x @ np.array([[1.0], [2.0], [3.0]], np.float32)
    net = gn.Sequential([nn.Dense(3, 1, seed=0)]).compile(gn.optim.SGD(lr=5.0), "mse")
    return net, net.fit(x, y, epochs=20, batch_size=8, verbose=0, **kwargs)


def test_a_diverging_run_stops_and_blames_the_learning_rate():
    with pytest.warns(DivergenceWarning, match=r"training diverged: the loss became (inf|nan)"):
        net, history = diverging_fit()
    assert history.stopped_early and len(history.epoch) < 20
    assert "lr=5.0" in history.diverged and "try lr=0.5" in history.diverged
    assert "epoch 1, batch" in history.diverged and "of 8" in history.diverged
    assert not np.isfinite(history.batch_loss[-1])
    assert np.isfinite(history.batch_loss[:-1]).all()


def test_nan_weights_never_replace_a_good_checkpoint(tmp_path):
    path = tmp_path / "best.gn"

    class PoisonSecondEpoch(gn.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model[0].w.data[:] = np.nan

    net = model()
    checkpoint = gn.callbacks.ModelCheckpoint(path, monitor="loss")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.fit(X, Y, epochs=1, verbose=0, callbacks=[checkpoint])
        good = net.state_dict()
        net.fit(X, Y, epochs=2, verbose=0, callbacks=[PoisonSecondEpoch(), checkpoint])
    assert any("non-finite weights" in str(w.message) for w in caught)
    saved = gn.load_model(path).state_dict()
    assert all(np.isfinite(v).all() for v in saved.values())
    assert not np.array_equal(saved["0.w"], good["0.w"])  # epoch 1 of the 2nd fit was saved


def test_checkpoint_skips_an_epoch_whose_loss_is_not_finite(tmp_path):
    path = tmp_path / "last.gn"
    with pytest.warns(DivergenceWarning):
        diverging_fit(callbacks=[gn.callbacks.ModelCheckpoint(path, monitor="loss")])
    assert not path.exists() or all(
        np.isfinite(v).all() for v in gn.load_model(path).state_dict().values()
    )
