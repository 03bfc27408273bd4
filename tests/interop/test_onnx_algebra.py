"""The tensor algebra of imported graphs, checked against torch and onnxruntime: the
MatMul, Permute, Bias and Scale layers (float64 parity of forward and backward with a
random upstream gradient), broadcasting Add/Multiply, integer graphs computed in their
dtype, and graphs that mix axis 0, which load as whole-batch models that predict, train,
save and export again."""

from __future__ import annotations

import numpy as np
import pytest
import torch

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import glassnet as gn  # noqa: E402
from glassnet import nn  # noqa: E402
from glassnet.onnx.model import WholeBatchModel  # noqa: E402

H = onnx.helper


def _ort(proto, feeds):
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: f for i, f in zip(session.get_inputs(), feeds)})[0]


def _model(nodes, inputs, inits=(), opset=17):
    infos = [H.make_tensor_value_info(n, t, s) for n, t, s in inputs]
    y = H.make_tensor_value_info("y", inputs[0][1], None)
    graph = H.make_graph(nodes, "g", infos, [y], list(inits))
    return H.make_model(graph, opset_imports=[H.make_opsetid("", opset)])


def _weight(name, array):
    return onnx.numpy_helper.from_array(np.asarray(array), name)


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [((2, 3, 4), (2, 4, 5)), ((2, 4), (2, 3, 4, 5)), ((2, 1, 3, 4), (2, 5, 4, 2)),
     ((2, 4), (2, 4)), ((2, 3, 4), (2, 4))],
)  # fmt: skip
def test_matmul_layer_matches_torch_per_sample(shape_a, shape_b):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    ga, gb = gn.tensor(a, requires_grad=True), gn.tensor(b, requires_grad=True)
    y = nn.MatMul()([ga, gb])
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    ty = torch.stack([torch.matmul(ta[i], tb[i]) for i in range(2)])
    upstream = rng.standard_normal(y.shape)
    y.backward(upstream)
    ty.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(ga.grad, ta.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(gb.grad, tb.grad.numpy(), atol=1e-12)


def test_permute_bias_and_scale_match_torch():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4))
    bias, scale = nn.Bias((3, 1), dtype=np.float64), nn.Scale((4,), dtype=np.float64)
    bias.w.data[...], scale.w.data[...] = rng.standard_normal((3, 1)), rng.standard_normal(4)
    gx = gn.tensor(x, requires_grad=True)
    y = nn.Permute((2, 1))(scale(bias(gx)))
    tx = torch.tensor(x, requires_grad=True)
    tb, ts = (torch.tensor(p.w.data, requires_grad=True) for p in (bias, scale))
    ty = ((tx + tb) * ts).permute(0, 2, 1)
    upstream = rng.standard_normal(y.shape)
    y.backward(upstream)
    ty.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-12)
    for mine, theirs in ((gx.grad, tx), (bias.w.grad, tb), (scale.w.grad, ts)):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), atol=1e-12)
    with pytest.raises(gn.ShapeError, match=r"Bias\(\(3, 1\)\): the weight does not broadcast"):
        bias(np.zeros((2, 4)))
    with pytest.raises(gn.ConfigError, match=r"Permute: dims must order the axes 1\.\.k"):
        nn.Permute((0, 1))


def test_a_graph_that_mixes_axis_0_is_a_whole_batch_model(tmp_path):
    """Gemm with transA and a bias per row: the rows of A's transpose are no batch."""
    rng = np.random.default_rng(2)
    b, c = rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    node = H.make_node("Gemm", ["a", "b", "c"], ["y"], transA=1, alpha=0.5)
    proto = _model(
        [node],
        [("a", onnx.TensorProto.FLOAT, [4, 3])],
        [_weight("b", b.astype(np.float32)), _weight("c", c.astype(np.float32))],
    )
    model = gn.onnx.load(proto)  # fmt: skip
    assert model.whole_batch and isinstance(model, WholeBatchModel)
    assert "whole batch" in model.summary()
    x = rng.standard_normal((4, 3)).astype(np.float32)
    want = _ort(proto, [x])
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.predict(x, batch_size=1), want, rtol=1e-5, atol=1e-5)
    again = gn.onnx.export(model, tmp_path / "again.onnx")
    np.testing.assert_allclose(_ort(again, [x]), want, rtol=1e-5, atol=1e-5)
    xs = rng.standard_normal((16, 4, 3)).astype(np.float32)  # a stack of whole tensors
    ys = rng.standard_normal((16, 3, 5)).astype(np.float32)
    model.compile(gn.optim.Adam(lr=0.05), "mse")
    history = model.fit(xs, ys, epochs=10, batch_size=8, verbose=0, seed=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "m.gn")
    loaded = gn.load_model(tmp_path / "m.gn")
    assert type(loaded) is WholeBatchModel
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_broadcasting_merges_and_weights_load_train_and_export(tmp_path):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((1, 4)).astype(np.float32)
    nodes = [
        H.make_node("Add", ["x", "z"], ["s"]),  # (N, 3, 4) + (N, 1, 4)
        H.make_node("Mul", ["s", "w"], ["m"]),  # a weight of one row: Scale((4,))
        H.make_node("MatMul", ["m", "x2"], ["y"]),  # (N, 3, 4) @ (N, 4, 2)
    ]
    f = onnx.TensorProto.FLOAT
    proto = _model(nodes, [("x", f, ["N", 3, 4]), ("z", f, ["N", 1, 4]), ("x2", f, ["N", 4, 2])],
                   [_weight("w", w)])  # fmt: skip
    model = gn.onnx.load(proto)
    assert not model.whole_batch
    assert {type(m) for m in model.modules()} >= {nn.Add, nn.Scale, nn.MatMul}
    feeds = [rng.standard_normal((5, *s)).astype(np.float32) for s in ((3, 4), (1, 4), (4, 2))]
    want = _ort(proto, feeds)
    np.testing.assert_allclose(model.predict(feeds), want, rtol=1e-5, atol=1e-5)
    again = gn.onnx.export(model, tmp_path / "again.onnx")
    np.testing.assert_allclose(_ort(again, feeds), want, rtol=1e-5, atol=1e-5)
    model.compile(gn.optim.SGD(lr=0.01), "mse")
    before = model.layers[1].w.data.copy()
    model.fit(feeds, np.zeros((5, 3, 2), np.float32), epochs=1, verbose=0)
    assert not np.array_equal(model.layers[1].w.data, before)  # the weight trains


def test_integer_graphs_compute_in_their_dtype():
    """int8 wraps around as ONNX (and onnxruntime) computes it; a float model would not."""
    nodes = [
        H.make_node("Add", ["a", "b"], ["s"]),
        H.make_node("MaxPool", ["s"], ["y"], kernel_shape=[2], strides=[1]),
    ]
    proto = _model(nodes, [("a", onnx.TensorProto.INT8, ["N", 1, 4]),
                           ("b", onnx.TensorProto.INT8, ["N", 1, 4])])  # fmt: skip
    x = np.array([[[100, 120, -5, 7]]], np.int8)
    model = gn.onnx.load(proto)
    got = model.predict([x, x])
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, np.array([[[-16, -10, 14]]], np.int8))
    np.testing.assert_array_equal(got, _ort(proto, [x, x]))


def test_whole_batch_forms_still_refused_name_the_node():
    node = H.make_node("Conv", ["x", "w"], ["c"])
    flat = H.make_node("Flatten", ["c"], ["y"], axis=0)
    proto = _model([node, flat], [("x", onnx.TensorProto.FLOAT, [1, 1, 3, 3])],
                   [_weight("w", np.ones((1, 1, 2, 2), np.float32))])  # fmt: skip
    with pytest.raises(gn.DataError, match=r"node '.*' \(Conv\): image ops are not read in a "
                                           r"graph that mixes the batch axis"):  # fmt: skip
        gn.onnx.load(proto)


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [((4,), (3, 4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((1, 3, 4), (2, 4, 2))],
)
def test_matmul_and_broadcasting_add_export_as_onnxruntime_computes(shape_a, shape_b, tmp_path):
    rng = np.random.default_rng(4)
    a, b = gn.Input(shape_a), gn.Input(shape_b)
    y = nn.MatMul()([a, b])
    model = gn.Model([a, b], nn.Add()([y, nn.Bias(y.shape[-1:])(y)]) if y.ndim > 1 else y)
    feeds = [rng.standard_normal((3, *s)).astype(np.float32) for s in (shape_a, shape_b)]
    proto = gn.onnx.export(model, tmp_path / "m.onnx")
    np.testing.assert_allclose(_ort(proto, feeds), model.predict(feeds), rtol=1e-5, atol=1e-5)


def test_add_of_a_lower_rank_input_exports_with_the_batch_axis_kept(tmp_path):
    a, b = gn.Input((3, 4)), gn.Input((4,))
    model = gn.Model([a, b], nn.Multiply()([a, b]))
    rng = np.random.default_rng(5)
    feeds = [rng.standard_normal((2, 3, 4)).astype(np.float32),
             rng.standard_normal((2, 4)).astype(np.float32)]  # fmt: skip
    want = np.stack([feeds[0][i] * feeds[1][i] for i in range(2)])
    np.testing.assert_allclose(model.predict(feeds), want, rtol=1e-6)
    proto = gn.onnx.export(model, tmp_path / "m.onnx")
    np.testing.assert_allclose(_ort(proto, feeds), want, rtol=1e-6)


def test_a_dropout_mask_output_is_every_element_kept_as_onnxruntime_says():
    node = H.make_node("Dropout", ["x"], ["y", "mask"])
    f = onnx.TensorProto.FLOAT
    graph = H.make_graph(
        [node],
        "g",
        [H.make_tensor_value_info("x", f, ["N", 4])],
        [H.make_tensor_value_info("y", f, None),
         H.make_tensor_value_info("mask", onnx.TensorProto.BOOL, None)],
    )  # fmt: skip
    proto = H.make_model(graph, opset_imports=[H.make_opsetid("", 17)])
    x = np.random.default_rng(7).standard_normal((3, 4)).astype(np.float32)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    want_y, want_mask = session.run(None, {"x": x})
    np.testing.assert_array_equal(gn.onnx.load(proto, output="y").predict(x), want_y)
    mask_model = gn.onnx.load(proto, output="mask")
    mask = mask_model.predict(x)
    assert mask.dtype == bool
    np.testing.assert_array_equal(mask, want_mask)
    again = gn.onnx.export(mask_model)
    np.testing.assert_array_equal(_ort(again, [x]), want_mask)
    training = H.make_node("Dropout", ["x", "r", "t"], ["y"])
    ratio, on = _weight("r", np.float32(0.3)), _weight("t", np.bool_(True))
    proto = _model([training], [("x", f, ["N", 4])], [ratio, on])
    with pytest.raises(gn.DataError, match=r"\(Dropout\): the training form without a seed"):
        gn.onnx.load(proto)


def test_layer_and_reader_refusals_say_what_they_need():
    with pytest.raises(gn.ShapeError, match=r"MatMul\(\): MatMul takes two batches of equal"):
        nn.MatMul()([np.zeros((2, 3)), np.zeros((3, 3))])
    with pytest.raises(gn.ShapeError, match=r"MatMul\(\): the inner sizes differ"):
        nn.MatMul()([np.zeros((2, 3, 4)), np.zeros((2, 3, 4))])
    with pytest.raises(gn.ShapeError, match=r"Permute\(\(2, 1\)\): a sample must have 2 axes"):
        nn.Permute((2, 1))(np.zeros((2, 3)))
    with pytest.raises(gn.ConfigError, match=r"Scale: shape must be positive ints"):
        nn.Scale((0, 2))
    with pytest.raises(gn.ConfigError, match=r"MaxPoolIndices: storage_order must be 0 or 1"):
        nn.MaxPoolIndices((2, 2), (2, 2), storage_order=2)
    f = onnx.TensorProto.FLOAT
    cases = [
        (H.make_node("MatMul", ["x", "w"], ["y"]), np.ones((2, 3, 4), np.float32),
         r"\(MatMul\): a constant right side must be a matrix"),
        (H.make_node("Gemm", ["x", "w"], ["y"]), np.ones((3, 4), np.float32),
         r"\(Gemm\): A must be a matrix"),
        (H.make_node("Add", ["x", "w"], ["y"]), np.ones((1, 1, 1, 3), np.float32),
         r"\(Add\): a weight of higher rank than the tensor is not read"),
        (H.make_node("Concat", ["x", "w"], ["y"], axis=1), np.ones((1, 3, 3), np.float32),
         r"\(Concat\): an operand is a constant"),
        (H.make_node("MaxPool", ["x"], ["y"], kernel_shape=[1, 1, 1, 1]), None,
         r"\(MaxPool\): the input's rank must be the kernel's plus two"),
    ]  # fmt: skip
    for node, weight, pattern in cases:
        inits = [] if weight is None else [_weight("w", weight)]
        with pytest.raises(gn.DataError, match=pattern):
            gn.onnx.load(_model([node], [("x", f, ["N", 3, 3])], inits))
    rank6 = H.make_node("MaxPool", ["x"], ["y"], kernel_shape=[1, 1, 1, 1])
    with pytest.raises(gn.DataError, match=r"\(MaxPool\): only 1-, 2- and 3-D pooling is read"):
        gn.onnx.load(_model([rank6], [("x", f, ["N", 1, 2, 2, 2, 2])]))
