"""Monitored quantities: the direction comes from the metric or loss, never from its name;
EarlyStopping, ModelCheckpoint and the one ReduceLROnPlateau share the Monitor base."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import monitor, nn
from glassnet.errors import ConfigError


def score(y_true, y_pred):
    """A custom metric whose name says nothing about its direction."""
    return float(np.mean(np.asarray(y_pred).argmax(axis=1) == y_true))


score.higher_is_better = True


def penalty(y_true, y_pred):
    return float(np.mean(np.abs(y_pred)))


def net(metrics):
    model = gn.Sequential([nn.Dense(2, 3, seed=0)])
    return model.compile(gn.optim.SGD(lr=0.1), "cross_entropy", metrics)


def stopped_at(callback, model, key, values):
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {key: value})
        if model.stop_training:
            return epoch
    return None


def test_metrics_and_losses_declare_their_direction():
    metrics = gn.training.metrics
    assert metrics.get("accuracy").higher_is_better and metrics.get("r2").higher_is_better
    assert metrics.get("top_3_accuracy").higher_is_better
    assert not any(metrics.get(n).higher_is_better for n in ("mae", "mse", "rmse"))
    assert not gn.losses.get("mse").higher_is_better
    assert metrics.get(score).higher_is_better and not metrics.get(penalty).higher_is_better


@pytest.mark.parametrize(
    "key, values, stop",
    [
        ("val_score", [0.5, 0.6, 0.7, 0.65], 3),  # declared higher-is-better: rises improve
        ("val_penalty", [0.5, 0.6], 1),  # undeclared custom metric: lower is better
        ("val_loss", [0.5, 0.4, 0.45], 2),
    ],
)
def test_auto_mode_reads_the_direction_from_the_compiled_metric(key, values, stop):
    model = net([score, penalty])
    assert stopped_at(gn.callbacks.EarlyStopping(monitor=key), model, key, values) == stop


def test_auto_mode_refuses_a_quantity_nothing_declares():
    model = net([score])
    with pytest.raises(ConfigError, match=r"(?s)mode='auto' cannot tell whether 'val_acc'.*hint"):
        stopped_at(gn.callbacks.EarlyStopping(monitor="val_acc"), model, "val_acc", [0.1])
    explicit = gn.callbacks.EarlyStopping(monitor="val_acc", mode="max")
    assert stopped_at(explicit, net([score]), "val_acc", [0.1, 0.2, 0.1]) == 2


def test_checkpoint_keeps_the_best_in_the_declared_direction(tmp_path):
    model = net([score])
    checkpoint = gn.callbacks.ModelCheckpoint(
        tmp_path / "best-{epoch}.gn", monitor="score", save_best_only=True
    )
    stopped_at(checkpoint, model, "score", [0.2, 0.5, 0.4])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best-1.gn", "best-2.gn"]
    assert checkpoint.best == 0.5


def test_there_is_one_reduce_lr_on_plateau_class_under_every_import_path():
    from glassnet.optim.schedules import ReduceLROnPlateau as from_schedules
    from glassnet.training.lr_callbacks import ReduceLROnPlateau as from_lr_callbacks

    one = gn.optim.ReduceLROnPlateau
    assert one is gn.callbacks.ReduceLROnPlateau is from_schedules is from_lr_callbacks
    for cls in (one, gn.callbacks.EarlyStopping, gn.callbacks.ModelCheckpoint):
        assert issubclass(cls, monitor.Monitor) and issubclass(cls, gn.callbacks.Callback)


def test_reduce_lr_on_plateau_reads_a_string_first_argument_as_monitor():
    callback = gn.callbacks.ReduceLROnPlateau("val_score", factor=0.5, patience=0)
    model = net([score])
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate([0.5, 0.7, 0.6]):  # rises improve: only the last is bad
        callback.on_epoch_end(epoch, {"val_score": value})
    assert callback.monitor == "val_score" and model.optimizer.lr == pytest.approx(0.05)


def test_monitor_settings_are_validated():
    with pytest.raises(ConfigError, match="EarlyStopping: monitor must be a log key. Got 3"):
        gn.callbacks.EarlyStopping(monitor=3)
    with pytest.raises(ConfigError, match="unknown threshold_mode. Got 'pct'"):
        gn.optim.ReduceLROnPlateau(threshold_mode="pct")
