"""Keras habits around fit: loaders and iterables of batches, get/set_weights,
EarlyStopping(baseline, start_from_epoch), ModelCheckpoint(save_weights_only, save_freq),
TerminateOnNaN, predict(verbose), train_test_split(stratify=labels), DataFrame text columns."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ConfigError, DTypeError, ShapeError

X, Y = gn.data.make_gaussians(120, seed=0)


def model(seed=0):
    net = gn.Sequential([gn.nn.Dense(8, activation="relu", seed=seed), gn.nn.Dense(2, seed=1)])
    return net.compile(gn.optim.SGD(learning_rate=0.1), "sparse_categorical_crossentropy")


def test_fit_on_an_unshuffled_loader_equals_fit_on_the_arrays():
    a, b = model(), model()
    loader = gn.data.DataLoader(X, Y, batch_size=16, shuffle=False)
    val = gn.data.DataLoader(X[:40], Y[:40], batch_size=7, shuffle=False)
    ha = a.fit(loader, epochs=3, verbose=0, validation_data=val)
    hb = b.fit(
        X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0, validation_data=(X[:40], Y[:40])
    )
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(ha.history["val_loss"], hb.history["val_loss"], rtol=1e-6)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_fit_on_a_list_of_batches_and_its_errors():
    net = model()
    history = net.fit([(X[:60], Y[:60]), (X[60:], Y[60:])], epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.raises(ConfigError, match=r"fit: batch 1 is not an \(x, y\) pair"):
        net.fit([X], verbose=0)
    with pytest.raises(ConfigError, match="fit: the batches ran out"):
        net.fit(((X, Y) for _ in range(1)), epochs=2, verbose=0)
    with pytest.raises(ConfigError, match="validation_split needs arrays"):
        net.fit(gn.data.DataLoader(X, Y), validation_split=0.2, verbose=0)
    with pytest.raises(ConfigError, match="without y, x must be a DataLoader"):
        net.fit(X, verbose=0)


def test_get_weights_and_set_weights_round_trip_and_check_first():
    a, b = model(0), model(5)
    b.predict(X[:1]), a.predict(X[:1])
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    before = b.get_weights()
    bad = [w.copy() for w in before]
    bad[-1] = np.zeros(3)
    with pytest.raises(ShapeError, match=r"'2.b' has the wrong shape"):
        b.set_weights(bad)
    assert all((u == v).all() for u, v in zip(before, b.get_weights()))  # nothing changed
    with pytest.raises(ConfigError, match=r"set_weights: the number of arrays does not match"):
        b.set_weights(before[:2])


def test_early_stopping_baseline_and_start_from_epoch():
    stop = gn.callbacks.EarlyStopping("loss", patience=2, baseline=1e-9)
    history = model().fit(X, Y, epochs=10, verbose=0, callbacks=[stop])
    assert len(history.history["loss"]) == 2  # improving, but never beating the baseline
    late = gn.callbacks.EarlyStopping("loss", patience=1, baseline=1e-9, start_from_epoch=4)
    history = model().fit(X, Y, epochs=10, verbose=0, callbacks=[late])
    assert len(history.history["loss"]) == 5
    with pytest.raises(ConfigError, match="EarlyStopping: baseline must be a number"):
        gn.callbacks.EarlyStopping(baseline="low")


def test_model_checkpoint_weights_only_every_k_batches(tmp_path):
    path = str(tmp_path / "w-{epoch}-{loss:.3f}.npz")
    saver = gn.callbacks.ModelCheckpoint(path, monitor="loss", save_weights_only=True, save_freq=3)
    net = model()
    net.fit(X, Y, batch_size=40, epochs=2, verbose=0, callbacks=[saver])  # 6 batches: 2 saves
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2
    weights = dict(np.load(files[-1]))
    assert set(weights) == set(net.state_dict())
    fresh = model(9)
    fresh.predict(X[:1])
    fresh.load_state_dict(weights)
    with pytest.raises(ConfigError, match="ModelCheckpoint: save_freq must be"):
        gn.callbacks.ModelCheckpoint(path, save_freq=0)


def test_terminate_on_nan_stops_training():
    net = gn.Sequential([gn.nn.Dense(2, 1)]).compile(gn.optim.SGD(learning_rate=1e6), "mse")
    with pytest.warns(gn.callbacks.DivergenceWarning):
        history = net.fit(
            X * 1e3,
            Y.astype(float),
            epochs=50,
            verbose=0,
            callbacks=[gn.callbacks.TerminateOnNaN()],
        )
    assert history.stopped_early and len(history.history["loss"]) < 50


def test_predict_batch_size_and_verbose(capsys):
    net = model()
    out = net.predict(X, batch_size=50, verbose=1)
    assert out.shape == (120, 2)
    assert "predict: 120 rows in 3 batches" in capsys.readouterr().out
    with pytest.raises(ConfigError, match="predict: verbose must be 0, 1 or 2"):
        net.predict(X, verbose=3)


def test_train_test_split_takes_the_labels_to_stratify_by():
    y = np.array([0] * 90 + [1] * 10)
    x = np.arange(100.0)[:, None]
    _, _, y_tr, y_te = gn.data.train_test_split(x, y, test_size=0.2, stratify=y)
    assert (y_te == 1).sum() == 2 and (y_tr == 1).sum() == 8
    x_tr, x_te = gn.data.train_test_split(x, test_size=0.2, stratify=y)
    assert ((x_te[:, 0] >= 90).sum(), len(x_tr)) == (2, 80)
    with pytest.raises(ConfigError, match="stratify=labels needs one label per sample"):
        gn.data.train_test_split(x, y, stratify=y[:5])


def test_a_dataframe_text_column_is_named_with_a_one_hot_hint():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"size": [1.0, 2.0, 3.0], "color": pd.Categorical(["r", "g", "r"])})
    with pytest.raises(
        DTypeError,
        match=r"column 'color' holds text or categories.*\n  hint: "
        r"one-hot encode it: pd.get_dummies\(df, columns=\['color'\]\)",
    ):
        model().fit(frame, np.array([0, 1, 0]), verbose=0)
    with pytest.raises(DTypeError, match="column 'color'"):
        gn.data.train_test_split(frame.astype({"color": str}), test_size=1)
    numeric = pd.get_dummies(frame, columns=["color"], dtype=float)
    assert model().predict(numeric.to_numpy()).shape == (3, 2)
