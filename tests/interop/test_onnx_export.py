"""gn.onnx.export checked by onnxruntime: its outputs equal glassnet's predict to 1e-5.

Three networks (an MLP with every activation, the bundled mnist_cnn, a residual CNN with
BatchNorm, strides, dilation, padded average pooling and merges), on random and on MNIST
inputs. The worst difference is printed.
"""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import glassnet as gn  # noqa: E402
from glassnet import nn  # noqa: E402

WORST = {}


def _mnist(n=200):
    (_, _), (x, _) = gn.data.load_mnist()
    return (x[:n] / 255.0).astype(np.float32).reshape(n, 1, 28, 28)


def _check(model, x, tmp_path, label, **kwargs):
    path = tmp_path / f"{label}.onnx"
    proto = gn.onnx.export(model, path, **kwargs)
    assert proto.opset_import[0].version >= 17
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = x if isinstance(x, list) else [x]
    got = session.run(None, {i.name: f for i, f in zip(session.get_inputs(), feeds)})[0]
    want = model.predict(x)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    WORST[label] = max(WORST.get(label, 0.0), float(np.abs(got - want).max()))
    return proto


def mlp():
    return gn.Sequential(
        [
            nn.Flatten(),
            nn.Dense(784, 32, seed=0),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Dense(32, 16, seed=1),
            nn.Tanh(),
            nn.Dense(16, 16, seed=2),
            nn.Sigmoid(),
            nn.Dense(16, 16, seed=3),
            nn.LeakyReLU(0.1),
            nn.Dense(16, 16, seed=4),
            nn.BatchNorm(16),  # on (N, C) features
            nn.Softplus(),
            nn.Dense(16, 10, seed=5),
            nn.Softmax(),
        ]
    )


def residual_cnn():
    rng = np.random.default_rng(0)
    x = gn.Input((1, 28, 28))
    h = nn.Conv2D(1, 8, 3, stride=2, padding=1, seed=0)(x)
    bn = nn.BatchNorm(8)
    h = nn.ReLU()(bn(h))
    bn.set_buffer("running_mean", rng.normal(size=8).astype(np.float32))
    bn.set_buffer("running_var", rng.uniform(0.5, 2, size=8).astype(np.float32))
    bn.gamma.data[...] = rng.uniform(0.5, 1.5, size=8)
    branch = nn.Conv2D(8, 8, 3, padding="same", dilation=2, seed=1)(h)
    h = nn.ReLU()(gn.layers.Add()([branch, h]))
    gate = nn.Sigmoid()(nn.Conv2D(8, 8, 1, seed=2)(h))
    h = gn.layers.Multiply()([h, gate])
    pooled = nn.AvgPool2D(3, stride=2, padding=1)(h)
    maxed = nn.MaxPool2D(2)(h)
    h = gn.layers.Concatenate(axis=1)([pooled, maxed])
    h = nn.Reshape((16, 49))(h)
    h = nn.Flatten()(h)
    g = nn.GlobalAvgPool2D()(nn.Reshape((16, 7, 7))(h))
    return gn.Model(x, nn.Dense(16, 10, seed=3)(g))


def test_mlp_random_and_mnist(tmp_path):
    model = mlp()
    model[11].set_buffer("running_mean", np.linspace(-1, 1, 16, dtype=np.float32))
    model[11].set_buffer("running_var", np.linspace(0.5, 2, 16, dtype=np.float32))
    rng = np.random.default_rng(1)
    _check(
        model,
        rng.normal(size=(64, 1, 28, 28)).astype(np.float32),
        tmp_path,
        "mlp",
        input_shape=(1, 28, 28),
    )
    _check(model, _mnist(), tmp_path, "mlp", input_shape=(1, 28, 28))


def test_mnist_cnn_random_and_mnist(tmp_path):
    model = gn.pretrained.load("mnist-cnn")
    rng = np.random.default_rng(2)
    proto = _check(model, _mnist(), tmp_path, "mnist_cnn", input_shape=(1, 28, 28))
    _check(
        model,
        rng.uniform(0, 1, size=(32, 1, 28, 28)).astype(np.float32),
        tmp_path,
        "mnist_cnn",
        input_shape=(1, 28, 28),
    )
    names = {i.name for i in proto.graph.initializer}
    assert set(model.state_dict()) <= names  # glassnet's names: "0.w", "1.running_mean", ...


def test_residual_cnn_with_batchnorm_random_and_mnist(tmp_path, capsys):
    model = residual_cnn()
    rng = np.random.default_rng(3)
    _check(model, rng.normal(size=(16, 1, 28, 28)).astype(np.float32), tmp_path, "residual")
    _check(model, _mnist(64), tmp_path, "residual")
    with capsys.disabled():
        print("\nworst |onnxruntime − glassnet predict|:", WORST)


def test_two_inputs_export(tmp_path):
    a, b = gn.Input((3,)), gn.Input((2,))
    y = nn.Dense(5, 2, seed=0)(gn.layers.Concatenate()([a, b]))
    rng = np.random.default_rng(4)
    x = [rng.normal(size=(7, 3)).astype(np.float32), rng.normal(size=(7, 2)).astype(np.float32)]
    proto = _check(gn.Model([a, b], y), x, tmp_path, "two_inputs")
    assert [i.name for i in proto.graph.input] == ["input_0", "input_1"]


class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.s = nn.Parameter(np.ones(3, np.float32))

    def forward(self, x):
        return x * self.s


def test_errors_name_the_layer(tmp_path):
    with pytest.raises(
        gn.ConfigError, match=r"onnx.export: layer 1 .* has no ONNX form. Got Scale"
    ):
        gn.onnx.export(gn.Sequential([nn.Dense(3, 3), Scale()]), tmp_path / "x.onnx")
    with pytest.raises(gn.ConfigError, match="onnx.export: the input shape is unknown"):
        gn.onnx.export(gn.Sequential([nn.Conv2D(1, 2, 3)]), tmp_path / "x.onnx")
    with pytest.raises(gn.ConfigError, match="opset must be at least 17"):
        gn.onnx.export(gn.Sequential([nn.Dense(3, 3)]), tmp_path / "x.onnx", opset=13)


def test_cli_export(tmp_path, capsys):
    from glassnet.cli import main

    model = gn.pretrained.load("mnist-cnn")
    model.save(tmp_path / "cnn.gn")
    assert (
        main(["export", str(tmp_path / "cnn.gn"), "--format", "onnx", "--input-shape", "1,28,28"])
        == 0
    )
    assert "wrote" in capsys.readouterr().out
    session = ort.InferenceSession(str(tmp_path / "cnn.onnx"), providers=["CPUExecutionProvider"])
    x = _mnist(16)
    np.testing.assert_allclose(
        session.run(None, {"input": x})[0], model.predict(x), rtol=1e-5, atol=1e-5
    )
    assert main(["export", str(tmp_path / "cnn.gn"), "--input-shape", "a,b"]) == 2
    assert "--input-shape must be positive ints" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "cnn.gn"), "--out", str(tmp_path / "x.onnx")]) == 2
    assert "the input shape is unknown" in capsys.readouterr().err


def test_grouped_depthwise_conv_and_pool_options(tmp_path):
    model = gn.Sequential(
        [
            nn.Conv2D(4, 8, 3, padding=(0, 1, 2, 1), groups=2, seed=0),
            nn.Conv2D(8, 16, 3, padding=1, groups=8, seed=1),  # depthwise, multiplier 2
            nn.MaxPool2D(3, 2, 1, dilation=(1, 2), ceil_mode=True),
            nn.AvgPool2D(2, 2, 1, ceil_mode=True, count_include_pad=False),
            nn.AvgPool2D(3, 2, 1, ceil_mode=True),  # counts the declared padding only
        ]
    )
    x = np.random.default_rng(0).normal(size=(3, 4, 11, 9)).astype(np.float32)
    proto = _check(model, x, tmp_path, "options", input_shape=(4, 11, 9))
    attrs = [
        {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute} for n in proto.graph.node
    ]
    assert [a["group"] for a in attrs[:2]] == [2, 8]
    assert attrs[0]["pads"] == [2, 0, 1, 1]  # ONNX's [top, left, bottom, right]
    assert attrs[2]["dilations"] == [1, 2] and attrs[2]["pads"] == [1, 1, 2, 2]  # ceil: grown
    assert [n.op_type for n in proto.graph.node][-4:-1] == ["AveragePool", "AveragePool", "Mul"]
    # read back: the MaxPool's grown pads are recognised as ceil_mode (the rescaling Mul
    # of the last average is left out: a Mul by a constant is not read)
    head = gn.Sequential(list(model.layers)[:4])
    again = gn.onnx.load(gn.onnx.export(head, tmp_path / "head.onnx", input_shape=(4, 11, 9)))
    pools = [m for m in again.modules() if isinstance(m, nn.MaxPool2D | nn.AvgPool2D)]
    assert pools[0].options["ceil_mode"] and pools[0].options["dilation"] == (1, 2)
    np.testing.assert_allclose(again.predict(x), head.predict(x), rtol=1e-6, atol=1e-6)
