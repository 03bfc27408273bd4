"""Callbacks: EarlyStopping, ModelCheckpoint, CSVLogger, LearningRateScheduler, progress."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pytest
from rich.console import Console

import glassnet as gn
from glassnet import nn
from glassnet.errors import ConfigError
from glassnet.training.progress import ProgressBar

X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64)


def model():
    net = gn.Sequential([nn.Dense(4, 6, seed=0), nn.Tanh(), nn.Dense(6, 2, seed=1)])
    return net.compile(gn.optim.SGD(lr=0.1), "cross_entropy", ["accuracy"])


def scripted(callback, values, monitor="val_loss"):
    """Feed a callback epochs whose monitored value follows ``values``; weights mark epochs."""
    net = model()
    callback.set_model(net)
    callback.set_params({"epochs": len(values), "steps": 1})
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        net[0].b.data[:] = epoch
        callback.on_epoch_end(epoch, {monitor: value})
        if net.stop_training:
            break
    callback.on_train_end()
    return net, epoch


def test_early_stopping_waits_patience_epochs_without_improvement():
    stop = gn.callbacks.EarlyStopping(patience=2)
    net, last = scripted(stop, [1.0, 0.8, 0.9, 0.85, 0.7])
    assert last == 3 and stop.stopped_epoch == 3 and stop.best == 0.8 and stop.best_epoch == 1


def test_early_stopping_min_delta_and_max_mode():
    stop = gn.callbacks.EarlyStopping(monitor="val_accuracy", patience=0, min_delta=0.05)
    _, last = scripted(stop, [0.5, 0.6, 0.62, 0.9], monitor="val_accuracy")
    assert last == 2 and stop.best == 0.6  # +0.02 is not an improvement beyond min_delta


def test_restore_best_weights_when_stopping_and_when_running_out_of_epochs():
    stop = gn.callbacks.EarlyStopping(patience=1, restore_best_weights=True)
    net, _ = scripted(stop, [3, 1, 2, 2])
    assert net[0].b.data[0] == 1  # stopped at epoch 3, restored epoch 1
    net, last = scripted(
        gn.callbacks.EarlyStopping(patience=5, restore_best_weights=True), [3, 1, 2, 2]
    )
    assert last == 3 and not net.stop_training and net[0].b.data[0] == 1


def test_early_stopping_in_fit_and_unknown_monitor():
    history = model().fit(
        X, Y, epochs=50, verbose=0, callbacks=[gn.callbacks.EarlyStopping("loss", min_delta=1.0)]
    )
    assert history.epoch == [0, 1] and history.stopped_early
    with pytest.raises(ConfigError, match=r"the monitored value 'val_loss' is not in the logs"):
        model().fit(X, Y, verbose=0, callbacks=[gn.callbacks.EarlyStopping()])


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"patience": -1}, "patience must be an int ≥ 0"),
        ({"patience": False}, "patience must be an int ≥ 0. Got False"),
        ({"min_delta": -0.1}, "min_delta must be a non-negative number. Got -0.1"),
        ({"min_delta": float("nan")}, "min_delta must be a non-negative number. Got nan"),
        ({"min_delta": "0.1"}, "min_delta must be a non-negative number. Got '0.1'"),
        ({"mode": "lowest"}, "EarlyStopping: unknown mode"),
    ],
)
def test_early_stopping_settings(kwargs, pattern):
    with pytest.raises(ConfigError, match=pattern):
        gn.callbacks.EarlyStopping(**kwargs)


def test_model_checkpoint_best_only_saves_on_improvement(tmp_path):
    path = str(tmp_path / "ckpt-{epoch}.gn")
    scripted(gn.callbacks.ModelCheckpoint(path, save_best_only=True), [1.0, 0.5, 0.7, 0.4])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-1.gn", "ckpt-2.gn", "ckpt-4.gn"]
    assert gn.load_model(tmp_path / "ckpt-4.gn")[0].b.data[0] == 3


def test_model_checkpoint_best_only_never_saves_non_finite_weights(tmp_path):
    path = tmp_path / "best.gn"
    checkpoint = gn.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    net = model()
    checkpoint.set_model(net)
    checkpoint.on_train_begin()
    checkpoint.on_epoch_end(0, {"loss": 0.7, "val_loss": 0.7})
    good = net.state_dict()
    net[0].w.data[0, 0] = np.nan
    with pytest.warns(gn.callbacks.DivergenceWarning, match="epoch 2 has non-finite weights"):
        checkpoint.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.5})  # better, but NaN
    with pytest.warns(gn.callbacks.DivergenceWarning, match="was not overwritten"):
        checkpoint.on_epoch_end(2, {"loss": float("nan"), "val_loss": 0.4})
    assert checkpoint.best == 0.7
    saved = gn.load_model(path).state_dict()
    assert all(np.array_equal(saved[k], v) for k, v in good.items())


def test_model_checkpoint_every_epoch_in_fit(tmp_path):
    net = model()
    net.fit(X, Y, epochs=2, verbose=0, callbacks=[gn.callbacks.ModelCheckpoint(tmp_path / "m.gn")])
    np.testing.assert_array_equal(gn.load_model(tmp_path / "m.gn").predict(X), net.predict(X))


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    history = model().fit(
        X, Y, epochs=3, validation_split=0.25, verbose=0, callbacks=[gn.callbacks.CSVLogger(path)]
    )
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    assert float(rows[2]["val_loss"]) == pytest.approx(history["val_loss"][2])


def test_csv_logger_keeps_finished_epochs_when_training_raises(tmp_path):
    path = tmp_path / "log.csv"

    class Crash(gn.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        model().fit(X, Y, epochs=5, verbose=0, callbacks=[gn.callbacks.CSVLogger(path), Crash()])
    assert [int(r["epoch"]) for r in csv.DictReader(path.open())] == [0, 1]
    appended = gn.callbacks.CSVLogger(path, append=True)
    model().fit(X, Y, epochs=1, verbose=0, callbacks=[appended])
    assert [int(r["epoch"]) for r in csv.DictReader(path.open())] == [0, 1, 0]  # one header


def test_learning_rate_scheduler_sets_and_logs_lr():
    net = model()
    schedule = gn.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5**epoch)
    history = net.fit(X, Y, epochs=3, verbose=0, callbacks=[schedule])
    assert history["lr"] == [0.1, 0.05, 0.025] and net.optimizer.lr == 0.025
    one_arg = gn.callbacks.LearningRateScheduler(lambda epoch: 0.2)
    assert model().fit(X, Y, verbose=0, callbacks=[one_arg])["lr"] == [0.2]


def test_learning_rate_scheduler_verbose_prints_each_rate(capsys):
    schedule = gn.callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1), verbose=1)
    model().fit(X, Y, epochs=2, verbose=0, callbacks=[schedule])
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["Epoch 1: learning rate 0.1", "Epoch 2: learning rate 0.05"]


def test_learning_rate_scheduler_rejects_bad_rates():
    bad = gn.callbacks.LearningRateScheduler(lambda epoch, lr: -lr)
    with pytest.raises(ConfigError, match="invalid learning rate for epoch 0. Got -0.1"):
        model().fit(X, Y, verbose=0, callbacks=[bad])
    with pytest.raises(ConfigError, match="schedule must be callable"):
        gn.callbacks.LearningRateScheduler(0.1)


def test_verbose_two_and_non_terminal_verbose_one_print_plain_lines(capsys):
    model().fit(X, Y, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("Epoch 2/2 - ")
    assert " - loss: " in lines[1] and " - accuracy: " in lines[1]
    model().fit(X, Y, epochs=2, verbose=1)  # captured output is not a terminal
    assert capsys.readouterr().out.count("Epoch ") == 2
    model().fit(X, Y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_verbose_one_in_a_terminal_draws_a_progress_bar_per_epoch():
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120)
    net = model()
    bar = ProgressBar(1, console)
    bar.set_model(net)
    bar.set_params({"epochs": 2, "steps": 4})
    bar.on_train_begin()
    for epoch in range(2):
        bar.on_epoch_begin(epoch)
        for step in range(4):
            bar.on_batch_end(step, {"loss": 0.5, "size": 10})
        bar.on_epoch_end(epoch, {"loss": 0.5, "accuracy": 0.75})
    bar.on_train_end()
    text = buffer.getvalue()
    assert "Epoch 1/2" in text and "Epoch 2/2" in text and "4/4" in text
    assert "loss: 0.5000 - accuracy: 0.7500" in text
    assert text.count("\n") == 2  # one line per epoch, redrawn in place (\r + erase line)
    assert "\r\x1b[2K" in text
    assert "-:--:--" in text  # the time-remaining (ETA) column, before the first estimate
    assert re.search(r"\d:\d\d:\d\d", text)  # a time once the epoch is done
