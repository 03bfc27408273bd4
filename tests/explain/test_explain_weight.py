"""explain.weight: the chain rule with numbers, equal to autograd, then the optimizer's step."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import glassnet as gn
from glassnet.explain.render import factor


def slope_network() -> gn.nn.Sequential:
    """The seeds' slope example: one weight of 2 fed by a node of value 3, target 10."""
    net = gn.nn.Sequential([gn.nn.Dense(1, 1, use_bias=False)])
    net[0].w.data[:] = 2.0
    return net


def test_slope_example_gives_minus_24_and_new_weight_2_24():
    e = gn.explain.weight(slope_network(), [3.0], [10.0], "0.w[0, 0]", loss="mse", lr=0.01)
    assert e.factors == (-8.0, 1.0, 3.0)  # 2·(6 − 10), identity slope, node value
    assert e.gradient == -24.0
    assert e.new_value == pytest.approx(2.24, abs=1e-12)
    text = str(e)
    assert "2·(6 − 10) / 1 = -8" in text
    assert "(-8)·1·3 = -24" in text
    assert "w_new = w − lr·grad = 2 − 0.01·(-24) = 2.24" in text
    assert "### update" in e.markdown()


def test_the_model_itself_is_not_changed():
    net = slope_network()
    gn.explain.weight(net, [3.0], [10.0], "0.w[0, 0]", lr=0.01)
    assert net[0].w.data[0, 0] == 2.0 and net[0].w.grad is None


def test_hidden_weight_shows_the_sum_over_paths():
    net = gn.nn.Sequential(
        [gn.nn.Dense(2, 2, use_bias=False), gn.nn.ReLU(), gn.nn.Dense(2, 2, use_bias=False)]
    )
    net[0].w.data[:] = [[1, -1], [1, 1]]
    net[2].w.data[:] = [[2, 1], [-1, 3]]
    e = gn.explain.weight(net, [2.0, 3.0], [0.0, 0.0], "0.w[1, 0]", loss="mse")
    # z = (5, 1) → a = (5, 1) → prediction (9, 8); dL/dprediction = (9, 8); dL/da₀ = 9·2 + 8·1
    assert e.factors == (26.0, 1.0, 3.0)
    assert e.gradient == 78.0
    assert "= 9·2 + 8·1 = 26" in str(e)


ACTIVATIONS = [gn.nn.ReLU, gn.nn.Sigmoid, gn.nn.Tanh, gn.nn.Softplus, gn.nn.LeakyReLU]


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_autograd_on_random_mlps(seed):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, size=4)
    act = ACTIVATIONS[seed % len(ACTIVATIONS)]
    net = gn.nn.Sequential(
        [
            gn.nn.Dense(int(sizes[0]), int(sizes[1]), seed=seed),
            act(),
            gn.nn.Dense(int(sizes[1]), int(sizes[2]), seed=seed + 1),
            gn.nn.Tanh(),
            gn.nn.Dense(int(sizes[2]), int(sizes[3]), seed=seed + 2),
        ]
    )
    x, y = rng.normal(size=sizes[0]), rng.normal(size=sizes[3])
    for name, p in net.named_parameters():
        index = tuple(int(rng.integers(0, s)) for s in p.shape)
        spec = f"{name}[{', '.join(map(str, index))}]"
        e = gn.explain.weight(net, x, y, spec, loss="mse", lr=0.1)
        net.zero_grad()
        gn.losses.MSE()(net(x[None].astype(np.float32)), y[None]).backward()
        assert e.gradient == pytest.approx(float(p.grad[index]), rel=1e-3, abs=1e-6)
        assert e.new_value == pytest.approx(e.value - 0.1 * e.gradient, rel=1e-12)


@pytest.mark.parametrize(
    "loss, last, y",
    [
        (gn.losses.CrossEntropy(), None, 2),
        (gn.losses.CrossEntropy(from_logits=False), gn.nn.Softmax(), 1),
        (gn.losses.BinaryCrossEntropy(), gn.nn.Sigmoid(), [1.0, 0.0, 1.0]),
        (gn.losses.BinaryCrossEntropy(from_logits=True), None, [1.0, 0.0, 1.0]),
        ("quadratic", None, [0.5, -1.0, 2.0]),
        ("mae", None, [0.5, -1.0, 2.0]),
    ],
)
def test_every_loss_slope_agrees_with_autograd(loss, last, y):
    layers = [gn.nn.Dense(4, 5, seed=3), gn.nn.Sigmoid(), gn.nn.Dense(5, 3, seed=4)]
    net = gn.nn.Sequential(layers + ([last] if last is not None else []))
    x = np.array([0.3, -1.2, 2.0, 0.7])
    for spec in ("2.w[4, 1]", "0.w[2, 3]", "0.b[0]"):
        e = gn.explain.weight(net, x, y, spec, loss=loss)
        assert np.isfinite(e.gradient) and e.gradient == pytest.approx(e.autograd, rel=1e-9)


def _adam_by_hand(w, g, lr=0.01, b1=0.9, b2=0.999, eps=1e-8):
    m, v = (1 - b1) * g, (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1), v / (1 - b2)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps)


def test_adam_update_shows_moments_and_matches_the_formula():
    e = gn.explain.weight(slope_network(), [3.0], [10.0], "0.w[0, 0]", optimizer="adam", lr=0.01)
    assert e.new_value == pytest.approx(_adam_by_hand(2.0, -24.0), rel=1e-12)
    text = str(e)
    for piece in ("m = β₁·m", "v = β₂·v", "m̂ = m / (1 − β₁ᵗ)", "v̂ = v / (1 − β₂ᵗ)", "step ="):
        assert piece in text


def test_momentum_uses_the_optimizers_state():
    net = slope_network()
    opt = gn.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss = gn.losses.MSE()(net(np.array([[3.0]], dtype=np.float32)), [[10.0]])
    loss.backward()
    opt.step()  # velocity −24, w = 2.24
    e = gn.explain.weight(net, [3.0], [10.0], "0.w[0, 0]", optimizer=opt)
    assert e.value == pytest.approx(2.24, rel=1e-6)
    velocity = 0.9 * -24.0 + e.gradient
    assert e.new_value == pytest.approx(e.value - 0.01 * velocity, rel=1e-6)
    assert "v = μ·v + g = 0.9·(-24)" in str(e)


def test_an_unknown_weight_lists_the_names():
    with pytest.raises(
        gn.ConfigError, match=r"(?s)no weight called '3.w\[0, 0\]'.*0\.w\[\.\.\.\]"
    ):
        gn.explain.weight(slope_network(), [3.0], [10.0], "3.w[0, 0]")


def test_an_index_outside_the_shape_is_refused():
    with pytest.raises(gn.ShapeError, match=r"the index \[1, 0\] does not fit 0.w"):
        gn.explain.weight(slope_network(), [3.0], [10.0], "0.w[1, 0]")


def test_lr_next_to_an_optimizer_instance_is_refused():
    opt = gn.optim.SGD(lr=0.1)
    with pytest.raises(gn.ConfigError, match="lr was given next to an optimizer instance"):
        gn.explain.weight(slope_network(), [3.0], [10.0], "0.w[0, 0]", lr=0.01, optimizer=opt)


def test_a_frozen_weight_is_refused():
    net = slope_network()
    net[0].trainable = False
    with pytest.raises(gn.ConfigError, match="0.w is frozen"):
        gn.explain.weight(net, [3.0], [10.0], "0.w[0, 0]")


@pytest.mark.parametrize("seed", range(3))
def test_agrees_with_autograd_on_random_cnns(seed):
    rng = np.random.default_rng(seed)
    net = gn.Sequential(
        [
            gn.nn.Conv2D(2, 3, 3, stride=1 + seed % 2, padding=1, seed=seed),
            gn.nn.Tanh(),
            gn.nn.Conv2D(3, 2, 2, seed=seed + 1),
            gn.nn.ReLU(),
            gn.nn.Flatten(),
        ]
    )
    x = rng.normal(size=(2, 6, 6))
    n_out = net(x[None].astype(np.float32)).shape[1]
    net.add(gn.nn.Dense(n_out, 3, seed=seed + 2))
    for name, p in net.named_parameters():
        index = tuple(int(rng.integers(0, s)) for s in p.shape)
        spec = f"{name}[{', '.join(map(str, index))}]"
        e = gn.explain.weight(net, x, seed % 3, spec, loss="cross_entropy")
        assert e.gradient == pytest.approx(e.autograd, rel=1e-9, abs=1e-12)
        net.zero_grad()
        gn.losses.CrossEntropy()(net(x[None].astype(np.float32)), [seed % 3]).backward()
        assert e.gradient == pytest.approx(float(p.grad[index]), rel=1e-3, abs=1e-6)
    shared = gn.explain.weight(net, x, 0, "0.w[0, 1, 1, 1]", loss="cross_entropy")
    assert "the weight is used at every position" in str(shared)
    largest = max(shared.terms, key=lambda t: abs(t[5]))
    first = f"{factor(largest[1])}·{factor(largest[2])}·{factor(largest[3])} + "
    assert f"dL/d0.w[0, 1, 1, 1] = {first}" in str(shared)  # the sum opens with the largest
    assert f"… ({len(shared.terms)} terms)" in str(shared)


def test_through_batchnorm_and_a_batchnorm_weight_is_refused_by_name():
    net = gn.Sequential([gn.nn.Dense(3, 4, seed=0), gn.nn.BatchNorm(4), gn.nn.Dense(4, 1, seed=1)])
    e = gn.explain.weight(net, [1.0, 2.0, 3.0], [0.5], "0.w[1, 2]")  # BN walked back by autograd
    assert e.gradient == pytest.approx(e.autograd, rel=1e-12) and e.gradient != 0
    with pytest.raises(
        gn.ConfigError, match="cannot write out the chain rule for a weight of BatchNorm"
    ):
        gn.explain.weight(net, [1.0, 2.0, 3.0], [0.5], "1.gamma[0]")


def test_dropout_is_off_on_the_way_back_too():
    net = gn.Sequential(
        [gn.nn.Dense(3, 8, seed=0), gn.nn.Dropout(0.5, seed=0), gn.nn.Dense(8, 1, seed=1)]
    )
    for _ in range(3):  # a random mask on the way back would break the equality check
        e = gn.explain.weight(net, [1.0, 2.0, 3.0], [0.5], "0.w[2, 5]")
        assert e.gradient == pytest.approx(e.autograd, rel=1e-12)
    assert net.training


def test_a_nested_weight_is_refused():
    inner = gn.Sequential([gn.nn.Dense(1, 1)])
    outer = gn.Sequential([inner])
    with pytest.raises(gn.ConfigError, match="0.0.w is not the weight of a top-level layer"):
        gn.explain.weight(outer, [3.0], [10.0], "0.0.w[0, 0]")


def test_a_wrong_written_slope_is_caught():
    right = gn.activations.get("tanh")
    gn.activations.register(dataclasses.replace(right, slope=lambda z, a, m: 1 - a), replace=True)
    net = gn.Sequential([gn.nn.Dense(2, 2, seed=0), gn.nn.Tanh(), gn.nn.Dense(2, 1, seed=1)])
    try:
        with pytest.raises(
            gn.GradientCheckError, match="the chain-rule product differs from autograd"
        ):
            gn.explain.weight(net, [1.0, 2.0], [0.0], "0.w[0, 1]")
    finally:
        gn.activations.register(right, replace=True)
    assert gn.activations.get("tanh") is right


def test_a_written_update_that_differs_from_the_optimizer_is_an_internal_error():
    class DoubleStep(gn.optim.SGD):
        def update(self, i, w, grad_w, t):
            super().update(i, w, 2 * grad_w, t)

    with pytest.raises(gn.InternalError, match="the written-out update differs"):
        gn.explain.weight(
            slope_network(), [3.0], [10.0], "0.w[0, 0]", optimizer=DoubleStep(lr=0.01)
        )


def test_the_path_sum_looks_through_dropout():
    net = gn.Sequential(
        [gn.nn.Dense(2, 2, use_bias=False), gn.nn.ReLU(), gn.nn.Dropout(0.5, seed=0)]
        + [gn.nn.Dense(2, 2, use_bias=False)]
    )
    net[0].w.data[:] = [[1, -1], [1, 1]]
    net[3].w.data[:] = [[2, 1], [-1, 3]]
    e = gn.explain.weight(net, [2.0, 3.0], [0.0, 0.0], "0.w[1, 0]", loss="mse")
    assert e.gradient == 78.0 and "= 9·2 + 8·1 = 26" in str(e)
