"""gn.check_gradients: float64 central differences per parameter tensor; a planted wrong
backward is caught and its worst weight explained."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


class Cube(gn.Function):
    """A custom op with a deliberately wrong backward.

    Forward:   y = x³
    Backward:  dL/dx = dL/dy ⊙ 2x²   (wrong on purpose: the slope of x³ is 3x²)
    """

    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, grad_y):
        return (grad_y * 2 * self.x**2,)


class CubeLayer(gn.nn.Module):
    def forward(self, x):
        return Cube.apply(gn.as_tensor(x))


def mlp(seed=0, middle=None):
    layers = [
        gn.nn.Dense(3, 4, seed=seed),
        middle or gn.nn.Tanh(),
        gn.nn.Dense(4, 2, seed=seed + 1),
    ]
    return gn.Sequential(layers)


def data(rng):
    return rng.normal(size=(5, 3)), rng.normal(size=(5, 2))


def test_a_correct_model_passes_with_a_row_per_tensor(rng, capsys):
    x, y = data(rng)
    report = gn.check_gradients(mlp(), x, y)
    assert report.ok
    assert [r["name"] for r in report.rows] == ["0.w", "0.b", "2.w", "2.b"]
    assert all(r["max_rel"] < 1e-6 for r in report.rows)
    printed = capsys.readouterr().out
    assert "Gradient check (float64, central differences)" in printed and "all pass" in printed


def test_cnn_with_pooling_and_dropout_passes(rng):
    net = gn.Sequential(
        [
            gn.nn.Conv2D(1, 2, 3, padding=1, seed=0),
            gn.nn.Tanh(),
            gn.nn.AvgPool2D(2),
            gn.nn.Flatten(),
            gn.nn.Dropout(0.5, seed=0),
            gn.nn.Dense(8, 3, seed=1),
        ]
    )
    x, y = rng.normal(size=(4, 1, 4, 4)), np.array([0, 2, 1, 0])
    report = gn.check_gradients(net, x, y, loss="cross_entropy", verbose=False)
    assert report.ok, str(report)


def test_a_planted_wrong_backward_is_caught_and_explained(rng):
    x, y = data(rng)
    report = gn.check_gradients(mlp(middle=CubeLayer()), x, y, verbose=False)
    assert not report.ok
    failed = [r["name"] for r in report.rows if not r["ok"]]
    assert failed == ["0.w", "0.b"]  # only weights before the broken op get wrong slopes
    assert report.worst["name"].startswith("0.")
    assert report.worst["rel"] > 0.2  # 2x² instead of 3x² is off by a third
    text = str(report)
    assert "FAIL" in text and f"worst weight: {report.worst['name']}" in text
    assert f"The chain rule for {report.worst['name']}" in text


def test_a_wrong_backward_in_a_known_layer_is_reported_not_raised(rng, monkeypatch):
    from glassnet.ops import activation

    right = activation.Tanh.backward
    monkeypatch.setattr(activation.Tanh, "backward", lambda self, g: (1.5 * right(self, g)[0],))
    x, y = data(rng)
    report = gn.check_gradients(mlp(), x, y, verbose=False)  # explain.weight would raise
    assert [r["ok"] for r in report.rows] == [False, False, True, True]
    assert report.explanation is None
    assert "the chain-rule product differs from autograd's gradient" in report.note
    assert report.note in report.markdown() and "hint: " not in report.note
    assert "a backward on its path is wrong" in str(report)


def test_the_model_is_left_untouched(rng):
    x, y = data(rng)
    net = mlp()
    before = {k: v.copy() for k, v in net.state_dict().items()}
    gn.check_gradients(net, x, y, verbose=False)
    assert all(np.array_equal(before[k], v) for k, v in net.state_dict().items())
    assert all(p.grad is None and p.dtype == np.float32 for p in net.parameters())


def test_large_tensors_are_sampled(rng):
    net = gn.Sequential([gn.nn.Dense(40, 30, seed=0), gn.nn.ReLU(), gn.nn.Dense(30, 1, seed=1)])
    x, y = rng.normal(size=(3, 40)), rng.normal(size=(3, 1))
    report = gn.check_gradients(net, x, y, max_checks=10, verbose=False)
    assert [r["checked"] for r in report.rows] == [10, 10, 10, 1]


def test_bad_settings_are_refused(rng):
    x, y = data(rng)
    with pytest.raises(
        gn.ConfigError, match="check_gradients: eps, tol and max_checks must be positive"
    ):
        gn.check_gradients(mlp(), x, y, eps=0)


def test_integer_labels_default_to_cross_entropy_and_the_report_says_so(rng, capsys):
    """The issue's case: a classifier with integer labels failed with an MSE shape error."""
    net = gn.Sequential([gn.nn.Dense(3, 4, seed=0), gn.nn.Tanh(), gn.nn.Dense(4, 3, seed=1)])
    x, y = rng.normal(size=(6, 3)), np.array([0, 2, 1, 0, 1, 2])
    report = gn.check_gradients(net, x, y)
    assert report.ok and report.loss == "cross_entropy (inferred from integer labels)"
    assert "loss: cross_entropy (inferred from integer labels)" in capsys.readouterr().out
    one = gn.Sequential([gn.nn.Dense(3, 1, seed=0)])
    report = gn.check_gradients(one, x, y % 2, verbose=False)
    assert report.ok and report.loss.startswith("binary_cross_entropy from logits (inferred")


def test_the_compiled_loss_wins_then_an_explicit_one(rng):
    net = gn.Sequential([gn.nn.Dense(3, 2, seed=0)]).compile("sgd", "mae")
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    assert gn.check_gradients(net, x, y, verbose=False).loss == "mae (the model's compiled loss)"
    assert gn.check_gradients(net, x, y, loss="mse", verbose=False).loss == "mse (given)"
    assert gn.check_gradients(mlp(), x, y, verbose=False).loss.startswith("mse (inferred")
