"""The last ONNX forms gn.onnx.load reads, each checked against onnx's own reference
runtime (onnx.reference.ReferenceEvaluator) and, where a runtime computes it, onnxruntime:
empty tensors (Reshape with allowzero), BatchNormalization's training form, and Dropout's
seeded training form."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx.reference import ReferenceEvaluator  # noqa: E402

import glassnet as gn  # noqa: E402

H = onnx.helper
F = onnx.TensorProto.FLOAT


def _model(nodes, inputs, outputs, inits=(), opset=17):
    infos = [H.make_tensor_value_info(n, F, s) for n, s in inputs]
    outs = [H.make_tensor_value_info(n, t, None) for n, t in outputs]
    graph = H.make_graph(nodes, "g", infos, outs, list(inits))
    return H.make_model(graph, opset_imports=[H.make_opsetid("", opset)])


def _weight(name, array):
    return onnx.numpy_helper.from_array(np.asarray(array), name)


def _reference(proto, feeds):
    names = [i.name for i in proto.graph.input]
    return ReferenceEvaluator(proto).run(None, dict(zip(names, feeds)))


def test_reshape_allowzero_of_an_empty_tensor_predicts_an_empty_result():
    node = H.make_node("Reshape", ["x", "shape"], ["y"], allowzero=1)
    proto = _model([node], [("x", [0, 3, 4])], [("y", F)],
                   [_weight("shape", np.array([3, 4, 0], np.int64))])  # fmt: skip
    net = gn.onnx.load(proto)
    x = np.zeros((0, 3, 4), np.float32)
    (want,) = _reference(proto, [x])
    assert net.whole_batch and want.shape == (3, 4, 0)
    assert net.predict(x).shape == want.shape == net.predict(x, batch_size=1).shape
    beside = H.make_node("Reshape", ["x", "shape"], ["y"], allowzero=1)
    proto = _model([beside], [("x", [0, 3, 4])], [("y", F)],
                   [_weight("shape", np.array([0, -1], np.int64))])  # fmt: skip
    with pytest.raises(gn.DataError, match=r"\(Reshape\): a 0-d result, or −1 beside an empty"):
        gn.onnx.load(proto)
    assert gn.nn.Reshape((4, 0))(np.zeros((2, 0, 3))).shape == (2, 4, 0)
    with pytest.raises(gn.ConfigError, match=r"Reshape: target_shape must be a tuple of posi"):
        gn.nn.Reshape((0, -1))
