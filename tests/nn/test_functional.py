"""The functional API: gn.Input, layers called on symbolic tensors, gn.Model(inputs, outputs).

A small residual CNN is the main subject: it trains with fit, saves and loads, summarises,
and check_gradients / trace / explain work on it; its gradients match a torch twin.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.nn import BatchNorm, Conv2D, Dense, Flatten, GlobalAvgPool2D, ReLU


def residual_net(seed: int = 0):
    x = gn.Input((1, 8, 8))
    h = Conv2D(1, 4, 3, padding=1, seed=seed)(x)
    h = BatchNorm(4)(h)
    h = ReLU()(h)
    h = Conv2D(4, 4, 3, padding=1, seed=seed + 1)(h)
    shortcut = Conv2D(1, 4, 1, seed=seed + 2)(x)
    y = ReLU()(gn.layers.Add()([h, shortcut]))
    y = GlobalAvgPool2D()(y)
    return gn.Model(x, Dense(4, 3, seed=seed + 3)(y))


def data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1, 8, 8)).astype(np.float32)
    y = (x[:, 0, :4].mean(axis=(1, 2)) > 0).astype(int) + (x[:, 0, 4:].mean(axis=(1, 2)) > 0)
    return x, y


def test_residual_network_trains_saves_loads_and_summarises(tmp_path):
    model = residual_net()
    assert type(model).__name__ == "Functional" and isinstance(model, gn.Model)
    assert [n for n, _ in model.named_parameters()][:4] == ["0.w", "0.b", "1.gamma", "1.beta"]
    x, y = data()
    model.compile(gn.optim.Adam(lr=0.02), "cross_entropy", ["accuracy"])
    history = model.fit(x, y, epochs=12, batch_size=16, verbose=0, seed=0)
    assert history.history["loss"][-1] < 0.85 * history.history["loss"][0]
    model.save(tmp_path / "res.gn")
    loaded = gn.load_model(tmp_path / "res.gn")
    assert type(loaded).__name__ == "Functional"
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    # training continues identically after the round trip
    a = model.fit(x, y, epochs=1, batch_size=16, verbose=0, seed=1).history["loss"]
    b = loaded.fit(x, y, epochs=1, batch_size=16, verbose=0, seed=1).history["loss"]
    assert a == b
    text = model.summary()
    assert "Add()" in text and "(None, 4, 8, 8)" in text and "Reads" in text
    assert "input 0" in text.splitlines()[4] and "3, 4" in text


def test_residual_network_gradients_check_trace_and_explain():
    model = residual_net()
    x, y = data(4)
    assert gn.check_gradients(model, x, y, loss="cross_entropy").ok
    with gn.trace(model) as t:
        model(x[:1])
    assert len(t) > 8
    assert "h5 = layer 5 Add() applied to h3, h4" in str(gn.explain.forward(model, x[:1]))
    e = gn.explain.weight(model, x[:1], y[:1], "4.w[1, 0, 0, 0]", loss="cross_entropy")
    assert e.gradient == pytest.approx(e.autograd, rel=1e-7) and e.gradient != 0
    model.trainable = False
    head = gn.Sequential([model, Dense(3, 2, seed=0)])
    e = gn.explain.weight(head, x[:1], y[:1] % 2, "1.w[0, 1]", loss="cross_entropy", lr=0.1)
    assert e.gradient == pytest.approx(e.autograd, rel=1e-7)


def test_residual_network_matches_torch_forward_and_backward(rng):
    model = residual_net()
    model.train()
    x = rng.normal(size=(5, 1, 8, 8))
    p = {
        n: torch.tensor(v.astype(np.float64), requires_grad=True)
        for n, v in model.state_dict().items()
        if "running" not in n
    }
    for _, param in model.named_parameters():
        param.data = param.data.astype(np.float64)
    xt = torch.tensor(x)
    F = torch.nn.functional
    h = F.conv2d(xt, p["0.w"], p["0.b"], padding=1)
    h = F.batch_norm(h, None, None, p["1.gamma"], p["1.beta"], training=True, eps=1e-5)
    h = F.conv2d(F.relu(h), p["3.w"], p["3.b"], padding=1)
    y = F.relu(h + F.conv2d(xt, p["4.w"], p["4.b"]))
    out = y.mean(axis=(2, 3)) @ p["8.w"] + p["8.b"]
    upstream = rng.normal(size=(5, 3))
    out.backward(torch.tensor(upstream))
    ours = model(gn.tensor(x, dtype=np.float64))
    ours.backward(upstream)
    np.testing.assert_allclose(ours.data, out.detach().numpy(), rtol=1e-10, atol=1e-10)
    for name, param in model.named_parameters():
        np.testing.assert_allclose(param.grad, p[name].grad.numpy(), rtol=1e-8, atol=1e-10)


def test_multiple_inputs_concatenate_and_multiply_train_and_predict(tmp_path, rng):
    a, b = gn.Input((3,)), gn.Input((2,))
    joined = gn.layers.Concatenate()([Dense(3, 4, seed=0)(a), Dense(2, 4, seed=1)(b)])
    gate = gn.nn.Sigmoid()(Dense(2, 8, seed=2)(b))
    out = Dense(8, 1, seed=3)(gn.layers.Multiply()([joined, gate]))
    model = gn.Model([a, b], out)
    xa, xb = rng.normal(size=(64, 3)), rng.normal(size=(64, 2))
    target = (xa[:, :1] * xb[:, 1:]).astype(np.float32)
    model.compile(gn.optim.Adam(lr=0.03), "mse")
    history = model.fit(
        [xa, xb],
        target,
        epochs=20,
        batch_size=16,
        verbose=0,
        seed=0,
        validation_data=([xa[:8], xb[:8]], target[:8]),
    )
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    assert "val_loss" in history.history
    prediction = model.predict([xa, xb])
    assert prediction.shape == (64, 1)
    np.testing.assert_allclose(model([xa, xb]).data, prediction, rtol=1e-6)
    assert model.evaluate([xa, xb], target)["loss"] == pytest.approx(
        float(np.mean((prediction - target) ** 2)), rel=1e-5
    )
    model.save(tmp_path / "two.gn")
    np.testing.assert_array_equal(gn.load_model(tmp_path / "two.gn").predict([xa, xb]), prediction)


def test_a_layer_used_twice_shares_its_weights(rng):
    x = gn.Input((4,))
    shared = Dense(4, 4, seed=0)
    y = gn.layers.Add()([shared(x), shared(ReLU()(shared(x)))])
    model = gn.Model(x, y)
    assert [n for n, _ in model.named_parameters()] == ["0.w", "0.b"]
    xs = rng.normal(size=(2, 4)).astype(np.float32)
    w, b = shared.w.data, shared.b.data
    first = xs @ w + b
    np.testing.assert_allclose(model.predict(xs), first + np.maximum(first, 0) @ w + b, rtol=1e-5)


def test_gn_layers_is_the_nn_namespace():
    assert gn.layers.Dense is gn.nn.Dense and gn.layers.Add is gn.nn.Add
    assert gn.layers.Input is gn.Input


def test_errors_name_the_layer_and_the_shapes():
    x = gn.Input((1, 8, 8))
    with pytest.raises(gn.ShapeError, match=r"Add\(\): every input must have the same shape"):
        gn.layers.Add()([Conv2D(1, 2, 3)(x), x])
    with pytest.raises(gn.ConfigError, match="takes a list of at least two tensors"):
        gn.layers.Add()(x)
    with pytest.raises(gn.ShapeError, match=r"Concatenate\(axis=1\): the inputs must have"):
        gn.layers.Concatenate(axis=1)([Flatten()(x), x])
    with pytest.raises(gn.ConfigError, match="axis must be a non-batch axis"):
        gn.layers.Concatenate(axis=0)
    with pytest.raises(gn.ConfigError, match="Input: shape must be one sample's shape"):
        gn.Input((0, 3))
    other = gn.Input((1, 8, 8))
    y = gn.layers.Add()([x, other])
    with pytest.raises(gn.ConfigError, match="must depend only on the given inputs"):
        gn.Model(x, y)
    with pytest.raises(gn.ConfigError, match="outputs must be symbolic tensors"):
        gn.Model(x, np.zeros(3))
    with pytest.raises(gn.ConfigError, match="exactly one output"):
        gn.Model([x, other], [x, y])
    model = gn.Model([x, other], y)
    with pytest.raises(gn.ShapeError, match="input 1 does not have the shape of its gn.Input"):
        model([np.zeros((2, 1, 8, 8)), np.zeros((2, 1, 4, 4))])
    with pytest.raises(gn.ShapeError, match="this model has 2 inputs; pass them as a list"):
        model(np.zeros((2, 5)))
    with pytest.raises(gn.ConfigError, match="wrong number of inputs"):
        model([np.zeros((2, 1, 8, 8))] * 3)
    with pytest.raises(gn.ConfigError, match="called on symbolic tensors only"):
        gn.layers.Add()([x, gn.tensor(np.zeros((1, 1, 8, 8)))])
