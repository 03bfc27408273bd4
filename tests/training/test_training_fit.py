"""Model.compile / fit / evaluate / predict / summary / freeze on small synthetic data."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn


def blobs(n=120, seed=0):
    """Three separable classes in 4 features."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(0, 0.5, (n, 4)).astype(np.float32) + np.eye(3, 4, dtype=np.float32)[y] * 3
    return x, y


def mlp(seed=0, dropout=0.0):
    layers = [nn.Dense(4, 8, seed=seed), nn.ReLU()]
    layers += [nn.Dropout(dropout)] if dropout else []
    return gn.Sequential([*layers, nn.Dense(8, 3, seed=seed + 1)])


def compiled(seed=0, dropout=0.0, optimizer="adam"):
    model = mlp(seed, dropout)
    return model.compile(optimizer, "cross_entropy", metrics=["accuracy"])


def test_fit_returns_history_with_epoch_and_batch_records():
    x, y = blobs()
    history = compiled().fit(x, y, epochs=3, batch_size=25, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert history.batch_size == [25, 25, 25, 15] * 3  # 90 training rows
    assert len(history.batch_loss) == 12
    assert history["loss"][-1] < history["loss"][0]
    assert history.diverged is None and not history.stopped_early
    assert history.params == {
        "epochs": 3,
        "steps": 4,
        "samples": 90,
        "batch_size": 25,
        "verbose": 0,
    }


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    x, y = blobs(50)
    history = compiled().fit(x, y, epochs=1, batch_size=20, verbose=0)
    weighted = np.dot(history.batch_loss, history.batch_size) / 50
    assert history["loss"][0] == pytest.approx(weighted, rel=1e-12)


@pytest.mark.parametrize("batch_size, updates", [(None, 1), (1, 40), (16, 3)])
def test_batch_size_none_is_full_batch_and_one_is_sgd(batch_size, updates):
    x, y = blobs(40)
    history = compiled().fit(x, y, epochs=2, batch_size=batch_size, verbose=0)
    assert len(history.batch_loss) == 2 * updates


def test_full_batch_step_matches_the_gradient_descent_formula():
    """One epoch of GD on MSE: w ← w − lr · (2/N) xᵀ(xw + b − y), b likewise."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(10, 3)), rng.normal(size=(10, 1))
    model = gn.Sequential([nn.Dense(3, 1, seed=0, dtype=np.float64)])
    w0, b0 = model[0].w.data.copy(), model[0].b.data.copy()
    model.compile(gn.optim.SGD(lr=0.1), "mse").fit(x, y, batch_size=None, verbose=0)
    error = x @ w0 + b0 - y
    np.testing.assert_allclose(model[0].w.data, w0 - 0.1 * 2 / 10 * x.T @ error, rtol=1e-12)
    np.testing.assert_allclose(model[0].b.data, b0 - 0.1 * 2 / 10 * error.sum(0), rtol=1e-12)


def test_same_seed_gives_the_same_history_bit_for_bit():
    x, y = blobs()
    runs = [
        compiled(dropout=0.3).fit(x, y, epochs=3, validation_split=0.2, verbose=0, seed=7)
        for _ in range(2)
    ]
    assert runs[0].history == runs[1].history
    assert runs[0].batch_loss == runs[1].batch_loss
    other = compiled(dropout=0.3).fit(x, y, epochs=3, validation_split=0.2, verbose=0, seed=8)
    assert other.batch_loss != runs[0].batch_loss


def test_shuffle_false_keeps_row_order():
    x, y = blobs(30)
    a = compiled().fit(x, y, epochs=2, batch_size=10, shuffle=False, verbose=0, seed=1)
    b = compiled().fit(x, y, epochs=2, batch_size=10, shuffle=False, verbose=0, seed=2)
    assert a.batch_loss == b.batch_loss


def test_validation_split_holds_out_the_last_rows():
    x, y = blobs(40)
    model = compiled()
    history = model.fit(x, y, epochs=1, validation_split=0.25, verbose=0)
    assert history["val_loss"][0] == pytest.approx(model.evaluate(x[30:], y[30:])["loss"])


def test_validation_data_is_used_as_given():
    x, y = blobs(40)
    model = compiled()
    history = model.fit(x[:30], y[:30], validation_data=(x[30:], y[30:]), verbose=0)
    assert history["val_accuracy"][0] == model.evaluate(x[30:], y[30:])["accuracy"]


def test_predict_works_before_compile_without_graph_in_batches():
    x, _ = blobs(50)
    model = mlp(dropout=0.5)
    whole, parts = model.predict(x), model.predict(x, batch_size=7)
    assert isinstance(whole, np.ndarray) and whole.shape == (50, 3)
    np.testing.assert_allclose(whole, parts, rtol=1e-5, atol=1e-6)  # dropout off
    assert model.training  # the mode is restored
    assert all(p.grad is None for p in model.parameters())


def test_predict_on_zero_rows_gives_zero_rows_of_outputs():
    assert mlp().predict(np.zeros((0, 4), np.float32)).shape == (0, 3)
    cnn = gn.Sequential([nn.Conv2D(1, 2, 3), nn.MaxPool2D(2), nn.Flatten(), nn.Dense(8, 3)])
    assert cnn.predict(np.zeros((0, 1, 6, 6), np.float32)).shape == (0, 3)


def test_evaluate_returns_loss_and_metrics():
    x, y = blobs()
    model = compiled(optimizer=gn.optim.Adam(lr=0.05))
    model.fit(x, y, epochs=10, verbose=0, seed=0)
    scores = model.evaluate(x, y)
    assert set(scores) == {"loss", "accuracy"}
    assert scores["accuracy"] == np.mean(model.predict(x).argmax(1) == y)
    assert scores["accuracy"] > 0.9


def test_callback_can_stop_training_mid_epoch():
    class StopAfterTwoBatches(gn.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            self.model.stop_training = batch == 1

    x, y = blobs(100)
    history = compiled().fit(
        x, y, epochs=5, batch_size=10, callbacks=[StopAfterTwoBatches()], verbose=0
    )
    assert len(history.batch_loss) == 2 and history.epoch == [0] and history.stopped_early


def test_epochs_zero_trains_nothing():
    x, y = blobs(20)
    model = compiled()
    before = model.state_dict()
    history = model.fit(x, y, epochs=0, verbose=0)
    assert history.history == {} and all(
        np.array_equal(before[k], v) for k, v in model.state_dict().items()
    )


def test_freeze_keeps_the_first_layers_fixed_and_summary_counts_them():
    x, y = blobs()
    model = compiled().freeze(up_to=2)
    w_first, w_last = model[0].w.data.copy(), model[2].w.data.copy()
    model.fit(x, y, epochs=2, verbose=0)
    np.testing.assert_array_equal(model[0].w.data, w_first)
    assert not np.array_equal(model[2].w.data, w_last)
    assert model.count_params(trainable=False) == 40 and model.count_params(trainable=True) == 27
    text = model.summary()
    assert "Frozen params: 40" in text and "Trainable params: 27" in text
    assert "Dense(4 → 8)  (None, 8)" in text.replace("   ", "  ")
    model.unfreeze()
    assert model.count_params(trainable=True) == 67


def test_summary_lists_layers_shapes_params_and_trainable():
    model = mlp(dropout=0.2)
    lines = model.summary().splitlines()
    assert lines[0] == "Model: Sequential"
    assert lines[1].split() == ["Layer", "Output", "shape", "Params", "Trainable"]
    rows = [line.split() for line in lines[3:7]]
    assert rows[0] == ["0", "Dense(4", "→", "8)", "(None,", "8)", "40", "yes"]
    assert rows[2][:2] == ["2", "Dropout(p=0.2)"] and rows[2][-2:] == ["0", "-"]
    assert rows[3][-2:] == ["27", "yes"]
    assert "Total params: 67" in lines


def test_summary_of_a_subclassed_model_shows_unknown_shapes():
    class Net(gn.Model):
        def __init__(self):
            super().__init__()
            self.hidden, self.out = nn.Dense(4, 5), nn.Dense(5, 3)

        def forward(self, x):
            return self.out(self.hidden(x).relu())

    net = Net()
    assert "hidden  Dense(4 → 5)  ?" in net.summary()
    x, y = blobs(30)
    net.compile("sgd", "cross_entropy").fit(x, y, verbose=0)
    assert net.predict(x).shape == (30, 3)


def test_a_single_metric_may_be_given_without_a_list():
    model = mlp().compile("sgd", "cross_entropy", metrics="accuracy")
    assert [m.name for m in model.metrics] == ["accuracy"]


def test_binary_accuracy_threshold_follows_the_loss():
    x = np.array([[-2.0], [-1.0], [1.0], [2.0]], np.float32)
    y = np.array([0.0, 0.0, 1.0, 1.0], np.float32)
    model = gn.Sequential([nn.Dense(1, 1, init="zeros")])
    model[0].w.data[:] = 1.0  # output = x: negative logits for class 0
    model.compile("sgd", gn.losses.BinaryCrossEntropy(from_logits=True), ["accuracy"])
    assert model.evaluate(x, y)["accuracy"] == 1.0


def test_fit_seed_lends_dropout_a_stream_and_gives_its_own_back_unadvanced():
    x, y = blobs()
    model = compiled(dropout=0.3)
    dropout = model[2]
    own = dropout.rng
    before = own.bit_generator.state
    first = model.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=3).history
    assert dropout.rng is own and own.bit_generator.state == before
    # the same seed from the same weights and streams replays the run bit for bit
    again = compiled(dropout=0.3).fit(x, y, epochs=2, batch_size=16, verbose=0, seed=3)
    assert again.history == first
    # without a seed the layer's own stream is used and advances
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert dropout.rng is own and own.bit_generator.state != before


def test_fit_seed_restores_the_streams_when_training_raises():
    x, y = blobs()
    model = compiled(dropout=0.3)
    own = model[2].rng

    class Boom(gn.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        model.fit(x, y, epochs=1, verbose=0, seed=5, callbacks=[Boom()])
    assert model[2].rng is own
