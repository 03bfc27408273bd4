"""Learning-rate schedules and gradient clipping against torch's, in float64."""

import math

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

import glassnet as gn
from glassnet import optim


def _pair(lr=0.1):
    ours = optim.SGD([gn.nn.Parameter(np.zeros(2))], lr=lr)
    theirs = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=lr)
    return ours, theirs


@pytest.mark.parametrize(
    "make_ours, make_theirs",
    [
        (lambda o: optim.StepLR(o, 3, 0.5), lambda t: lr_scheduler.StepLR(t, 3, 0.5)),
        (lambda o: optim.ExponentialLR(o, 0.9), lambda t: lr_scheduler.ExponentialLR(t, 0.9)),
        (
            lambda o: optim.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
            lambda t: lr_scheduler.CosineAnnealingLR(t, T_max=10, eta_min=0.001),
        ),
    ],
    ids=["step", "exponential", "cosine"],
)
def test_epoch_schedules_match_torch(make_ours, make_theirs):
    ours, theirs = _pair()
    schedule, torch_schedule = make_ours(ours), make_theirs(theirs)
    lrs = []
    for _ in range(10):
        theirs.step()
        torch_schedule.step()
        lrs.append(schedule.step())
        assert ours.lr == pytest.approx(theirs.param_groups[0]["lr"], rel=1e-12, abs=1e-15)
    assert len(set(lrs)) > 1


def test_cosine_alias_and_endpoints():
    opt = optim.SGD([gn.nn.Parameter(np.zeros(1))], lr=1.0)
    schedule = optim.CosineAnnealing(opt, T_max=4)
    assert [schedule.step() for _ in range(4)][-1] == pytest.approx(0.0, abs=1e-15)
    assert schedule.lr_at(2) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "settings",
    [
        {"patience": 1},
        {"mode": "max", "factor": 0.5, "patience": 0, "cooldown": 1},
        {"threshold_mode": "abs", "threshold": 0.05, "patience": 2, "min_lr": 0.02},
    ],
    ids=["min_rel", "max_cooldown", "abs_min_lr"],
)
def test_reduce_on_plateau_matches_torch(settings):
    ours, theirs = _pair()
    schedule = optim.ReduceLROnPlateau(ours, **settings)
    torch_schedule = lr_scheduler.ReduceLROnPlateau(theirs, **settings)
    values = [1.0, 0.9, 0.95, 0.91, 0.9, 0.92, 0.5, 0.6, 0.6, 0.6, 0.7, 0.49, 0.49, 0.8]
    seen = []
    for value in values:
        schedule.step(value)
        torch_schedule.step(value)
        seen.append(ours.lr)
        assert ours.lr == pytest.approx(theirs.param_groups[0]["lr"], rel=1e-12)
    assert len(set(seen)) > 1


def test_schedule_state_round_trips():
    opt = optim.SGD([gn.nn.Parameter(np.zeros(1))], lr=1.0)
    schedule = optim.ReduceLROnPlateau(opt, patience=0)
    for value in (3.0, 2.0, 2.5):
        schedule.step(value)
    copy = optim.ReduceLROnPlateau(optim.SGD([gn.nn.Parameter(np.zeros(1))], lr=1.0), patience=0)
    copy.load_state_dict(schedule.state_dict())
    assert (copy.best, copy.bad_epochs, copy.epoch) == (2.0, 0, 3)


def test_schedule_errors():
    opt = optim.SGD([gn.nn.Parameter(np.zeros(1))])
    with pytest.raises(gn.ConfigError, match="first argument must be an optimizer. Got float"):
        optim.StepLR(0.1, 3)
    with pytest.raises(gn.ConfigError, match="step_size must be a positive int. Got 0"):
        optim.StepLR(opt, 0)
    with pytest.raises(gn.ConfigError, match="step_size must be a positive int. Got True"):
        optim.StepLR(opt, True)
    with pytest.raises(gn.ConfigError, match="T_max must be a positive int"):
        optim.CosineAnnealingLR(opt, T_max=2.5)
    with pytest.raises(gn.ConfigError, match="gamma must be a positive number"):
        optim.ExponentialLR(opt, gamma=-1)
    with pytest.raises(gn.ConfigError, match="unknown mode. Got 'up'; expected 'min' or 'max'"):
        optim.ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(gn.ConfigError, match=r"factor must be in \[0, 1\). Got 1.5"):
        optim.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(gn.ConfigError, match=r"factor must be in \(0, 1\)"):
        optim.ReduceLROnPlateau(opt, factor=0.0)
    with pytest.raises(gn.ConfigError, match="patience must be an int ≥ 0. Got -1"):
        optim.ReduceLROnPlateau(opt, patience=-1)
    with pytest.raises(gn.ConfigError, match="cooldown must be an int ≥ 0. Got 1.0"):
        optim.ReduceLROnPlateau(opt, cooldown=1.0)


def _grads(seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s) * 3 for s in [(4, 3), (3,), (2, 5)]]


@pytest.mark.parametrize(
    "max_norm, norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, math.inf), (2.0, 1.0)]
)
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    grads = _grads(0)
    params = [gn.nn.Parameter(np.zeros_like(g)) for g in grads]
    tparams = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, tp, g in zip(params, tparams, grads):
        p.grad, tp.grad = g, torch.tensor(g)
    total = optim.clip_grad_norm(params, max_norm, norm_type)
    torch_total = torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type)
    assert total == pytest.approx(torch_total.item(), rel=1e-12)
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_clipping_replaces_gradients_without_mutating_them():
    grads = _grads(1)
    originals = [g.copy() for g in grads]
    params = [gn.nn.Parameter(np.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g
    params.append(gn.nn.Parameter(np.zeros(2)))  # no gradient: ignored
    optim.clip_grad_norm(params, 0.1)
    optim.clip_grad_value(params, 0.01)
    for g, original in zip(grads, originals):
        np.testing.assert_array_equal(g, original)
    assert max(float(np.abs(p.grad).max()) for p in params[:-1]) <= 0.01
    assert optim.clip_grad_norm([gn.nn.Parameter(np.zeros(2))], 1.0) == 0.0


def test_clip_errors():
    with pytest.raises(gn.ConfigError, match="max_norm must be a positive number. Got 0"):
        optim.clip_grad_norm([], 0)
    with pytest.raises(gn.ConfigError, match="norm_type must be > 0 or inf. Got -1"):
        optim.clip_grad_norm([], 1.0, -1)
    with pytest.raises(gn.ConfigError, match="clip_value must be a positive number"):
        optim.clip_grad_value([], -0.5)
