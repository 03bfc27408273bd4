"""PyTorch state dicts both ways (gn.interop) and safetensors weights, against the real
torch and safetensors packages."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch_models as tm

import glassnet as gn
from glassnet import nn


def twin():
    """glassnet's mnist_cnn layer for layer, the same names as tm.mnist_cnn()'s."""
    return gn.Sequential(
        [
            nn.Conv2D(1, 16, 3, padding=1),
            nn.BatchNorm(16),
            nn.ReLU(),
            nn.MaxPool2D(2),
            nn.Conv2D(16, 32, 3, padding=1),
            nn.BatchNorm(32),
            nn.ReLU(),
            nn.MaxPool2D(2),
            nn.Flatten(),
            nn.Dense(1568, 64),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Dense(64, 10),
        ]
    )


def test_torch_weights_into_glassnet_predict_the_same():
    model = tm.settled(tm.mnist_cnn(), (1, 28, 28))
    ours = twin()
    result = gn.interop.load_torch_state_dict(ours, model.state_dict())  # torch tensors
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = np.random.default_rng(0).normal(size=(8, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(ours.predict(x), tm.outputs(model, x), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(ours[9].w.data, model[9].weight.detach().numpy().T)


def test_glassnet_weights_into_torch_predict_the_same():
    ours = twin()
    for i in (1, 5):
        ours[i].set_buffer("running_var", np.full(ours[i].num_features, 2.0, np.float32))
    model = tm.mnist_cnn().eval()
    sd = gn.interop.torch_state_dict(ours)
    keys = model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})  # strict
    assert keys.missing_keys == [] and keys.unexpected_keys == []
    assert sd["9.weight"].shape == (64, 1568)
    x = np.random.default_rng(1).normal(size=(8, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(tm.outputs(model, x), ours.predict(x), rtol=1e-4, atol=1e-5)


def test_missing_and_unexpected_keys_are_reported_like_torch():
    model = tm.mnist_cnn()
    sd = {k: v for k, v in model.state_dict().items() if k != "12.bias"}
    sd["13.weight"] = torch.zeros(3)
    ours = twin()
    before = ours[12].b.data.copy()
    result = gn.interop.load_torch_state_dict(ours, sd, strict=False)
    assert result.missing_keys == ["12.bias"] and result.unexpected_keys == ["13.weight"]
    np.testing.assert_array_equal(ours[12].b.data, before)
    theirs = tm.mnist_cnn().load_state_dict(sd, strict=False)
    assert theirs.missing_keys == result.missing_keys
    assert theirs.unexpected_keys == result.unexpected_keys
    with pytest.raises(gn.ConfigError, match=r"missing_keys=\['12.bias'\], unexpected_keys="):
        gn.interop.load_torch_state_dict(twin(), sd)


def test_wrong_shapes_and_foreign_layers_are_refused_before_copying():
    ours = gn.Sequential([nn.Dense(4, 3), nn.Dense(3, 2)])
    before = ours[0].w.data.copy()
    sd = {
        "0.weight": np.ones((3, 4)),
        "0.bias": np.ones(3),
        "1.weight": np.ones((3, 2)),
        "1.bias": np.ones(2),
    }
    with pytest.raises(gn.ShapeError, match=r"'1.weight' has the wrong shape. Got \(2, 3\)"):
        gn.interop.load_torch_state_dict(ours, sd)
    np.testing.assert_array_equal(ours[0].w.data, before)

    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.k = nn.Parameter(np.ones(2))

        def forward(self, x):
            return x

    with pytest.raises(gn.ConfigError, match="has no PyTorch counterpart"):
        gn.interop.torch_state_dict(gn.Sequential([Odd()]))


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_save_and_load_weights(tmp_path, suffix):
    ours = twin()
    ours[1].set_buffer("running_mean", np.arange(16, dtype=np.float32))
    path = tmp_path / f"w{suffix}"
    ours.save_weights(path)
    other = twin()
    other.load_weights(path)
    for name, value in ours.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[name], value)
    if suffix == ".safetensors":
        from safetensors.numpy import load_file

        assert load_file(str(path))["9.w"].shape == (1568, 64)


def test_load_weights_checks_names_and_shapes(tmp_path):
    from safetensors.numpy import save_file

    model = gn.Sequential([nn.Dense(4, 3)])
    save_file(
        {"0.w": np.ones((3, 4), np.float32), "0.b": np.ones(3, np.float32)},
        str(tmp_path / "bad.safetensors"),
    )
    with pytest.raises(gn.DataError, match=r"load_weights: weight '0.w' has the wrong shape"):
        model.load_weights(tmp_path / "bad.safetensors")
    save_file({"0.w": np.ones((4, 3), np.float32)}, str(tmp_path / "few.safetensors"))
    with pytest.raises(
        gn.DataError, match=r"the names do not match the model. Got missing \['0.b'\]"
    ):
        model.load_weights(tmp_path / "few.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not a file")
    with pytest.raises(gn.DataError, match="is not a weights file"):
        model.load_weights(tmp_path / "junk.safetensors")
