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
    again = gn.onnx.export(net)  # Reshape(allowzero=1): a 0 is an empty axis, not a copy
    session = ort.InferenceSession(again.SerializeToString(), providers=["CPUExecutionProvider"])
    assert session.run(None, {"input": x})[0].shape == want.shape
    beside = H.make_node("Reshape", ["x", "shape"], ["y"], allowzero=1)
    proto = _model([beside], [("x", [0, 3, 4])], [("y", F)],
                   [_weight("shape", np.array([0, -1], np.int64))])  # fmt: skip
    with pytest.raises(gn.DataError, match=r"\(Reshape\): a 0-d result, or −1 beside an empty"):
        gn.onnx.load(proto)
    assert gn.nn.Reshape((4, 0))(np.zeros((2, 0, 3))).shape == (2, 4, 0)
    with pytest.raises(gn.ConfigError, match=r"Reshape: target_shape must be a tuple of posi"):
        gn.nn.Reshape((0, -1))


def _batch_norm_training(momentum=0.8, epsilon=1e-3, outputs=("y", "mean", "var")):
    rng = np.random.default_rng(1)
    c = 3
    weights = [rng.standard_normal(c), rng.standard_normal(c), rng.standard_normal(c),
               rng.random(c) + 0.5]  # fmt: skip
    inits = [_weight(n, w.astype(np.float32)) for n, w in zip("sbmv", weights)]
    node = H.make_node("BatchNormalization", ["x", *"sbmv"], list(outputs),
                       training_mode=1, momentum=momentum, epsilon=epsilon)  # fmt: skip
    proto = _model([node], [("x", [2, c, 4, 5])], [(o, F) for o in outputs if o], inits)
    return proto, rng.standard_normal((2, c, 4, 5)).astype(np.float32)


def test_batch_norm_training_form_equals_the_reference_runtime_for_every_output(tmp_path):
    proto, x = _batch_norm_training()
    wants = _reference(proto, [x])
    for i, want in enumerate(wants):
        net = gn.onnx.load(proto, output=i)
        assert net.whole_batch and type(net.layers[-1]).__name__ in (
            "BatchStatNorm",
            "RunningStat",
        )
        np.testing.assert_allclose(net.predict(x), want, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(net.predict(x, batch_size=1), want, rtol=1e-5, atol=1e-6)
        again = gn.onnx.export(net, tmp_path / f"bn{i}.onnx")  # written back: training form
        assert any(a.name == "training_mode" and a.i == 1 for n in again.graph.node
                   if n.op_type == "BatchNormalization" for a in n.attribute)  # fmt: skip
        session = ort.InferenceSession(
            again.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        (got,) = session.run(None, {"input": x})
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        net.save(tmp_path / f"bn{i}.gn")
        np.testing.assert_array_equal(
            gn.load_model(tmp_path / f"bn{i}.gn").predict(x), net.predict(x)
        )


def test_batch_norm_training_layers_match_torch_in_float64():
    torch = pytest.importorskip("torch")
    from glassnet.onnx.layers import BatchStatNorm, RunningStat

    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 4, 3, 2, 5))  # one whole tensor (N, C, H, W) = (4, 3, 2, 5)
    gamma, beta, running = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)
    norm = BatchStatNorm(3, eps=1e-3, dtype=np.float64)
    norm.gamma.data[...], norm.beta.data[...] = gamma, beta
    stat = RunningStat(3, "var", momentum=0.7, dtype=np.float64)
    stat.set_buffer("running", running.copy())
    gx = gn.tensor(x, requires_grad=True)
    tx = torch.tensor(x[0], requires_grad=True)
    tg, tb = torch.tensor(gamma, requires_grad=True), torch.tensor(beta, requires_grad=True)
    ty = torch.nn.functional.batch_norm(tx, None, None, tg, tb, training=True, eps=1e-3)
    tv = 0.7 * torch.tensor(running) + 0.3 * tx.var(dim=(0, 2, 3), unbiased=False)
    y, v = norm(gx), stat(gx)
    up_y, up_v = rng.standard_normal(y.shape), rng.standard_normal(v.shape)
    (gn.ops.sum(gn.ops.mul(y, up_y)) + gn.ops.sum(gn.ops.mul(v, up_v))).backward()
    ((ty * torch.tensor(up_y[0])).sum() + (tv * torch.tensor(up_v[0])).sum()).backward()
    np.testing.assert_allclose(y.numpy()[0], ty.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(v.numpy()[0], tv.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(gx.grad[0], tx.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(norm.gamma.grad, tg.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(norm.beta.grad, tb.grad.numpy(), atol=1e-10)
    gn.gradcheck(norm, x)  # and numerically, each with a random upstream gradient
    gn.gradcheck(stat, x)
    with pytest.raises(gn.ShapeError, match=r"BatchStatNorm\(3\): input must be whole tensors"):
        norm(np.zeros((4, 3)))
    with pytest.raises(gn.ConfigError, match=r"RunningStat: momentum must be in \[0, 1\]"):
        RunningStat(3, momentum=1.5)
    with pytest.raises(gn.ConfigError, match=r"RunningStat: unknown statistic"):
        RunningStat(3, statistic="std")


def test_an_imported_training_form_batch_norm_fine_tunes():
    proto, x = _batch_norm_training(outputs=("y",))
    net = gn.onnx.load(proto)
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((4, *x.shape)).astype(np.float32)  # four whole tensors
    target = 2.0 * xs + 1.0
    net.compile(optimizer=gn.optim.SGD(net.parameters(), lr=0.1), loss="mse")
    history = net.fit(xs, target, epochs=5, batch_size=2, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_batch_norm_statistics_outputs_before_opset_14_are_refused():
    proto, _ = _batch_norm_training()
    proto.graph.node[0].attribute.pop()  # no training_mode: opset 9-13's form
    with pytest.raises(gn.DataError, match=r"\(BatchNormalization\): statistics outputs without"):
        gn.onnx.load(proto, output=0)


def _dropout(ratio=0.3, seed=5, mask=True, shape=(3, 4, 5)):
    outputs = ["y", "mask"] if mask else ["y"]
    node = H.make_node(
        "Dropout", ["x", "r", "t"], outputs, **({} if seed is None else {"seed": seed})
    )
    inits = [_weight("r", np.float32(ratio)), _weight("t", np.bool_(True))]
    return _model([node], [("x", list(shape))],
                  [("y", F), ("mask", onnx.TensorProto.BOOL)][: len(outputs)], inits)  # fmt: skip


def test_seeded_training_dropout_draws_the_mask_onnx_reference_runtime_draws():
    proto = _dropout()
    x = np.random.default_rng(4).standard_normal((3, 4, 5)).astype(np.float32)
    want_y, want_mask = _reference(proto, [x])
    net = gn.onnx.load(proto, output="y")
    assert net.whole_batch
    np.testing.assert_allclose(net.predict(x), want_y, rtol=1e-6)
    np.testing.assert_allclose(net.predict(x), net.predict(x, batch_size=1))  # the same mask
    mask = gn.onnx.load(proto, output="mask").predict(x)
    assert mask.dtype == bool and 0 < mask.mean() < 1
    np.testing.assert_array_equal(mask, want_mask)
    gx = gn.tensor(x[None], requires_grad=True)
    upstream = np.random.default_rng(5).standard_normal(gx.shape).astype(np.float32)
    net.layers[-1](gx).backward(upstream)
    np.testing.assert_allclose(gx.grad[0], upstream[0] * want_mask / 0.7, rtol=1e-6)
    with pytest.raises(gn.ConfigError, match=r"SeededDropout.*draws NumPy's seeded mask"):
        gn.onnx.export(net)
    assert gn.nn.Dropout(0.3, seed=5)(x).shape == x.shape  # glassnet's own layer: unchanged
    with pytest.raises(gn.DataError, match=r"\(Dropout\): the training form without a seed"):
        gn.onnx.load(_dropout(seed=None, mask=False))
    with pytest.raises(gn.DataError, match=r"\(Dropout\): the ratio must be one number"):
        gn.onnx.load(_dropout(ratio=1.0, mask=False))
    with pytest.raises(gn.DataError, match=r"\(Dropout\): glassnet's layer refuses this form"):
        gn.onnx.load(_dropout(seed=-1, mask=False))
