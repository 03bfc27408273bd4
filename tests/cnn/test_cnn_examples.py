"""The CNN example scripts run end to end at tiny sizes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mnist_cnn_example_smoke(capsys):
    result = _load("mnist_cnn").main(["--epochs", "1", "--limit", "512", "--torch-steps", "1"])
    accuracy = result["history"]["val_accuracy"]
    assert len(accuracy) == 1 and 0.2 < accuracy[0] <= 1  # 4 steps: above chance (0.1)
    assert result["seconds_per_epoch"] > 0 and result["torch_seconds"] > 0
    out = capsys.readouterr().out
    assert "epoch 1:" in out and "× torch" in out


def test_mnist_cnn_network_is_the_keras_one():
    model = _load("mnist_cnn").build()
    assert model.count_params() == 1_199_882  # Keras' summary of mnist_cnn says the same
