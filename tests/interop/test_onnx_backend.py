"""ONNX's own backend node tests, run through gn.onnx.load and gn.onnx.backend, for every
op glassnet reads.

The node cases ship with the onnx package as generators (onnx.backend.test.case.node): a
one-node model, its inputs and the expected outputs. Each case runs twice:

* through ``gn.onnx.backend`` as it is written (weights fed as graph inputs, bound at run),
  every output at once, compared by onnx's own test runner
  (``onnx.backend.test.runner.Runner.assert_similar_outputs``: shapes, dtypes, the case's
  tolerance). onnx's ``BackendTest`` itself runs the same cases at the end (slow: it
  generates every node case of every op).
* through ``gn.onnx.load``, one trainable model per output. glassnet reads weights (Gemm's B
  and C, Conv's W and B, BatchNormalization's statistics, Reshape's shape) as parameters,
  so the harness moves those inputs into the initializers, the form exporters write
  (torch.onnx.export does). MatMul's cases multiply two computed inputs, as they are
  written (the constant right side, torch's form, is tested in test_onnx_import). A graph
  that mixes axis 0 with the others must load as a whole-batch model, whose predict gives
  the same numbers with batch_size=1 (it never splits the tensor). A sequence, an
  optional or a constant output is no model: load refuses it (the backend runs it).

A case in a form glassnet does not read must raise a DataError that names the node and op
(never a wrong number, never another exception). The per-op counts are printed.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx.backend.test.case import node as node_cases  # noqa: E402
from onnx.backend.test.runner import Runner  # noqa: E402

import glassnet as gn  # noqa: E402

# op type → (its case module, the input positions that are weights)
OPS = {
    "Gemm": ("gemm", (1, 2)),
    "MatMul": ("matmul", ()),
    "Conv": ("conv", (1, 2)),
    "MaxPool": ("maxpool", ()),
    "AveragePool": ("averagepool", ()),
    "GlobalAveragePool": ("globalaveragepool", ()),
    "BatchNormalization": ("batch_normalization", (1, 2, 3, 4)),
    "Relu": ("relu", ()),
    "Sigmoid": ("sigmoid", ()),
    "Tanh": ("tanh", ()),
    "LeakyRelu": ("leakyrelu", ()),
    "Softmax": ("softmax", ()),
    "LogSoftmax": ("logsoftmax", ()),
    "Flatten": ("flatten", ()),
    "Reshape": ("reshape", (1,)),
    "Add": ("add", ()),
    "Concat": ("concat", ()),
    "ReduceMean": ("reducemean", (1,)),
    "Mul": ("mul", ()),
    "Identity": ("identity", ()),
    "Dropout": ("dropout", (1, 2)),
    "Constant": ("constant", ()),
}
# the forms each op must read through gn.onnx.load: these cases must pass (pins only go up)
VERBOSE = False
MUST_PASS = {
    "Gemm": 11,
    "MatMul": 7,
    "Conv": 6,
    "MaxPool": 19,
    "AveragePool": 20,
    "GlobalAveragePool": 2,
    "BatchNormalization": 4,
    "Relu": 1,
    "Sigmoid": 2,
    "Tanh": 2,
    "LeakyRelu": 3,
    "Softmax": 7,
    "LogSoftmax": 7,
    "Flatten": 9,
    "Reshape": 10,
    "Add": 8,
    "Concat": 12,
    "ReduceMean": 8,
    "Mul": 9,
    "Identity": 1,
    "Dropout": 12,
}
# through gn.onnx.backend every case of every op passes (checked against the totals)


def _cases(op: str) -> list:
    module, _ = OPS[op]
    importlib.import_module(f"onnx.backend.test.case.node.{module}")
    return [
        c
        for c in node_cases._NodeTestCases
        if len(c.model.graph.node) == 1 and c.model.graph.node[0].op_type == op
    ]


def _as_weights(model, positions) -> tuple:
    """A copy of the model, and the names of its inputs at the weight positions."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    node = model.graph.node[0]
    return model, {node.input[i] for i in positions if i < len(node.input) and node.input[i]}


def _run(case, positions) -> str:
    """ "passed" when every output of the case equals the expected one, else "narrowed"."""
    ((inputs, outputs),) = case.data_sets
    model, weights = _as_weights(case.model, positions)
    names = [v.name for v in model.graph.input]
    feed = []
    for name, value in zip(names, inputs):
        if name in weights:
            model.graph.initializer.append(onnx.numpy_helper.from_array(np.asarray(value), name))
        else:
            feed.append(np.asarray(value))
    several = len(model.graph.output) > 1
    for i, expected in enumerate(outputs):
        try:
            net = gn.onnx.load(model, output=i if several else None)
        except gn.DataError as exc:
            print("   narrowed", case.name, str(exc).split(". Got")[0][-90:]) if VERBOSE else None
            assert (
                str(exc).startswith("onnx.load: ")
                and f"({case.model.graph.node[0].op_type})" in str(exc).split(":")[1]
            )  # names the node and its op
            return "narrowed"
        _check(net, feed, np.asarray(expected), case)
    return "passed"


def _check(net, feed: list, expected: np.ndarray, case) -> None:
    x = feed if len(feed) > 1 else feed[0]
    tolerance = {"rtol": max(case.rtol, 1e-5), "atol": max(case.atol, 1e-6)}
    got = net.predict(x)
    assert got.dtype.kind == expected.dtype.kind or expected.dtype.kind == "f"
    np.testing.assert_allclose(got, expected, **tolerance)
    if net.whole_batch:
        np.testing.assert_allclose(net.predict(x, batch_size=1), expected, **tolerance)


def _run_backend(case) -> str:
    """ "passed" when gn.onnx.backend's outputs pass onnx's own comparison, else "narrowed"."""
    ((inputs, outputs),) = case.data_sets
    try:
        rep = gn.onnx.backend.prepare(case.model)
        got = rep.run(inputs)
    except gn.DataError as exc:
        print("   backend narrowed", case.name, str(exc)[:90]) if VERBOSE else None
        assert f"({case.model.graph.node[0].op_type})" in str(exc).split(":")[1]
        return "narrowed"
    Runner.assert_similar_outputs(outputs, got, max(case.rtol, 1e-5), max(case.atol, 1e-6))
    return "passed"


def test_onnx_backend_node_cases_per_op(capsys):
    table = {}
    for op, (_, positions) in OPS.items():
        cases = _cases(op)
        loaded = [_run(case, positions) for case in cases]
        backend = [_run_backend(case) for case in cases]
        table[op] = (backend.count("passed"), loaded.count("passed"), len(cases))
    with capsys.disabled():
        print("\nONNX backend node cases (gn.onnx.backend passed / gn.onnx.load passed / total):")
        for op, (run, loaded, total) in table.items():
            print(f"  {op:20s} {run:3d} / {loaded:3d} / {total:3d}")
        print(f"  {'all':20s} " + " / ".join(f"{sum(t[i] for t in table.values()):3d}"
                                           for i in range(3)))  # fmt: skip
    for op, need in MUST_PASS.items():
        assert table[op][1] >= need, (op, table[op])
    assert all(run == total for run, _, total in table.values()), table
