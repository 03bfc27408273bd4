"""``gn.onnx.load``: an ONNX graph as a trainable glassnet functional model.

Every graph input (not an initializer) becomes a ``gn.Input``; nodes become glassnet
layers called on it, weights (initializers) become their parameters, so the result trains,
explains and exports like any model built by hand. The op set and the forms understood:

    Gemm (any transA/transB, α, β; C a scalar, a row, or one per row) → Dense
        (w = α·B', b = β·C), after Permute for transA, and a Bias for a C per row
    MatMul: a constant 2-D right side (+ a following Add of a constant (out,)) → Dense;
        two computed sides of any rank (1-D, N-d, broadcasting) → MatMul
    Conv (2-D, any group, pads (asymmetric too) or auto_pad) → Conv2D (four-int padding)
    MaxPool, AveragePool (1-, 2-, 3-D; any pads, auto_pad SAME_UPPER/SAME_LOWER/VALID,
        strides, dilations, ceil_mode, count_include_pad; integer inputs) → MaxPool1D/2D/3D,
        AvgPool1D/2D/3D; MaxPool's Indices output (any storage_order) → MaxPoolIndices
    GlobalAveragePool → GlobalAvgPool2D + Reshape to (C, 1, 1)
    ReduceMean (axes as input or attribute, keepdims, noop_with_empty_axes) → Mean
    BatchNormalization: inference form → BatchNorm; training_mode=1 → BatchStatNorm (y,
        with the tensor's own statistics) and RunningStat (the running mean and variance
        outputs), glassnet.onnx.layers, in a whole-batch model
    Relu, Sigmoid, Tanh, LeakyRelu, Softmax, LogSoftmax (opset ≥ 13, any axis) → the
        activation layers
    Flatten (any axis) → Flatten or Reshape     Reshape (constant shape) → Reshape
    Add, Mul of computed values (broadcasting) → Add, Multiply; with a weight operand →
        Bias, Scale; of two constants → the constant      Concat (any axis) → Concatenate
    Identity, Dropout (inference, or a ratio of 0), Constant → no layer: the value passes
        (Dropout's mask output then → KeptMask, every element kept); Dropout in training
        mode with a seed → SeededDropout (the mask onnx's reference runtime draws), in a
        whole-batch model

Shape arithmetic (glassnet.onnx.shape_ops): Shape, and Gather, Unsqueeze, Squeeze, Slice,
Cast and Concat of constants, are computed at load, the batch size as a marker that may
only start a Reshape target (torch's ``x.view(x.size(0), -1)``).

Axis 0 is read as the batch. A node that mixes it with the other axes (Flatten at an axis
other than 1, a Reshape or Concat across axis 0, Gemm with transA or a bias per row, a
MatMul whose sides are not batches of matrices alike, a weight with one value per row,
a training form's statistics or mask)
makes the whole graph load as a WholeBatchModel (glassnet.onnx.model): one sample is the
whole tensor and ``predict`` never splits it; such a whole input may be empty (a 0 size,
as Reshape's allowzero reads it). Integer graph inputs keep their dtype. A
graph with several outputs is read for the one ``output=`` names.

Anything else is a DataError naming the node, its op type and the supported list; so is
a supported op in a form outside the one above (the message names the attribute).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import nn
from glassnet.errors import ConfigError, DataError, ShapeError, message
from glassnet.nn.graph import Input, Node, SymbolicTensor
from glassnet.onnx.algebra_ops import (
    read_flatten,
    read_gemm,
    read_matmul,
    read_merge,
    read_reshape,
)
from glassnet.onnx.image_ops import read_batch_norm, read_conv, read_pool
from glassnet.onnx.reader import SUPPORTED, Reader, WholeBatch
from glassnet.onnx.reduce_ops import read_reduce_mean
from glassnet.onnx.shape_ops import SHAPE_OPS
from glassnet.onnx.source import model_proto
from glassnet.onnx.training_ops import read_batch_norm_training, read_seeded_dropout

if TYPE_CHECKING:
    import os
    from types import ModuleType

    import onnx

    from glassnet.nn.module import Module

__all__ = ["load", "SUPPORTED"]


def _activation(r: Reader):
    a, x, op = r.attrs(), r.symbolic(0), r.node.op_type
    if op == "LeakyRelu":
        return nn.LeakyReLU(a.get("alpha", 0.01))(x)
    if op in ("Softmax", "LogSoftmax"):
        axis = a.get("axis", -1)
        if r.opset < 13 and axis % r.rank(x) != r.rank(x) - 1:
            r.fail(
                f"{op} before opset 13 over a flattened tail is not read",
                f"opset {r.opset}, axis {axis}",
                "opset ≥ 13 or the last axis",
            )
        return getattr(nn, op)(r.axis(axis, x))(x)
    if op == "GlobalAveragePool":
        if x.ndim != 4 or r.whole:
            r.fail("only 2-D image batches are read", f"rank {r.rank(x)}", "rank 4")
        pooled = nn.GlobalAvgPool2D()(x)  # (N, C)
        users = r.users.get(r.node.output[0], [])
        if len(users) == 1 and users[0].op_type == "Flatten" and _flattens_batch(users[0]):
            r.skip.add(id(users[0]))  # GlobalAveragePool + Flatten: glassnet's layer alone
            r.values[users[0].output[0]] = pooled
            return pooled
        return nn.Reshape((x.shape[1], 1, 1))(pooled)
    layer = {"Relu": nn.ReLU, "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh}[op]()
    return layer(x)


def _flattens_batch(node) -> bool:
    axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
    return axis in (1, -3)  # of a (N, C, 1, 1) input


def _passthrough(r: Reader):
    """Identity, and a Dropout that drops nothing (inference, or a ratio of 0): the value
    itself, and for Dropout's mask output the all-kept mask. Dropout's training form with
    a seed: glassnet.onnx.training_ops."""
    if r.node.op_type != "Dropout":
        return r.get(0)
    training = len(r.node.input) > 2 and r.node.input[2] and r.const(2).any()
    ratio = r.const(1) if len(r.node.input) > 1 and r.node.input[1] else np.float32(0.5)
    if training and np.any(ratio != 0):  # a ratio of 0 keeps every element: the identity
        return read_seeded_dropout(r, ratio)
    names = list(r.node.output)
    if len(names) < 2 or not names[1]:
        return r.get(0)
    return {names[0]: r.get(0), names[1]: nn.KeptMask()(r.symbolic(0))}


def _constant(r: Reader):
    a = r.attrs()
    if "value" not in a and not any(
        k in a for k in ("value_float", "value_floats", "value_int", "value_ints")
    ):
        r.fail(
            "only numeric constants are read", ", ".join(a), "value, value_float(s), value_int(s)"
        )
    if "value" in a:
        return r.onnx.numpy_helper.to_array(a["value"])
    key = next(k for k in ("value_float", "value_floats", "value_int", "value_ints") if k in a)
    return np.array(a[key], np.float32 if "float" in key else np.int64)


_OPS = {
    "Gemm": read_gemm,
    "MatMul": read_matmul,
    "Conv": read_conv,
    "MaxPool": read_pool,
    "AveragePool": read_pool,
    "BatchNormalization": lambda r: (
        read_batch_norm_training(r) if r.attrs().get("training_mode", 0) else read_batch_norm(r)
    ),
    "Reshape": read_reshape,
    "Flatten": read_flatten,
    "Add": read_merge,
    "Mul": read_merge,
    "Concat": read_merge,
    "ReduceMean": read_reduce_mean,
    "Identity": _passthrough,
    "Dropout": _passthrough,
    "Constant": _constant,
    **SHAPE_OPS,
    **{
        op: _activation
        for op in (
            "Relu",
            "Sigmoid",
            "Tanh",
            "LeakyRelu",
            "Softmax",
            "LogSoftmax",
            "GlobalAveragePool",
        )
    },
}


def _inputs(r: Reader, graph) -> list[SymbolicTensor]:
    """A gn.Input per graph input that is not an initializer: its sample shape (axis 0 is
    the batch), or with ``r.whole`` its whole shape (a batch of one whole tensor)."""
    inputs = []
    for value in graph.input:
        if value.name in r.values:
            continue
        readers = ", ".join(f"node {n.name or '(unnamed)'!r} ({n.op_type})"
                            for n in r.users.get(value.name, []))  # fmt: skip
        if not value.type.HasField("tensor_type"):
            raise DataError(
                message(
                    f"onnx.load: {readers}",
                    f"graph input {value.name!r} is not a tensor",
                    value.type.WhichOneof("value"),
                    "a tensor",
                    "gn.onnx.backend.prepare(model).run(inputs) passes a sequence or optional "
                    "on through Identity nodes",
                )
            )
        kind = value.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else None for d in kind.shape.dim]
        dtype = np.dtype(r.onnx.helper.tensor_dtype_to_np_dtype(kind.elem_type))
        known = dims if r.whole else dims[1:]
        if dtype.kind not in "fiu" or not dims or any(d is None or d < 1 - r.whole for d in known):
            raise DataError(
                message(
                    f"onnx.load: {readers}",
                    f"graph input {value.name!r} is not a numeric batch of known "
                    + ("shape" if r.whole else "sample shape"),
                    f"dtype {dtype}, shape {dims}",
                    "float or integer (N, fixed sizes...)",
                )
            )
        if not r.whole and r.batch is not None and dims[0] != r.batch:
            raise WholeBatch("inputs")  # the inputs' axes 0 differ: they are no batch
        r.batch = dims[0] if r.batch is None else r.batch
        shape = tuple(dims) if r.whole else tuple(dims[1:])
        r.values[value.name] = x = _input(shape, dtype)
        inputs.append(x)
    return inputs


def _input(shape: tuple, dtype: np.dtype) -> SymbolicTensor:
    """gn.Input, or for a whole tensor with an empty axis (ONNX allows 0 sizes; gn.Input
    refuses them, where a 0 is a typo) the same input node with that shape."""
    return Input(shape, dtype) if all(shape) else Node(None, [], False, shape, dtype).output


def _output_name(proto, output: str | int | None) -> str:
    """The graph output the model computes: ``output`` by name or position, or the one."""
    names = [o.name for o in proto.graph.output]
    if output is None and len(names) == 1:
        return names[0]
    if output in names:
        return output
    if isinstance(output, int) and not isinstance(output, bool) and 0 <= output < len(names):
        return names[output]
    makers = [n for n in proto.graph.node if set(n.output) & set(names)]
    raise DataError(
        message(
            "onnx.load: "
            + ", ".join(f"node {n.name or '(unnamed)'!r} ({n.op_type})" for n in makers),
            "a glassnet model computes one of the graph's outputs",
            f"output={output!r} of {names}",
            "the name or position of one output",
            f"pass output={names[0]!r} (or another of {names})",
        )
    )


def read_values(
    onnx: ModuleType, proto: onnx.ModelProto, whole: bool = False
) -> tuple[Reader, list[SymbolicTensor]]:
    """Read every node: the Reader holding each value by name (a symbolic tensor, or an
    array where it is a constant), and the gn.Input of each graph input."""
    r = Reader(onnx, proto, whole)
    for init in proto.graph.initializer:
        r.values[init.name] = onnx.numpy_helper.to_array(init)
    inputs = _inputs(r, proto.graph)
    for node in proto.graph.node:
        if id(node) in r.skip:
            continue
        r.node = node
        read = _OPS.get(node.op_type)
        if read is None or node.domain not in ("", "ai.onnx"):
            r.fail(
                f"the op type {node.op_type!r} is not supported",
                node.op_type,
                "one of the supported ops",
            )
        try:
            result = read(r)
            r.values.update(result if isinstance(result, dict) else {node.output[0]: result})
        except (ConfigError, ShapeError) as exc:  # a layer refused the form: say which node
            r.fail(
                "glassnet's layer refuses this form", str(exc).split("\n")[0], "a form it reads"
            )
    return r, inputs


def _read(onnx, proto, whole: bool, output: str | int | None) -> Module:
    from glassnet.onnx.model import OnnxModel, WholeBatchModel  # training imports nn

    r, inputs = read_values(onnx, proto, whole)
    name = _output_name(proto, output)
    out = r.values.get(name)
    if not isinstance(out, SymbolicTensor):
        makers = [n for n in proto.graph.node if name in n.output]
        raise DataError(
            message(
                "onnx.load: "
                + ", ".join(f"node {n.name or '(unnamed)'!r} ({n.op_type})" for n in makers),
                f"the output {name!r} is not computed from the graph's inputs",
                "a constant" if out is not None else "no value",
                "an output that depends on an input",
                "gn.onnx.backend.prepare(model).run(inputs) also returns constant outputs",
            )
        )
    return (WholeBatchModel if whole else OnnxModel)(inputs, out)


def load(
    source: str | os.PathLike | bytes | onnx.ModelProto, output: str | int | None = None
) -> Module:
    """Build a trainable glassnet model (an :class:`~glassnet.onnx.model.OnnxModel`, a
    functional ``gn.Model``) from an ONNX file.

    ``source`` is a path (external data beside it is read too), the file's bytes, or an
    ``onnx.ModelProto``; ``output`` names (or numbers) the graph
    output to compute when the graph has several. Axis 0 is read as the batch; a graph
    that mixes it with the other axes loads as a WholeBatchModel (its ``predict`` runs
    the whole tensor at once; ``whole_batch`` is True). Raises DataError for a node whose
    op or form is outside the op set in the module docstring, naming the node and its op.
    To run a whole graph (every output at once, a sequence passed on by Identity, an
    output that is a constant), use ``gn.onnx.backend.prepare(source).run(inputs)``.
    """
    import onnx

    proto = model_proto(onnx, source)
    try:
        return _read(onnx, proto, False, output)
    except WholeBatch:
        return _read(onnx, proto, True, output)
