"""Layer configs: get_config() is JSON-able and from_config() rebuilds the same layer;
files written before configs existed (the shipped pretrained models) still load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.onnx.layers import BatchStatNorm, RunningStat, SeededDropout
from glassnet.training import io as model_io

PRETRAINED = sorted((Path(gn.__file__).parent / "pretrained").glob("*.gn"))

LAYERS = [
    nn.Dense(3, 4, use_bias=False),
    nn.Dropout(0.25),
    nn.Flatten(),
    nn.ReLU(),
    nn.LeakyReLU(0.2),
    nn.Softmax(axis=1),
    nn.LogSoftmax(axis=1),
    nn.Conv2D(2, 3, (3, 1), stride=2, padding="same", dilation=1),
    nn.Conv2D(4, 6, 3, padding=(1, 0, 2, 1), groups=2),
    nn.Conv2DTranspose(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2),
    nn.MaxPool2D(3, stride=1, padding=1),
    nn.AvgPool2D(2),
    nn.AvgPool2D(3, 2, 1, ceil_mode=True, count_include_pad=False),
    nn.MaxPool2D(2, dilation=2, ceil_mode=True),
    nn.GlobalAvgPool2D(),
    nn.BatchNorm(3, momentum=0.2, eps=1e-3),
    nn.Reshape((1, 2, -1)),
    nn.Perceptron(4, lr=0.5),
    gn.layers.Add(),
    gn.layers.Concatenate(axis=1),
    gn.layers.Multiply(),
    gn.distributed.SyncBatchNorm(3, momentum=0.2, eps=1e-3),
    nn.MaxPool1D(3, 2, (1, 0), ceil_mode=True),
    nn.MaxPool3D(2, dilation=(1, 2, 1)),
    nn.AvgPool1D(2, padding=1, count_include_pad=False),
    nn.AvgPool3D((2, 3, 2), padding=(0, 1, 1, 0, -1, 0)),
    nn.MaxPool2D(3, 2, (0, 2, 1, -1)),
    nn.AvgPool2D(2, 1, dilation=(2, 1)),
    nn.MatMul(),
    nn.Permute((2, 1)),
    nn.Mean((2, -1), keepdims=True),
    nn.Bias((3, 1)),
    nn.Scale(()),
    nn.MaxPoolIndices((3, 2), (2, 1), (1, 0, 0, 1), 1, True, storage_order=1),
    nn.KeptMask(),
    BatchStatNorm(3, eps=1e-3),
    RunningStat(3, "var", momentum=0.8),
    SeededDropout(0.25, seed=7, mask=True),
]


def test_every_built_in_layer_class_is_covered_here():
    covered = {type(layer) for layer in LAYERS}
    containers = (
        nn.Sequential,
        nn.ModuleList,
        nn.ModuleDict,
        gn.training.functional.Functional,
    )  # models or lists of layers, saved as their parts
    registered = {cls for cls in model_io.LAYERS.values() if not issubclass(cls, containers)}
    activations = {nn.Identity, nn.Sigmoid, nn.Tanh, nn.Softplus}  # no arguments, like ReLU
    assert registered - activations <= covered


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: type(layer).__name__)
def test_from_config_rebuilds_a_layer_with_the_same_config(layer):
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config  # plain JSON values only
    twin = type(layer).from_config(config)
    assert type(twin) is type(layer) and twin.get_config() == config
    assert twin.state_dict().keys() == layer.state_dict().keys()
    for key, value in layer.state_dict().items():
        assert twin.state_dict()[key].shape == value.shape


def test_dense_config_names_its_constructor_arguments():
    assert nn.Dense(3, 4, seed=0).get_config() == {
        "in_features": 3,
        "out_features": 4,
        "use_bias": True,
        "init": "glorot_uniform",
    }


@pytest.mark.parametrize("path", PRETRAINED, ids=lambda p: p.name)
def test_files_written_by_the_old_code_load_and_save_the_same_architecture(path, tmp_path):
    """The shipped models were written when save read constructor signatures."""
    assert PRETRAINED, "the pretrained models are shipped with the package"
    with np.load(path, allow_pickle=False) as file:
        old = json.loads(str(file["__glassnet__"]))["architecture"]
    model = gn.load_model(path)
    assert model_io.architecture(model) == old
    model.save(tmp_path / "again.gn")
    again = gn.load_model(tmp_path / "again.gn")
    x = np.random.default_rng(0).random((2, 1, 28, 28), dtype=np.float32)
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


def test_a_custom_layer_may_define_its_own_config(tmp_path):
    class Scaled(nn.Module):
        def __init__(self, factors):
            super().__init__()
            object.__setattr__(self, "table", dict(factors))

        def forward(self, x):
            return gn.as_tensor(x) * self.table["k"]

        def get_config(self):
            return {"factors": [[k, v] for k, v in self.table.items()]}

    gn.training.register_layer(Scaled)
    try:
        net = gn.Sequential([nn.Dense(3, 2, seed=0), Scaled({"k": 2.0})])
        net.save(tmp_path / "m.gn")
        loaded = gn.load_model(tmp_path / "m.gn")
        assert loaded[1].table == {"k": 2.0}
        x = np.ones((1, 3), np.float32)
        np.testing.assert_array_equal(loaded.predict(x), net.predict(x))
    finally:
        del model_io.LAYERS["Scaled"]


def test_a_layer_built_with_an_init_function_saves_and_loads(tmp_path):
    net = gn.Sequential([nn.Dense(3, 2, init=lambda shape, seed, dtype: np.ones(shape, dtype))])
    assert net[0].get_config()["init"] == "custom"
    net.save(tmp_path / "m.gn")
    np.testing.assert_array_equal(gn.load_model(tmp_path / "m.gn")[0].w.data, np.ones((3, 2)))
