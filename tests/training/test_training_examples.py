"""The result scripts in examples/ run end to end at tiny sizes (GLASSNET_SMOKE=1), and a
small MLP really learns MNIST (slow: 10,000 images, 2 epochs, ≥ 93% test accuracy)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mnist_mlp_example_smoke(capsys):
    result = load_example("mnist_mlp").main(smoke=True)
    assert 0.5 < result["test_accuracy"] <= 1  # 2,000 images, 1 epoch: well above chance
    assert "Total params: 669,706" in capsys.readouterr().out  # Keras prints the same count


def test_seeds_network_example_smoke():
    module = load_example("seeds_network")
    model = module.build(seed=0)
    assert [layer.__class__.__name__ for layer in model] == ["Dense", "Sigmoid"] * 2
    assert np.abs(model[0].w.data).max() <= np.sqrt(6 / (784 + 30))  # Glorot uniform
    normal = module.build(seed=0, init="normal")
    assert abs(float(normal[0].w.data.std()) - 1.0) < 0.01  # N(0, 1) weights
    result = module.main(smoke=True)
    assert 0.2 < result["test_accuracy"] <= 1  # 1,000 images, 1 epoch of SGD η = 3
    assert result["history"].batch_size == [10] * 100


def test_hourly_wages_example_smoke():
    module = load_example("hourly_wages")
    result = module.main(smoke=True)
    assert 2.0 < result["baseline_mae"] < 4.0 and result["mlp_mae"] > 0
    x, y, _ = gn.data.load_hourly_wages()
    assert module.least_squares_mae(x, y, x, y) < 3.5  # finite despite collinear columns


@pytest.mark.slow
def test_small_mlp_learns_mnist():
    (x, y), (x_test, y_test) = gn.data.load_mnist()
    x = x[:10_000].reshape(-1, 784) / np.float32(255)
    x_test = x_test.reshape(-1, 784) / np.float32(255)
    rng = np.random.default_rng(0)
    model = gn.Sequential(
        [gn.nn.Dense(784, 128, seed=rng), gn.nn.ReLU(), gn.nn.Dense(128, 10, seed=rng)]
    )
    model.compile(gn.optim.Adam(lr=3e-3), "cross_entropy", metrics=["accuracy"])
    history = model.fit(x, y[:10_000], epochs=2, batch_size=32, verbose=0, seed=0)
    assert history["loss"][1] < history["loss"][0]
    assert model.evaluate(x_test, y_test)["accuracy"] >= 0.93
