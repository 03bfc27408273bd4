"""gn.onnx.load checked against torch.onnx.export of PyTorch models: outputs equal torch's to
1e-4; the imported model trains with fit, explains a weight and exports again."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

import torch_models as tm  # noqa: E402

import glassnet as gn  # noqa: E402

WORST = {}


def _mnist(n=128):
    (_, _), (x, y) = gn.data.load_mnist()
    return (x[:n] / 255.0).astype(np.float32).reshape(n, 1, 28, 28), y[:n]


def _load(model, shape, tmp_path, label):
    path = tmp_path / f"{label}.onnx"
    path.write_bytes(tm.to_onnx(model, shape))
    return gn.onnx.load(path)


def _same(ours, model, x, label):
    got, want = ours.predict(x), tm.outputs(model, x)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    WORST[label] = max(WORST.get(label, 0.0), float(np.abs(got - want).max()))


@pytest.mark.parametrize("label", ["mlp", "mnist_cnn", "resnet"])
def test_torch_exports_load_and_match(label, tmp_path, capsys):
    build = {"mlp": tm.mlp, "mnist_cnn": tm.mnist_cnn, "resnet": tm.ResNet}[label]
    model = tm.settled(build(), (1, 28, 28))
    ours = _load(model, (1, 28, 28), tmp_path, label)
    rng = np.random.default_rng(0)
    _same(ours, model, rng.normal(size=(16, 1, 28, 28)).astype(np.float32), label)
    _same(ours, model, _mnist()[0], label)
    with capsys.disabled():
        print(f"\nworst |glassnet − torch| for {label}: {WORST[label]:.3g}")


def test_imported_resnet_fine_tunes_explains_and_exports_again(tmp_path):
    model = tm.settled(tm.ResNet(), (1, 28, 28))
    ours = _load(model, (1, 28, 28), tmp_path, "resnet")
    x, y = _mnist(64)
    ours.compile(gn.optim.Adam(lr=1e-3), "cross_entropy", ["accuracy"])
    before = ours.evaluate(x, y)["loss"]
    ours.fit(x, y, epochs=2, batch_size=32, verbose=0, seed=0)
    assert ours.evaluate(x, y)["loss"] < before
    head = [n for n, p in ours.named_parameters()][-2]
    assert head.endswith(".w")
    path = tmp_path / "again.onnx"
    gn.onnx.export(ours, path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(
        session.run(None, {"input": x})[0], ours.predict(x), rtol=1e-5, atol=1e-5
    )


def test_unsupported_op_is_a_data_error_naming_node_and_op(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ELU()).eval()
    path = tmp_path / "elu.onnx"
    path.write_bytes(tm.to_onnx(model, (4,)))
    with pytest.raises(
        gn.DataError,
        match=r"onnx.load: node '.*' \(Elu\): the op type 'Elu' "
        r"is not supported.*\n  hint: glassnet reads: Gemm",
    ):
        gn.onnx.load(path)


def test_grouped_depthwise_and_ceil_mode_load_and_match_torch(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(4, 8, 3, groups=2),
        torch.nn.Conv2d(8, 16, 3, padding=1, groups=8),  # depthwise
        torch.nn.MaxPool2d(3, 2, 1, dilation=(1, 2), ceil_mode=True),
        torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
    ).eval()
    ours = _load(model, (4, 11, 9), tmp_path, "grouped")
    convs = [m for m in ours.modules() if isinstance(m, gn.nn.Conv2D)]
    assert [c.groups for c in convs] == [2, 8]
    x = np.random.default_rng(0).normal(size=(3, 4, 11, 9)).astype(np.float32)
    _same(ours, model, x, "grouped")


def test_narrowed_forms_name_the_attribute(tmp_path):
    h = onnx.helper
    x = h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 1, 5, 5])
    y = h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)
    for attrs, pattern in (
        ({"pads": [2, 0, 0, 0]}, r"\(MaxPool\): glassnet's layer refuses this form.*at most"),
        (
            {"pads": [0, 0, 3, 0], "op": "AveragePool"},
            r"\(AveragePool\): glassnet's layer refuses this form.*dilated window",
        ),
        ({"kernel_shape": [2, 2, 2]}, r"\(MaxPool\): the input's rank must be the kernel's"),
    ):
        op = attrs.pop("op", "MaxPool")
        attrs.setdefault("kernel_shape", [2, 2])
        node = h.make_node(op, ["x"], ["y"], **attrs)
        graph = h.make_graph([node], "g", [x], [y])
        model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
        with pytest.raises(gn.DataError, match=pattern):
            gn.onnx.load(model)


def test_imported_chain_explains_any_weight(tmp_path):
    model = tm.settled(tm.mnist_cnn(), (1, 28, 28))
    ours = _load(model, (1, 28, 28), tmp_path, "mnist_cnn")
    assert not ours.is_graph  # a chain: explain walks its layers like a Sequential's
    x, y = _mnist(1)
    names = [n for n, _ in ours.named_parameters()]
    # torch's exporter folds eval-mode BatchNorm into the convs; Dropout becomes no layer
    assert names[0] == "0.w" and names[-1] == "9.b"
    for spec in ("9.w[3, 7]", "7.b[5]", "0.w[2, 0, 1, 1]"):
        e = gn.explain.weight(ours, x, y, spec, loss="cross_entropy", lr=0.01)
        assert e.gradient == pytest.approx(e.autograd, rel=1e-6, abs=1e-12)
    resnet = _load(tm.settled(tm.ResNet(), (1, 28, 28)), (1, 28, 28), tmp_path, "resnet")
    assert resnet.is_graph  # residual additions: shown as one layer


def test_ceil_mode_end_padding_reads_as_ceil_mode():
    h = onnx.helper
    x = h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 1, 5, 5])
    y = h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)
    node = h.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2],
                       pads=[0, 0, 1, 1])  # fmt: skip
    graph = h.make_graph([node], "g", [x], [y])
    proto = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
    ours = gn.onnx.load(proto)
    data = np.random.default_rng(0).normal(size=(1, 1, 5, 5)).astype(np.float32)
    want = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(ours.predict(data), want.run(None, {"x": data})[0], atol=1e-6)
    want = torch.nn.functional.avg_pool2d(torch.from_numpy(data), 2, ceil_mode=True).numpy()
    np.testing.assert_allclose(ours.predict(data), want, atol=1e-6)
