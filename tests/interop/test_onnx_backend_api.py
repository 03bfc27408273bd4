"""gn.onnx.backend, glassnet behind onnx's Backend interface: graphs with several outputs,
outputs passed on by Identity (a sequence, an optional), constant outputs, weights fed as
graph inputs, checked against onnx's reference runtime and onnxruntime; and onnx's own
BackendTest runner over every node case of the ops glassnet reads."""

from __future__ import annotations

import importlib
import re

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx.backend.base import Backend, BackendRep  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

import glassnet as gn  # noqa: E402

H = onnx.helper
F = onnx.TensorProto.FLOAT


def _graph():
    """x → Relu → y;  s (a sequence) → Identity → s_out;  a Constant → c."""
    seq = H.make_sequence_type_proto(H.make_tensor_type_proto(F, [2]))
    c = np.arange(6, dtype=np.float32).reshape(2, 3)
    nodes = [
        H.make_node("Relu", ["x"], ["y"], name="relu"),
        H.make_node("Identity", ["s"], ["s_mid"], name="first"),
        H.make_node("Identity", ["s_mid"], ["s_out"], name="second"),
        H.make_node("Constant", [], ["c"], value=onnx.numpy_helper.from_array(c)),
    ]
    inputs = [H.make_tensor_value_info("x", F, ["N", 3]), H.make_value_info("s", seq)]
    outputs = [H.make_tensor_value_info("y", F, ["N", 3]), H.make_value_info("s_out", seq),
               H.make_tensor_value_info("c", F, [2, 3])]  # fmt: skip
    graph = H.make_graph(nodes, "g", inputs, outputs)
    return H.make_model(graph, opset_imports=[H.make_opsetid("", 17)]), c


def test_prepare_runs_every_output_as_onnx_reference_runtime_does():
    proto, c = _graph()
    rep = gn.onnx.backend.prepare(proto)
    assert isinstance(rep, BackendRep) and issubclass(gn.onnx.backend.GlassnetBackend, Backend)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    seq = [np.ones(2, np.float32), np.zeros(2, np.float32)]
    y, s_out, got_c = rep.run([x, seq])
    want = ReferenceEvaluator(proto).run(None, {"x": x, "s": seq})
    np.testing.assert_array_equal(y, want[0])
    assert s_out is seq and isinstance(want[1], list)  # passed on unchanged
    np.testing.assert_array_equal(got_c, want[2])
    np.testing.assert_array_equal(rep.run({"x": x, "s": []})[2], c)
    assert rep.inputs == ["x", "s"] and list(rep.models) == ["y"]
    np.testing.assert_array_equal(gn.onnx.backend.run_model(proto, [x, seq])[0], y)
    with pytest.raises(gn.DataError, match=r"gn.onnx.backend run: one value per graph input"):
        rep.run([x])


def test_a_graph_with_no_inputs_runs_to_its_constant():
    value = np.random.default_rng(1).standard_normal((5, 5)).astype(np.float32)
    node = H.make_node("Constant", [], ["values"], value=onnx.numpy_helper.from_array(value))
    graph = H.make_graph([node], "g", [], [H.make_tensor_value_info("values", F, [5, 5])])
    proto = H.make_model(graph, opset_imports=[H.make_opsetid("", 17)])
    (got,) = gn.onnx.backend.prepare(proto).run([])
    np.testing.assert_array_equal(got, value)
    with pytest.raises(gn.DataError, match=r"\(Constant\): the output 'values' is not computed"):
        gn.onnx.load(proto)  # no model: nothing to train


def test_a_sequence_any_node_but_identity_reads_is_refused_naming_it():
    proto, _ = _graph()
    proto.graph.node.append(H.make_node("Relu", ["s"], ["bad"], name="reads_s"))
    broken = type(proto)()
    broken.CopyFrom(proto)
    broken.graph.output.append(H.make_tensor_value_info("bad", F, None))
    with pytest.raises(gn.DataError, match=r"prepare: the model fails onnx.checker. Got Field"):
        gn.onnx.backend.prepare(broken)
    proto.graph.output.append(H.make_tensor_value_info("bad", F, [2]))
    with pytest.raises(gn.DataError, match=r"node 'reads_s' \(Relu\): graph input 's' is not"):
        gn.onnx.backend.prepare(proto)
    with pytest.raises(gn.DataError, match=r"'first' \(Identity\): graph input 's' is not a"):
        gn.onnx.load(_graph()[0], output="s_out")  # a sequence is no model's input
    with pytest.raises(gn.ConfigError, match=r"backend: glassnet runs on the CPU. Got 'CUDA'"):
        gn.onnx.backend.prepare(proto, "CUDA")
    assert gn.onnx.backend.supports_device("CPU") and not gn.onnx.backend.supports_device("CUDA")


def test_weights_fed_as_inputs_are_bound_at_run_and_the_models_train():
    node = H.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])
    inputs = [H.make_tensor_value_info("x", F, [2, 1, 5, 5]),
              H.make_tensor_value_info("w", F, [3, 1, 3, 3])]  # fmt: skip
    graph = H.make_graph([node], "g", inputs, [H.make_tensor_value_info("y", F, [2, 3, 5, 5])])
    proto = H.make_model(graph, opset_imports=[H.make_opsetid("", 17)])
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    rep = gn.onnx.backend.prepare(proto)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 1, 5, 5)).astype(np.float32)
    for _ in range(2):  # a new W: a new model
        w = rng.standard_normal((3, 1, 3, 3)).astype(np.float32)
        (want,) = session.run(None, {"x": x, "w": w})
        np.testing.assert_allclose(rep.run([x, w])[0], want, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(rep.models["y"].layers[-1].w.data, w)
    model = rep.models["y"]
    model.compile(optimizer=gn.optim.SGD(model.parameters(), lr=0.01), loss="mse")
    history = model.fit(x, np.zeros((2, 3, 5, 5), np.float32), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_allclose(rep.run([x, w])[0], model.predict(x))  # the trained model


def test_run_node_runs_one_node_on_arrays():
    x = np.random.default_rng(3).standard_normal((2, 4)).astype(np.float32)
    node = H.make_node("Softmax", ["x"], ["y"], axis=0)
    (y,) = gn.onnx.backend.run_node(node, [x])
    np.testing.assert_allclose(y, np.exp(x) / np.exp(x).sum(axis=0), rtol=1e-6)
    mask = H.make_node("Dropout", ["x"], ["y", "m"])
    info = [(np.float32, x.shape), (bool, x.shape)]
    _, m = gn.onnx.backend.run_node(mask, [x], outputs_info=info)
    assert m.dtype == bool and m.all()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # onnx making its other ops' cases
def test_onnx_backend_test_runner_passes_every_case_of_the_ops_glassnet_reads():
    """onnx's BackendTest (it generates every node case of every op first: ~15 s), run for
    the node cases of the ops glassnet reads, the ones test_onnx_backend counts."""
    import unittest

    from onnx.backend.test import BackendTest
    from onnx.backend.test.case import node as node_cases

    from tests.interop.test_onnx_backend import OPS

    for module, _ in OPS.values():
        importlib.import_module(f"onnx.backend.test.case.node.{module}")
    names = [c.name for c in node_cases._NodeTestCases
             if len(c.model.graph.node) == 1 and c.model.graph.node[0].op_type in OPS]  # fmt: skip
    runner = BackendTest(gn.onnx.backend.GlassnetBackend, __name__)
    runner.include("^(" + "|".join(map(re.escape, names)) + ")_cpu$")
    result = unittest.TextTestRunner(verbosity=0).run(runner.test_suite)
    ran = result.testsRun - len(result.skipped)
    assert result.wasSuccessful() and ran == len(names) == 163, (result.failures, result.errors)
