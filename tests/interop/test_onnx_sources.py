"""What gn.onnx.load is handed in the wild: torch's default (dynamo) exporter's files, with
their weights in an external data file and the global pool as ReduceMean; the model's
bytes; and damaged files, which are DataErrors naming the file, never protobuf's own.
Also the Mean layer that ReduceMean loads as: float64 parity with torch.mean, forward and
backward with a random upstream gradient, and its ONNX form checked by onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")  # torch's dynamo exporter needs it

import torch_models as tm  # noqa: E402

import glassnet as gn  # noqa: E402


def _dynamo_export(model, shape, path):
    """torch.onnx.export as torch 2.13 does it by default (dynamo=True), to a file."""
    torch.onnx.export(
        model,
        (torch.zeros(2, *shape),),
        path,
        dynamo=True,
        external_data=True,
        input_names=["x"],
        dynamic_shapes=({0: torch.export.Dim("N")},),
        verbose=False,
    )
    return onnx.load(path, load_external_data=False)


@pytest.mark.parametrize("label", ["mlp", "mnist_cnn", "resnet"])
def test_torch_default_exporter_files_load_and_match(label, tmp_path):
    build = {"mlp": tm.mlp, "mnist_cnn": tm.mnist_cnn, "resnet": tm.ResNet}[label]
    model = tm.settled(build(), (1, 28, 28))
    path = tmp_path / f"{label}.onnx"
    proto = _dynamo_export(model, (1, 28, 28), path)
    ops = {n.op_type for n in proto.graph.node}
    if label == "resnet":  # its AdaptiveAvgPool2d(1) is a ReduceMean, its weights external
        assert "ReduceMean" in ops and (tmp_path / f"{label}.onnx.data").exists()
        assert any(t.data_location == onnx.TensorProto.EXTERNAL for t in proto.graph.initializer)
    ours = gn.onnx.load(path)
    x = np.random.default_rng(0).normal(size=(9, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(ours.predict(x), tm.outputs(model, x), rtol=1e-4, atol=1e-4)


def test_bytes_path_and_modelproto_load_the_same_model(tmp_path):
    model = tm.settled(tm.mlp(), (1, 28, 28))
    data = tm.to_onnx(model, (1, 28, 28))
    (tmp_path / "m.onnx").write_bytes(data)
    x = np.random.default_rng(1).normal(size=(4, 1, 28, 28)).astype(np.float32)
    outs = [
        gn.onnx.load(source).predict(x)
        for source in (data, bytearray(data), tmp_path / "m.onnx", onnx.load_from_string(data))
    ]
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])


def test_damaged_files_are_data_errors_naming_the_file(tmp_path):
    data = tm.to_onnx(tm.settled(tm.mlp(), (1, 28, 28)), (1, 28, 28))
    cut, text, empty = tmp_path / "cut.onnx", tmp_path / "text.onnx", tmp_path / "empty.onnx"
    cut.write_bytes(data[: len(data) // 3])
    text.write_text("a CSV, not a model\n1,2,3\n")
    empty.write_bytes(b"")
    for path in (cut, text):
        with pytest.raises(gn.DataError, match=rf"file '.*{path.name}': the bytes are not an"):
            gn.onnx.load(path)
    with pytest.raises(gn.DataError, match=r"empty.onnx': the model has no graph to read"):
        gn.onnx.load(empty)
    with pytest.raises(gn.DataError, match=r"the bytes given: the bytes are not an ONNX"):
        gn.onnx.load(data[:40])
    with pytest.raises(gn.DataError, match=r"onnx.load: the source is not a model. Got int"):
        gn.onnx.load(3)
    with pytest.raises(FileNotFoundError):
        gn.onnx.load(tmp_path / "missing.onnx")


@pytest.mark.parametrize(
    "shape, axis, keepdims",
    [((3, 4, 5, 6), (2, 3), True), ((3, 4, 5, 6), (-1, -2), False), ((3, 4, 5), 1, False),
     ((3, 4, 5), (1, 2), True), ((2, 7), -1, True)],
)  # fmt: skip
def test_mean_layer_matches_torch_mean(shape, axis, keepdims):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = gn.nn.Mean(axis, keepdims)(gx)
    ty = tx.mean(dim=axis, keepdim=keepdims)
    upstream = rng.standard_normal(y.shape)
    y.backward(upstream)
    ty.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(gx.grad, tx.grad.numpy(), atol=1e-12)


def test_mean_refuses_the_batch_axis_and_axes_outside_the_sample():
    with pytest.raises(gn.ConfigError, match=r"Mean: axis names each sample axis at most"):
        gn.nn.Mean(0)
    with pytest.raises(gn.ConfigError, match=r"Mean: axis names each sample axis at most"):
        gn.nn.Mean((1, 1))
    with pytest.raises(gn.ConfigError, match=r"Mean: axis must be an int or ints"):
        gn.nn.Mean("hw")
    with pytest.raises(gn.ShapeError, match=r"Mean\(axis=3, .*Got axis=3 of a batch of 3"):
        gn.nn.Mean(3)(np.zeros((2, 3, 4)))
    with pytest.raises(gn.ShapeError, match=r"outside the sample, or is the batch axis"):
        gn.nn.Mean(-3)(np.zeros((2, 3, 4)))


def test_mean_saves_exports_and_onnxruntime_agrees(tmp_path):
    model = gn.Sequential(
        [gn.nn.Conv2D(1, 4, 3), gn.nn.ReLU(), gn.nn.Mean((2, 3), keepdims=True),
         gn.nn.Flatten(), gn.nn.Dense(4, 3)]
    )  # fmt: skip
    x = np.random.default_rng(3).random((5, 1, 8, 8)).astype(np.float32)
    model.save(tmp_path / "m.glassnet")
    again = gn.load_model(tmp_path / "m.glassnet")
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    proto = gn.onnx.export(model, tmp_path / "m.onnx", input_shape=(1, 8, 8))
    assert "ReduceMean" in {n.op_type for n in proto.graph.node}
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(got, model.predict(x), atol=1e-5)
    np.testing.assert_allclose(gn.onnx.load(tmp_path / "m.onnx").predict(x), got, atol=1e-5)


class _ExampleNet(torch.nn.Module):
    """The shape of PyTorch's own MNIST example: conv, dropout, a flattening view and
    log_softmax, trained with nll_loss."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3)
        self.drop = torch.nn.Dropout(0.25)
        self.fc = torch.nn.Linear(4 * 13 * 13, 10)

    def forward(self, x):
        h = torch.nn.functional.max_pool2d(torch.relu(self.conv(x)), 2)
        h = self.drop(h).view(h.size(0), -1)
        return torch.nn.functional.log_softmax(self.fc(h), dim=1)


def test_a_log_softmax_model_loads_and_its_loss_is_torchs_nll_loss(tmp_path):
    net = tm.settled(_ExampleNet(), (1, 28, 28))
    proto = _dynamo_export(net, (1, 28, 28), tmp_path / "example.onnx")
    assert "LogSoftmax" in {n.op_type for n in proto.graph.node}
    ours = gn.onnx.load(tmp_path / "example.onnx")
    x = np.random.default_rng(4).random((8, 1, 28, 28)).astype(np.float32)
    y = np.arange(8) % 10
    logp = ours.predict(x)
    np.testing.assert_allclose(logp, tm.outputs(net, x), rtol=1e-4, atol=1e-4)
    want = torch.nn.functional.nll_loss(torch.from_numpy(logp), torch.from_numpy(y)).item()
    got = gn.losses.CrossEntropy(from_logits=True)(gn.tensor(logp), y).item()
    assert got == pytest.approx(want, rel=1e-6)  # log-probabilities are logits too


def test_log_softmax_layer_matches_torch():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3, 5)) * 10
    for axis in (1, -1):
        gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = gn.nn.LogSoftmax(axis)(gx), torch.log_softmax(tx, axis)
        upstream = rng.standard_normal(y.shape)
        y.backward(upstream)
        ty.backward(torch.from_numpy(upstream))
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(gx.grad, tx.grad.numpy(), atol=1e-12)
