"""The ready-made recipes never size a model from a stray value: class counts come from
labels 0 … 19 only, and build_mlp refuses a network too large before allocating it."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.errors import ConfigError
from glassnet.training import recipes


def csv_with_target(tmp_path, labels) -> str:
    rng = np.random.default_rng(0)
    rows = [f"{a:.3f},{b:.3f},{t}" for (a, b), t in zip(rng.normal(size=(len(labels), 2)), labels)]
    path = tmp_path / "data.csv"
    path.write_text("a,b,y\n" + "\n".join(rows) + "\n")
    return str(path)


@pytest.mark.parametrize(
    ("stray", "classes"), [(2, 3), (19, 20), (20, None), (100_000, None), (2_000_000_000, None)]
)
def test_a_large_label_never_sizes_the_output_layer(tmp_path, stray, classes):
    labels = [0, 1] * 10 + [stray]
    data = recipes.load_dataset(csv_with_target(tmp_path, labels), "y", seed=0)
    assert data.classes == classes and data.outputs == (classes or 1)
    assert data.y_train.dtype == (np.int64 if classes else np.float32)


def test_build_mlp_checks_sizes_before_allocating():
    expected = (
        r"build_mlp: the network is too large to build\. Got sizes 784-100001-10: "
        r"79,500,805 parameters, widest layer 100,001"
    )
    with pytest.raises(ConfigError, match=expected):
        recipes.build_mlp(784, [100_001], 10)
    with pytest.raises(ConfigError, match=r"100,045,002 parameters"):
        recipes.build_mlp(2, [5000] * 5, 2)
    with pytest.raises(ConfigError, match=r"every layer size must be a positive int. Got 0"):
        recipes.build_mlp(2, [0], 2)
    assert len(recipes.build_mlp(2, [100_000], 2).parameters()) == 4  # the largest width


def test_limit_must_be_positive():
    with pytest.raises(ConfigError, match=r"load_dataset: limit must be a positive int. Got -5"):
        recipes.load_dataset("circles", limit=-5)
