"""save / load_model: one file, no pickle, identical predictions, identical continued training."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.errors import ConfigError, DataError
from glassnet.training import io as model_io

X = np.random.default_rng(0).normal(size=(60, 5)).astype(np.float32)
Y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1)


def network(dtype=np.float32):
    return gn.Sequential(
        [
            nn.Dense(5, 16, seed=0, dtype=dtype),
            nn.LeakyReLU(0.1),
            nn.Dropout(0.25, seed=1),
            nn.Dense(16, 3, init="he_normal", seed=2, dtype=dtype),
        ]
    )


def test_loaded_model_predicts_identically_and_keeps_its_settings(tmp_path):
    metrics = ["accuracy", "top_2_accuracy"]
    net = network().compile(gn.optim.RMSprop(lr=0.01), "cross_entropy", metrics)
    net.fit(X, Y, epochs=2, verbose=0, seed=0)
    net.save(tmp_path / "model.gn")
    assert [p.name for p in tmp_path.iterdir()] == ["model.gn"]  # one file, no temp left
    loaded = gn.load_model(tmp_path / "model.gn")
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))
    assert repr(loaded) == repr(net) and loaded.summary() == net.summary()
    assert repr(loaded.optimizer) == repr(net.optimizer) and repr(loaded.loss) == repr(net.loss)
    assert [m.name for m in loaded.metrics] == ["accuracy", "top_2_accuracy"]
    assert loaded.evaluate(X, Y) == net.evaluate(X, Y)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_training_continues_exactly_as_if_never_saved(tmp_path, optimizer):
    if optimizer == "sgd":
        optimizer = gn.optim.SGD(lr=0.05, momentum=0.9, nesterov=True)
    net = network().compile(optimizer, "cross_entropy", ["accuracy"])
    net.fit(X, Y, epochs=2, batch_size=16, verbose=0, seed=3)
    net.save(tmp_path / "m.gn")
    loaded = gn.load_model(tmp_path / "m.gn")
    # no seed and no shuffling: the Dropout masks come from the saved random stream
    kept = net.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    resumed = loaded.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    assert kept.history == resumed.history and kept.batch_loss == resumed.batch_loss
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key], value)


def test_float64_models_stay_float64(tmp_path):
    net = network(np.float64)
    net.save(tmp_path / "m.gn")
    loaded = gn.load_model(tmp_path / "m.gn")
    assert loaded.dtype == np.float64 and loaded.loss is None
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))


def test_frozen_layers_stay_frozen(tmp_path):
    net = network().freeze(up_to=1)
    net.save(tmp_path / "m.gn")
    loaded = gn.load_model(tmp_path / "m.gn")
    assert loaded.count_params(trainable=False) == net.count_params(trainable=False) == 96
    assert not loaded[0].trainable and loaded[3].trainable


def test_file_is_an_npz_readable_without_pickle(tmp_path):
    network().compile("adam", "mse").save(tmp_path / "m.gn")
    with np.load(tmp_path / "m.gn", allow_pickle=False) as archive:
        header = json.loads(str(archive["__glassnet__"]))
        assert {"weights/0.w", "weights/3.b", "optimizer/m.0"} <= set(archive.files)
    assert header["architecture"]["layers"][1] == {"class": "LeakyReLU", "config": {"alpha": 0.1}}
    assert header["compile"]["optimizer"]["name"] == "adam"


def test_saving_replaces_the_old_file_atomically(tmp_path, monkeypatch):
    path = tmp_path / "m.gn"
    first = network()
    first.save(path)

    def broken_savez(file, **arrays):
        file.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(model_io.np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        network(np.float64).save(path)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["m.gn"]
    np.testing.assert_array_equal(gn.load_model(path).predict(X), first.predict(X))


def test_loading_never_builds_unregistered_classes(tmp_path):
    header = {
        "format": "glassnet-model",
        "version": 1,
        "architecture": {"class": "system", "config": {"command": "echo hacked"}},
        "input_shape": None,
        "streams": {},
        "frozen": [],
        "compile": None,
    }
    np.savez(tmp_path / "evil.npz", __glassnet__=np.array(json.dumps(header)))
    with pytest.raises(DataError, match="layer class that is not registered. Got 'system'"):
        gn.load_model(tmp_path / "evil.npz")


def test_pickled_arrays_are_refused(tmp_path):
    np.savez(tmp_path / "p.npz", __glassnet__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataError, match="has an unsupported dtype. Got object"):
        gn.load_model(tmp_path / "p.npz")


def test_not_a_model_file(tmp_path):
    (tmp_path / "x.gn").write_text("hello")
    with pytest.raises(DataError, match=r"'.*x\.gn'\): this is not a glassnet model file"):
        gn.load_model(tmp_path / "x.gn")
    with zipfile.ZipFile(tmp_path / "y.gn", "w"):
        pass
    with pytest.raises(DataError, match="it has no glassnet description"):
        gn.load_model(tmp_path / "y.gn")
    with pytest.raises(FileNotFoundError):
        gn.load_model(tmp_path / "missing.gn")


def test_wrong_version_and_mismatched_weights(tmp_path):
    network().save(tmp_path / "m.gn")
    with np.load(tmp_path / "m.gn") as archive:
        arrays = dict(archive)
    header = json.loads(str(arrays["__glassnet__"]))
    header["version"] = 99
    np.savez(tmp_path / "v.npz", **{**arrays, "__glassnet__": np.array(json.dumps(header))})
    with pytest.raises(DataError, match="unsupported model file format"):
        gn.load_model(tmp_path / "v.npz")
    del arrays["weights/0.b"]
    np.savez(tmp_path / "w.npz", **arrays)
    with pytest.raises(DataError, match="the weights do not match the architecture"):
        gn.load_model(tmp_path / "w.npz")


def test_custom_layers_need_registration(tmp_path):
    class Scale(nn.Module):
        def __init__(self, factor: float):
            super().__init__()
            self.factor = factor

        def forward(self, x):
            return gn.as_tensor(x) * self.factor

    net = gn.Sequential([nn.Dense(5, 2), Scale(3.0)])
    with pytest.raises(ConfigError, match="the layer class Scale is not registered"):
        net.save(tmp_path / "m.gn")
    gn.training.register_layer(Scale)
    try:
        net.save(tmp_path / "m.gn")
        np.testing.assert_array_equal(gn.load_model(tmp_path / "m.gn").predict(X), net.predict(X))
    finally:
        del model_io.LAYERS["Scale"]


def test_layers_whose_settings_cannot_be_read_back_are_refused(tmp_path):
    class Forgets(nn.Module):
        def __init__(self, size: int):
            super().__init__()

        def forward(self, x):
            return gn.as_tensor(x)

    class Holds(nn.Module):
        def __init__(self, table):
            super().__init__()
            object.__setattr__(self, "table", table)

        def forward(self, x):
            return gn.as_tensor(x)

    for cls in (Forgets, Holds):
        gn.training.register_layer(cls)
    try:
        with pytest.raises(
            ConfigError,
            match=r"(?s)save: layer Forgets: the constructor argument 'size' is not stored on "
            r"the layer.*hint: keep it as self.size, or define get_config\(\)",
        ):
            gn.Sequential([Forgets(3)]).save(tmp_path / "m.gn")
        with pytest.raises(
            ConfigError, match=r"save: layer Holds: 'table' cannot be written as JSON. Got \{"
        ):
            gn.Sequential([Holds({"a": 1})]).save(tmp_path / "m.gn")
    finally:
        del model_io.LAYERS["Forgets"], model_io.LAYERS["Holds"]
    assert not (tmp_path / "m.gn").exists()


def test_subclassed_models_cannot_be_rebuilt(tmp_path):
    class Net(gn.Model):
        def __init__(self):
            super().__init__()
            self.layer = nn.Dense(5, 2)

        def forward(self, x):
            return self.layer(x)

    with pytest.raises(ConfigError, match="the layer class Net is not registered"):
        Net().save(tmp_path / "m.gn")


def edited(tmp_path, change):
    """A saved model whose JSON header was changed by ``change(header)``."""
    net = gn.Sequential([nn.Dense(5, 2), nn.Dropout(0.1)]).compile("adam", "mse", ["mae"])
    net.save(tmp_path / "m.gn")
    with np.load(tmp_path / "m.gn") as archive:
        arrays = dict(archive)
    header = json.loads(str(arrays["__glassnet__"]))
    change(header)
    np.savez(tmp_path / "e.npz", **{**arrays, "__glassnet__": np.array(json.dumps(header))})
    return tmp_path / "e.npz"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            lambda h: h["architecture"]["layers"][0]["config"].update(colour="red"),
            r"layer 0 \(Dense\) has invalid settings in the file. Got TypeError",
        ),
        (lambda h: h["streams"].update({"7": h["streams"]["1"]}), "is damaged"),
        (lambda h: h["streams"]["1"].update(bit_generator="MT19937"), "is damaged"),
        (lambda h: h.pop("frozen"), r"unknown or missing keys. Got unknown \[\], missing"),
    ],
)
def test_a_damaged_header_is_a_data_error(tmp_path, change, match):
    with pytest.raises(DataError, match=match):
        gn.load_model(edited(tmp_path, change))


def test_custom_loss_or_metric_loads_uncompiled_or_without_it(tmp_path):
    path = edited(tmp_path, lambda h: h["compile"]["loss"].update(name="huber"))
    with pytest.warns(UserWarning, match="the model is loaded uncompiled"):
        assert gn.load_model(path).loss is None
    path = edited(tmp_path, lambda h: h["compile"].update(metrics=["mae", "f1"]))
    with pytest.warns(UserWarning, match="metric 'f1' is not built in; skipped"):
        assert [m.name for m in gn.load_model(path).metrics] == ["mae"]
