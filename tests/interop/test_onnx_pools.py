"""Pooling of every rank and padding through ONNX, checked by onnxruntime both ways:
gn.onnx.load reads asymmetric, wide and SAME pads, AveragePool dilations and 1-D/3-D
pools as onnxruntime computes them; gn.onnx.export writes MaxPool1D/3D, AvgPool1D/3D and
the four-side padding so that onnxruntime returns glassnet's predict."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import glassnet as gn  # noqa: E402
from glassnet import nn  # noqa: E402


def _ort(proto, x):
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def _pool_model(op, shape, opset=19, **attrs):
    h = onnx.helper
    x = h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", *shape[1:]])
    y = h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)
    graph = h.make_graph([h.make_node(op, ["x"], ["y"], **attrs)], "g", [x], [y])
    return h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])


FORMS = [
    ("MaxPool", (2, 3, 7, 6), {"kernel_shape": [3, 2], "pads": [0, 1, 2, 1], "strides": [2, 1]}),
    ("MaxPool", (2, 2, 6, 6), {"kernel_shape": [3, 3], "auto_pad": "SAME_LOWER",
                               "strides": [2, 2]}),
    ("AveragePool", (2, 3, 7, 6), {"kernel_shape": [3, 3], "pads": [2, 0, 1, 2],
                                   "count_include_pad": 1}),
    ("AveragePool", (1, 2, 8, 7), {"kernel_shape": [2, 3], "dilations": [2, 1], "ceil_mode": 1,
                                   "strides": [2, 2], "pads": [1, 0, 0, 1]}),
    ("MaxPool", (2, 3, 11), {"kernel_shape": [3], "pads": [1, 2], "strides": [2]}),
    ("AveragePool", (2, 2, 5, 6, 4), {"kernel_shape": [2, 3, 2], "pads": [1, 0, 1, 0, 2, 1],
                                      "strides": [2, 2, 1]}),
    ("MaxPool", (1, 2, 5, 6, 7), {"kernel_shape": [2, 2, 3], "dilations": [2, 1, 1],
                                  "ceil_mode": 1, "strides": [2, 2, 2]}),
]  # fmt: skip


@pytest.mark.parametrize("op, shape, attrs", FORMS)
def test_loaded_pools_equal_onnxruntime(op, shape, attrs):
    proto = _pool_model(op, shape, **attrs)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours = gn.onnx.load(proto)
    np.testing.assert_allclose(ours.predict(x), _ort(proto, x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (nn.MaxPool1D(3, 2, (1, 0), ceil_mode=True), (4, 8)),
        (nn.AvgPool1D(3, 2, 1, ceil_mode=True), (4, 9)),
        (nn.MaxPool3D(2, padding=(1, 0, 0, 1, 1, 1), dilation=(1, 2, 1)), (2, 5, 6, 5)),
        (nn.AvgPool3D((2, 3, 2), 2, (1, 1, 0), count_include_pad=False), (2, 5, 6, 5)),
        (nn.MaxPool2D(3, 2, (0, 2, 1, 2)), (3, 7, 8)),
        (nn.AvgPool2D(3, 2, (1, 2, 2, 0), ceil_mode=True), (3, 7, 8)),
        (nn.AvgPool2D(2, 1, dilation=(2, 1)), (3, 7, 8)),
    ],
)
def test_pool_layers_export_and_load_back(layer, shape, tmp_path):
    x = np.random.default_rng(1).standard_normal((5, *shape)).astype(np.float32)
    inp = gn.Input(shape)
    model = gn.Model(inp, nn.Flatten()(layer(inp)))
    proto = gn.onnx.export(model, tmp_path / "pool.onnx", opset=19)
    want = model.predict(x)
    np.testing.assert_allclose(_ort(proto, x), want, rtol=1e-6, atol=1e-6)
    again = gn.onnx.load(proto)
    np.testing.assert_allclose(again.predict(x), want, rtol=1e-6, atol=1e-6)


def test_a_loaded_3d_pool_network_trains(tmp_path):
    h, rng = onnx.helper, np.random.default_rng(2)
    x = h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 2, 4, 4, 4])
    y = h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)
    w = onnx.numpy_helper.from_array(rng.standard_normal((16, 3)).astype(np.float32), "w")
    nodes = [
        h.make_node("MaxPool", ["x"], ["p"], kernel_shape=[2, 2, 2], strides=[2, 2, 2]),
        h.make_node("Flatten", ["p"], ["f"], axis=1),
        h.make_node("MatMul", ["f", "w"], ["y"]),
    ]
    proto = h.make_model(h.make_graph(nodes, "g", [x], [y], [w]),
                         opset_imports=[h.make_opsetid("", 17)])  # fmt: skip
    model = gn.onnx.load(proto)
    assert any(isinstance(m, nn.MaxPool3D) for m in model.modules())
    xs = rng.standard_normal((32, 2, 4, 4, 4)).astype(np.float32)
    ys = rng.integers(0, 3, 32)
    model.compile(gn.optim.Adam(lr=0.05), "cross_entropy")
    history = model.fit(xs, ys, epochs=10, batch_size=16, verbose=0, seed=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "m.gn")
    np.testing.assert_array_equal(gn.load_model(tmp_path / "m.gn").predict(xs), model.predict(xs))


def test_export_refuses_what_onnx_cannot_write():
    inp = gn.Input((2, 6, 6))
    crop = gn.Model(inp, nn.MaxPool2D(2, 2, (-1, 0, 0, 0))(inp))
    with pytest.raises(gn.ConfigError, match=r"onnx.export: layer .*negative padding"):
        gn.onnx.export(crop)
    dilated = gn.Model(inp, nn.AvgPool2D(2, 1, dilation=2)(inp))
    with pytest.raises(gn.ConfigError, match=r"AveragePool has dilations from opset 19"):
        gn.onnx.export(dilated)


@pytest.mark.parametrize("order", [0, 1])
def test_maxpool_indices_output_equals_onnxruntime_over_a_batch(order):
    h = onnx.helper
    x = h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 2, 5, 6])
    kinds = (("y", onnx.TensorProto.FLOAT), ("i", onnx.TensorProto.INT64))
    outs = [h.make_tensor_value_info(n, t, None) for n, t in kinds]
    node = h.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[3, 2], strides=[2, 2],
                       pads=[1, 0, 0, 1], storage_order=order)  # fmt: skip
    proto = h.make_model(h.make_graph([node], "g", [x], outs),
                         opset_imports=[h.make_opsetid("", 17)])  # fmt: skip
    data = np.random.default_rng(6).standard_normal((3, 2, 5, 6)).astype(np.float32)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    want_y, want_i = session.run(None, {"x": data})
    np.testing.assert_allclose(gn.onnx.load(proto, output="y").predict(data), want_y)
    indices = gn.onnx.load(proto, output=1)
    np.testing.assert_array_equal(indices.predict(data), want_i)  # rows 1, 2 count row 0
    np.testing.assert_array_equal(indices.predict(data, batch_size=1), want_i)  # never split
    again = gn.onnx.export(indices)
    session = ort.InferenceSession(again.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_array_equal(session.run(None, {"input": data})[0], want_i)
    refusal = r"\(MaxPool\): a glassnet model computes one of the graph's outputs"
    with pytest.raises(gn.DataError, match=refusal + r".*\n  hint: pass output='y'"):
        gn.onnx.load(proto)
