"""Learning-rate schedules and gradient clipping inside Model.fit, as Keras users expect."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.1).astype(np.float32)


def _model(optimizer, seed=0):
    model = gn.Sequential([gn.nn.Dense(3, 4, seed=seed), gn.nn.Tanh(), gn.nn.Dense(4, 1, seed=1)])
    return model.compile(optimizer=optimizer, loss="mse")


def test_a_glassnet_schedule_steps_once_per_epoch_and_logs_the_rate_used():
    opt = gn.optim.SGD(lr=0.1)
    schedule = gn.optim.StepLR(opt, step_size=2, gamma=0.5)
    model = _model(opt)
    history = model.fit(
        *_data(),
        epochs=5,
        batch_size=16,
        verbose=0,
        callbacks=[gn.callbacks.LearningRateScheduler(schedule)],
    )
    assert history.history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert opt.lr == pytest.approx(0.025)  # after 5 steps: 0.1 · 0.5^⌊5/2⌋


def test_a_schedule_of_another_optimizer_is_refused():
    schedule = gn.optim.ExponentialLR(gn.optim.SGD(lr=0.1), gamma=0.9)
    model = _model(gn.optim.SGD(lr=0.1))
    with pytest.raises(gn.ConfigError, match="the schedule drives another optimizer"):
        model.fit(
            *_data(), epochs=1, verbose=0, callbacks=[gn.callbacks.LearningRateScheduler(schedule)]
        )


def test_reduce_on_plateau_lowers_the_rate_after_patience_bad_epochs():
    model = _model(gn.optim.SGD(lr=0.05))
    callback = gn.callbacks.ReduceLROnPlateau(
        monitor="loss", factor=0.5, patience=1, min_delta=10.0
    )  # nothing counts as better
    history = model.fit(*_data(), epochs=5, batch_size=64, verbose=0, callbacks=[callback])
    # epoch 1 sets the best; epochs 2, 3 are bad → drop after epoch 3; then 4, 5 → drop
    assert history.history["lr"] == pytest.approx([0.05, 0.05, 0.05, 0.025, 0.025])
    assert model.optimizer.lr == pytest.approx(0.0125)


def test_reduce_on_plateau_matches_torch_on_a_given_sequence():
    values = [1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7, 0.8, 0.9]
    model = _model(gn.optim.SGD(lr=1.0))
    callback = gn.callbacks.ReduceLROnPlateau(
        monitor="loss", factor=0.3, patience=2, min_delta=0.01, cooldown=1
    )
    callback.set_model(model)
    callback.on_train_begin()
    p = torch.nn.Parameter(torch.zeros(1))
    topt = torch.optim.SGD([p], lr=1.0)
    twin = torch.optim.lr_scheduler.ReduceLROnPlateau(
        topt, factor=0.3, patience=2, threshold=0.01, threshold_mode="abs", cooldown=1
    )
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {"loss": value})
        twin.step(value)
        assert model.optimizer.lr == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12)


def test_reduce_on_plateau_validates_its_settings_at_construction():
    with pytest.raises(gn.ConfigError, match="ReduceLROnPlateau: unknown mode"):
        gn.callbacks.ReduceLROnPlateau(mode="up")
    with pytest.raises(gn.ConfigError, match="factor"):
        gn.callbacks.ReduceLROnPlateau(factor=1.5)
    with pytest.raises(gn.ConfigError, match="patience"):
        gn.callbacks.ReduceLROnPlateau(patience=-1)


def test_reduce_on_plateau_names_a_missing_monitored_value():
    model = _model(gn.optim.SGD(lr=0.05))
    with pytest.raises(gn.ConfigError, match="the monitored value 'val_loss' is not in the logs"):
        model.fit(*_data(), epochs=1, verbose=0, callbacks=[gn.callbacks.ReduceLROnPlateau()])


def test_clipnorm_rescales_the_global_gradient_norm_like_torch():
    x, y = _data(16)
    model = _model(gn.optim.SGD(lr=0.1, clipnorm=0.5))
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    with torch.no_grad():
        for layer, mine in zip((twin[0], twin[2]), (model[0], model[2])):
            layer.weight.copy_(torch.from_numpy(mine.w.data.T.copy()))
            layer.bias.copy_(torch.from_numpy(mine.b.data.copy()))
    topt = torch.optim.SGD(twin.parameters(), lr=0.1)
    for _ in range(3):
        model.train_step(x, y)
        topt.zero_grad()
        torch.nn.functional.mse_loss(twin(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        torch.nn.utils.clip_grad_norm_(twin.parameters(), 0.5)
        topt.step()
    np.testing.assert_allclose(model[0].w.data, twin[0].weight.detach().numpy().T, atol=1e-6)
    np.testing.assert_allclose(model[2].b.data, twin[2].bias.detach().numpy(), atol=1e-6)


def test_clipnorm_is_validated_and_saved_with_the_optimizer(tmp_path):
    with pytest.raises(gn.ConfigError, match="Adam: clipnorm"):
        gn.optim.Adam(clipnorm=0)
    model = _model(gn.optim.Adam(lr=0.01, clipnorm=1.0))
    model.fit(*_data(), epochs=1, verbose=0)
    model.save(tmp_path / "m.gn")
    assert gn.load_model(tmp_path / "m.gn").optimizer.clipnorm == 1.0
