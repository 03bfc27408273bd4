"""Shape arithmetic in imported graphs: torch's TorchScript exporter writes
``x.view(x.size(0), -1)`` as Shape → Gather → Unsqueeze → Concat → Reshape. gn.onnx.load
computes it once, with the batch size as a marker that may only start a Reshape target;
checked against torch and onnxruntime at several batch sizes, and every other use of the
batch size refused with a DataError naming the node."""

from __future__ import annotations

import io

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

import torch_models as tm  # noqa: E402

import glassnet as gn  # noqa: E402

H = onnx.helper


class _ViewNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 3, 3)
        self.fc = torch.nn.Linear(3 * 6 * 6, 4)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return self.fc(h.view(h.size(0), -1))


def test_a_view_by_the_batch_size_loads_and_matches_torch_at_any_batch_size():
    net = tm.settled(_ViewNet(), (1, 8, 8))
    buffer = io.BytesIO()
    torch.onnx.export(net, torch.zeros(2, 1, 8, 8), buffer, dynamo=False, input_names=["x"],
                      dynamic_axes={"x": {0: "N"}})  # fmt: skip
    proto = onnx.load_from_string(buffer.getvalue())
    assert {"Shape", "Gather", "Unsqueeze"} <= {n.op_type for n in proto.graph.node}
    ours = gn.onnx.load(proto)
    assert not ours.whole_batch
    for n in (1, 5, 9):
        x = np.random.default_rng(n).standard_normal((n, 1, 8, 8)).astype(np.float32)
        np.testing.assert_allclose(ours.predict(x), tm.outputs(net, x), rtol=1e-5, atol=1e-5)


def _graph(nodes, inits, out_shape=None):
    x = H.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 2, 3, 4])
    y = H.make_tensor_value_info("y", onnx.TensorProto.FLOAT, out_shape)
    graph = H.make_graph(nodes, "g", [x], [y], [onnx.numpy_helper.from_array(v, k)
                                                for k, v in inits.items()])  # fmt: skip
    return H.make_model(graph, opset_imports=[H.make_opsetid("", 17)])


def test_slice_and_cast_of_the_shape_keep_the_batch_and_onnxruntime_agrees():
    nodes = [
        H.make_node("Shape", ["x"], ["s"]),
        H.make_node("Slice", ["s", "zero", "two"], ["head"]),  # (N, 2)
        H.make_node("Cast", ["head"], ["head64"], to=onnx.TensorProto.INT64),
        H.make_node("Concat", ["head64", "minus1"], ["target"], axis=0),  # (N, 2, -1)
        H.make_node("Reshape", ["x", "target"], ["y"]),
    ]
    inits = {"zero": np.array([0]), "two": np.array([2]), "minus1": np.array([-1])}
    model = _graph(nodes, inits)
    x = np.random.default_rng(0).standard_normal((3, 2, 3, 4)).astype(np.float32)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (want,) = session.run(None, {"x": x})
    ours = gn.onnx.load(model)
    assert want.shape == (3, 2, 12) and not ours.whole_batch
    np.testing.assert_array_equal(ours.predict(x), want)


def _batch_then(nodes_after, inits):
    first = [
        H.make_node("Shape", ["x"], ["s"]),
        H.make_node("Gather", ["s", "i0"], ["n"], axis=0),
        H.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
    ]
    return _graph(first + nodes_after, {"i0": np.array(0), "ax0": np.array([0]), **inits})


def test_the_batch_size_anywhere_but_first_in_a_reshape_target_is_refused():
    doubled = _batch_then(
        [H.make_node("Mul", ["n1", "two"], ["n2"], name="double"),
         H.make_node("Concat", ["n2", "minus1"], ["t"], axis=0),
         H.make_node("Reshape", ["x", "t"], ["y"])],
        {"two": np.array([2]), "minus1": np.array([-1])},
    )  # fmt: skip
    with pytest.raises(gn.DataError, match=r"node 'double' \(Mul\): input 0 is computed from the"):
        gn.onnx.load(doubled)
    last = _batch_then(
        [H.make_node("Concat", ["minus1", "n1"], ["t"], axis=0),
         H.make_node("Reshape", ["x", "t"], ["y"], name="to_last")],
        {"minus1": np.array([-1])},
    )  # fmt: skip
    with pytest.raises(gn.DataError, match=r"'to_last' \(Reshape\).*only as the first size"):
        gn.onnx.load(last)


def test_shape_ops_on_a_computed_tensor_are_refused():
    model = _graph(
        [H.make_node("Gather", ["x", "i"], ["y"], axis=1, name="pick")], {"i": np.array([0])}
    )
    with pytest.raises(gn.DataError, match=r"'pick' \(Gather\): Gather is read in shape arith"):
        gn.onnx.load(model)
