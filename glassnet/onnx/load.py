"""``gn.onnx.load``: an ONNX graph as a trainable glassnet functional model.

Every graph input (not an initializer) becomes a ``gn.Input``; nodes become glassnet
layers called on it, weights (initializers) become their parameters, so the result trains,
explains and exports like any model built by hand. The op set and the forms understood:

    Gemm (transA=0; bias a scalar, (out,) or (1, out)) → Dense  (w = α·B or α·Bᵀ, b = β·C)
    MatMul with a constant 2-D right side, optionally + Add of a constant (out,) → Dense
    Conv (2-D, any group, pads (asymmetric too) or auto_pad SAME_UPPER/VALID) → Conv2D
        with groups= and Conv2D's four-int padding (left, right, top, bottom)
    MaxPool, AveragePool (2-D, symmetric pads ≤ kernel/2, or those plus the end padding
        ceil_mode grows to (read as ceil_mode; not with count_include_pad=1); ceil_mode;
        MaxPool's dilations; AveragePool's count_include_pad; no storage_order, no indices)
        → MaxPool2D, AvgPool2D
    GlobalAveragePool → GlobalAvgPool2D + Reshape to (C, 1, 1)
    BatchNormalization (inference form) → BatchNorm      Relu, Sigmoid, Tanh, LeakyRelu,
    Softmax (opset ≥ 13) → the activation layers         Flatten (axis 1) → Flatten
    Reshape (constant shape keeping the batch axis) → Reshape
    Add, Mul (same shapes), Concat (not on the batch axis) → Add, Multiply, Concatenate
    Identity, Dropout (inference), Constant → no layer: the value passes through

Anything else is a DataError naming the node, its op type and the supported list; so is
a supported op in a form outside the one above (the message names the attribute).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import nn
from glassnet.errors import ConfigError, DataError, ShapeError, message
from glassnet.nn.graph import Input, SymbolicTensor
from glassnet.onnx.image_ops import read_batch_norm, read_conv, read_pool
from glassnet.onnx.reader import SUPPORTED, Reader, float_dtype

if TYPE_CHECKING:
    import os

    import onnx

    from glassnet.nn.module import Module

__all__ = ["load", "SUPPORTED"]


def _dense_from(r: Reader, x, w: np.ndarray, b) -> SymbolicTensor:
    if x.ndim != 2 and b is not None and np.ndim(b) > 1:
        r.fail("the bias must be a vector", f"bias shape {np.shape(b)}", "(out,)")
    layer = nn.Dense(
        w.shape[0], w.shape[1], use_bias=b is not None, init="zeros", dtype=float_dtype(r, x)
    )
    layer.w.data[...] = w
    if b is not None:
        layer.b.data[...] = np.broadcast_to(b, (w.shape[1],))
    return layer(x)


def _gemm(r: Reader):
    a = r.attrs()
    x, w, c = r.symbolic(0), r.const(1), r.const(2, required=False)
    if a.get("transA", 0):
        r.fail("transA=1 is not read (the batch must be the rows of A)", "transA=1", "transA=0")
    w = w.T if a.get("transB", 0) else w
    if c is not None and (np.ndim(c) > 2 or (np.ndim(c) == 2 and c.shape[0] != 1)):
        r.fail(
            "the bias C must not depend on the row",
            f"C shape {c.shape}",
            "a scalar, (out,) or (1, out)",
        )
    b = None if c is None else a.get("beta", 1.0) * np.broadcast_to(c.reshape(-1), w.shape[1:])
    return _dense_from(r, x, a.get("alpha", 1.0) * w, b)


def _matmul(r: Reader):
    x, w = r.symbolic(0), r.const(1)
    if w.ndim != 2 or x.ndim < 2:
        r.fail(
            "only x @ W with a constant 2-D W is read",
            f"W shape {w.shape}, x rank {x.ndim}",
            "W (in, out) and x (N, ..., in)",
        )
    users = r.users.get(r.node.output[0], [])
    b = None
    if len(users) == 1 and users[0].op_type == "Add":
        other = [n for n in users[0].input if n != r.node.output[0]]
        value = r.values.get(other[0]) if len(other) == 1 else None
        if isinstance(value, np.ndarray) and value.shape in ((w.shape[1],), (1, w.shape[1])):
            b = value.reshape(-1)
            r.skip.add(id(users[0]))
            r.values[users[0].output[0]] = out = _dense_from(r, x, w, b)
            return out
    return _dense_from(r, x, w, None)


def _reshape(r: Reader):
    x, shape = r.symbolic(0), [int(s) for s in r.const(1)]
    if r.attrs().get("allowzero", 0):
        r.fail("allowzero=1 is not read", "allowzero=1", "allowzero=0")
    batch = r.batch
    if not shape or shape[0] not in (0, -1, batch):
        r.fail(
            "the new shape must keep the batch axis first",
            f"shape {shape}",
            "0, -1 or the batch size first",
        )
    if shape[0] == -1 and -1 in shape[1:]:
        r.fail("the new shape must keep the batch axis first", f"shape {shape}", "one -1")
    rest = [x.shape[i + 1] if s == 0 else s for i, s in enumerate(shape[1:])]
    if shape[0] == -1 and np.prod(rest) != np.prod(x.shape[1:]):
        r.fail(
            "the new shape must keep the batch axis first",
            f"shape {shape}",
            "as many values per sample as before",
        )
    return nn.Reshape(tuple(rest))(x)


def _merge(r: Reader):
    xs = [r.get(i) for i in range(len(r.node.input))]
    if not all(isinstance(x, SymbolicTensor) for x in xs):
        r.fail("an operand is a constant", "a constant operand", "computed values only")
    if r.node.op_type == "Concat":
        axis = r.attrs()["axis"] % xs[0].ndim
        if axis == 0:
            r.fail("concatenation along the batch axis is not read", "axis=0", "axis ≥ 1")
        return nn.Concatenate(axis)(xs)
    if len({x.shape for x in xs}) != 1:
        r.fail("broadcasting is not read", ", ".join(str(x.shape) for x in xs), "equal shapes")
    return (nn.Add if r.node.op_type == "Add" else nn.Multiply)()(xs)


def _activation(r: Reader):
    a, x, op = r.attrs(), r.symbolic(0), r.node.op_type
    if op == "LeakyRelu":
        return nn.LeakyReLU(a.get("alpha", 0.01))(x)
    if op == "Softmax":
        axis = a.get("axis", -1)
        if r.opset < 13 and axis % x.ndim != x.ndim - 1:
            r.fail(
                "Softmax before opset 13 over a flattened tail is not read",
                f"opset {r.opset}, axis {axis}",
                "opset ≥ 13 or the last axis",
            )
        return nn.Softmax(axis % x.ndim)(x)
    if op == "Flatten":
        if a.get("axis", 1) % max(x.ndim, 1) != 1:
            r.fail("Flatten must keep the batch axis", f"axis={a.get('axis')}", "axis=1")
        return nn.Flatten()(x)
    if op == "GlobalAveragePool":
        if x.ndim != 4:
            r.fail("only 2-D images are read", f"rank {x.ndim}", "rank 4")
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
    if r.node.op_type == "Dropout" and len([o for o in r.node.output if o]) > 1:
        r.fail("the mask output is not read", "2 outputs", "the output alone")
    if r.node.op_type == "Dropout" and len(r.node.input) > 2 and r.const(2).any():
        r.fail(
            "the training form is not read (it draws random masks)",
            "training_mode=1",
            "training_mode=0 (inference: the identity)",
        )
    return r.get(0)


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
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Conv": read_conv,
    "MaxPool": read_pool,
    "AveragePool": read_pool,
    "BatchNormalization": read_batch_norm,
    "Reshape": _reshape,
    "Add": _merge,
    "Mul": _merge,
    "Concat": _merge,
    "Identity": _passthrough,
    "Dropout": _passthrough,
    "Constant": _constant,
    **{
        op: _activation
        for op in (
            "Relu",
            "Sigmoid",
            "Tanh",
            "LeakyRelu",
            "Softmax",
            "Flatten",
            "GlobalAveragePool",
        )
    },
}


def _inputs(r: Reader, graph) -> list[SymbolicTensor]:
    """A gn.Input per graph input that is not an initializer; axis 0 is the batch."""
    inputs = []
    for value in graph.input:
        if value.name in r.values:
            continue
        if not value.type.HasField("tensor_type"):
            raise DataError(
                message(
                    "onnx.load",
                    f"graph input {value.name!r} is not a tensor",
                    value.type.WhichOneof("value"),
                    "a tensor",
                )
            )
        kind = value.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else None for d in kind.shape.dim]
        dtype = np.dtype(r.onnx.helper.tensor_dtype_to_np_dtype(kind.elem_type))
        if dtype.kind != "f" or not dims or any(d is None for d in dims[1:]):
            raise DataError(
                message(
                    "onnx.load",
                    f"graph input {value.name!r} is not a float batch of known sample shape",
                    f"dtype {dtype}, shape {dims}",
                    "float32/float64 (N, fixed sizes...)",
                )
            )
        r.batch = dims[0] if r.batch is None else r.batch
        r.values[value.name] = x = Input(tuple(dims[1:]), dtype)
        inputs.append(x)
    return inputs


def load(source: str | os.PathLike | onnx.ModelProto) -> Module:
    """Build a trainable glassnet model (a functional ``gn.Model``) from an ONNX file.

    ``source`` is a path or an ``onnx.ModelProto``. Raises DataError for a node whose op or
    form is outside the op set in the module docstring, naming the node and its op type.
    """
    import onnx

    from glassnet.training.functional import Functional

    proto = source if isinstance(source, onnx.ModelProto) else onnx.load(str(source))
    r = Reader(onnx, proto)
    r.batch = None
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
            r.values[node.output[0]] = read(r)
        except (ConfigError, ShapeError) as exc:  # a layer refused the form: say which node
            r.fail(
                "glassnet's layer refuses this form", str(exc).split("\n")[0], "a form it reads"
            )
    outputs = [r.values[o.name] for o in proto.graph.output]
    if len(outputs) != 1 or not isinstance(outputs[0], SymbolicTensor):
        raise DataError(
            message(
                "onnx.load",
                "the graph must have one output computed from its inputs",
                f"{len(outputs)} output(s)",
                "one output that depends on an input",
            )
        )
    return Functional(inputs, outputs[0])
