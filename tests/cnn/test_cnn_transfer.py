"""Pretrained models, freezing and transfer learning (digits 0–4 → digits 5–9)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import transfer_learning  # noqa: E402

BASE = gn.pretrained.BASE_LAYERS


def _base_state(model) -> dict[str, np.ndarray]:
    """Every parameter and BatchNorm statistic of the first BASE layers."""
    return {k: v for k, v in model.state_dict().items() if int(k.split(".")[0]) < BASE}


def test_pretrained_models_load_and_classify_mnist():
    (_, _), (x_test, y_test) = gn.data.load_mnist()
    x = gn.vision.mnist_to_images(x_test[:500])
    model = gn.pretrained.load("mnist-cnn")
    assert isinstance(model, gn.Sequential) and model.loss is None
    accuracy = np.mean(model.predict(x).argmax(axis=1) == y_test[:500])
    assert accuracy > 0.97
    first = gn.pretrained.load("mnist-cnn")
    first[0].w.data[:] = 0  # a fresh copy each time
    assert not np.all(gn.pretrained.load("mnist-cnn")[0].w.data == 0)
    assert gn.pretrained.path("mnist-cnn").stat().st_size < 2_000_000


def test_pretrained_unknown_name():
    with pytest.raises(gn.ConfigError, match=r"no pretrained model named 'resnet50'"):
        gn.pretrained.load("resnet50")


def test_fine_tuning_leaves_the_frozen_base_untouched():
    data = transfer_learning.new_task_data(500, test=200)
    tuned = transfer_learning.fine_tuned()
    before = _base_state(tuned)
    head_before = tuned[BASE + 1].w.data.copy()
    frozen = sum(v.size for k, v in before.items() if "running" not in k)
    assert f"Frozen params: {frozen:,}" in tuned.summary((1, 28, 28))
    assert tuned.count_params(trainable=False) == frozen == 4_896
    transfer_learning.train_and_score(tuned, data, epochs=2)
    for name, value in _base_state(tuned).items():  # weights and BatchNorm statistics
        np.testing.assert_array_equal(value, before[name], err_msg=name)
    assert all(p.grad is None for layer in tuned.layers[:BASE] for p in layer.parameters())
    assert not np.array_equal(tuned[BASE + 1].w.data, head_before)


def test_fine_tuning_beats_training_from_scratch_on_500_images():
    results = transfer_learning.compare(epochs=2, test=1500)
    tuned = np.mean([r["accuracy"] for r in results["fine-tuned"]])
    scratch = np.mean([r["accuracy"] for r in results["from scratch"]])
    assert tuned > 0.88 and tuned > scratch + 0.05, (tuned, scratch)


def test_layer_trainable_false_freezes_one_layer_through_fit():
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 1, 8, 8), dtype=np.float32), rng.integers(0, 3, 64)
    model = gn.Sequential(
        [
            gn.nn.Conv2D(1, 4, 3, seed=0),
            gn.nn.BatchNorm(4),
            gn.nn.ReLU(),
            gn.nn.GlobalAvgPool2D(),
            gn.nn.Dense(4, 3, seed=1),
        ]
    )
    model[0].trainable = False
    model[1].trainable = False
    conv_w, stats = model[0].w.data.copy(), model[1].running_mean.copy()
    dense_w = model[4].w.data.copy()
    model.compile(optimizer="adam", loss="cross_entropy")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    np.testing.assert_array_equal(model[0].w.data, conv_w)
    np.testing.assert_array_equal(model[1].running_mean, stats)
    assert not np.array_equal(model[4].w.data, dense_w)
    assert "Frozen params: 48" in model.summary((1, 8, 8))
