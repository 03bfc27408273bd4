"""``gn.onnx.load``'s readers of the tensor-algebra ops: Gemm, MatMul, Reshape, Flatten,
Concat, Add and Mul (the forms read are listed in glassnet.onnx.load).

Each first reads axis 0 as the batch; a node that mixes it with the other axes calls
``r.need_whole()``, and the graph is read again with every input one whole tensor
(see glassnet.onnx.model.WholeBatchModel), where the same node is read exactly.
"""

from __future__ import annotations

import numpy as np

from glassnet import nn
from glassnet.nn.graph import SymbolicTensor
from glassnet.onnx.reader import BATCH, Reader, float_dtype, has_batch

__all__ = ["read_gemm", "read_matmul", "read_reshape", "read_flatten", "read_merge"]


def dense_from(
    r: Reader, x: SymbolicTensor, w: np.ndarray, b: np.ndarray | None
) -> SymbolicTensor:
    """x @ w + b as a Dense layer holding w (in, out) and b (out,)."""
    layer = nn.Dense(
        w.shape[0], w.shape[1], use_bias=b is not None, init="zeros", dtype=float_dtype(r, x)
    )
    layer.w.data[...] = w
    if b is not None:
        layer.b.data[...] = b
    return layer(x)


def _weight_layer(r: Reader, kind, x, value: np.ndarray) -> SymbolicTensor:
    """A Bias or Scale layer holding ``value``, applied to x."""
    layer = kind(value.shape, dtype=float_dtype(r, x))
    layer.w.data[...] = value
    return layer(x)


def read_gemm(r: Reader) -> SymbolicTensor:
    """Y = α·A'·B' + β·C: Dense (w = α·B', its bias β·C when C is one row), after a
    Permute for transA, and a Bias for a C that depends on the row."""
    a = r.attrs()
    x, w, c = r.symbolic(0), r.const(1), r.const(2, required=False)
    w = a.get("alpha", 1.0) * (w.T if a.get("transB", 0) else w)
    row_bias = c is not None and np.ndim(c) == 2 and c.shape[0] != 1
    if a.get("transA", 0) or row_bias:
        r.need_whole()  # A's rows are no longer the batch, or C tells the rows apart
    if r.rank(x) != 2:
        r.fail("A must be a matrix", f"A rank {r.rank(x)}", "rank 2")
    if a.get("transA", 0):
        x = nn.Permute((2, 1))(x)
    beta = a.get("beta", 1.0)
    b = None if c is None or row_bias else beta * np.broadcast_to(c.reshape(-1), w.shape[1:])
    y = dense_from(r, x, w, b)
    return _weight_layer(r, nn.Bias, y, beta * c) if row_bias else y


def read_matmul(r: Reader) -> SymbolicTensor:
    """A constant 2-D right side: Dense (with a following Add of a constant (out,) as its
    bias); two computed sides: the MatMul layer (np.matmul's rules per sample)."""
    x, other = r.symbolic(0), r.get(1)
    if isinstance(other, SymbolicTensor):
        if not (r.rank(x) == r.rank(other) >= 3):
            r.need_whole()  # a matrix's rows, or broadcasting, reach into axis 0
        return nn.MatMul()([x, other])
    w = r.const(1)
    if w.ndim != 2:
        r.fail("a constant right side must be a matrix", f"W shape {w.shape}", "W (in, out)")
    if r.rank(x) < 2:
        r.need_whole()  # a vector: its only axis is the one contracted
    users = r.users.get(r.node.output[0], [])
    if len(users) == 1 and users[0].op_type == "Add":
        others = [n for n in users[0].input if n != r.node.output[0]]
        value = r.values.get(others[0]) if len(others) == 1 else None
        if isinstance(value, np.ndarray) and value.shape in ((w.shape[1],), (1, w.shape[1])):
            r.skip.add(id(users[0]))
            r.values[users[0].output[0]] = out = dense_from(r, x, w, value.reshape(-1))
            return out
    return dense_from(r, x, w, None)


def _batch_reshape(r: Reader, x, shape: list) -> tuple | None:
    """The per-sample target when ``shape`` keeps axis 0 as the batch, else None."""
    if not shape or shape[0] not in (0, -1, r.batch) or shape.count(-1) > 1:
        return None
    rest = [x.shape[i + 1] if s == 0 else s for i, s in enumerate(shape[1:])]
    if -1 not in rest and np.prod(rest) != np.prod(x.shape[1:]):
        return None
    if shape[0] == -1 and (-1 in rest or np.prod(rest) != np.prod(x.shape[1:])):
        return None
    return tuple(rest)


def read_reshape(r: Reader) -> SymbolicTensor:
    x, shape = r.symbolic(0), [int(s) for s in r.const(1, shape=True)]
    allowzero = r.attrs().get("allowzero", 0) and 0 in shape
    if BATCH in shape[1:]:
        r.batch_marker(1)
    shape = [0 if s == BATCH else s for s in shape]  # the batch size first: keep axis 0
    if not r.whole and not allowzero:
        rest = _batch_reshape(r, x, shape)
        if rest:  # () would need a 0-d sample: read as a whole tensor instead
            return nn.Reshape(rest)(x)
    r.need_whole()
    full = r.onnx_shape(x)
    target = [full[i] if s == 0 and not allowzero else s for i, s in enumerate(shape)]
    if not target or (0 in target and -1 in target):
        r.fail("a 0-d result, or −1 beside an empty axis, is not read", f"shape {shape}",
               "sizes ≥ 0, or ≥ 1 and one −1")  # fmt: skip
    return nn.Reshape(tuple(target))(x)


def read_flatten(r: Reader) -> SymbolicTensor:
    """(d₀, …, d_{r−1}) → (d₀⋯d_{axis−1}, d_axis⋯d_{r−1}); axis 1 is glassnet's Flatten."""
    x, axis = r.symbolic(0), r.attrs().get("axis", 1)
    rank = r.rank(x)
    axis = axis + rank if axis < 0 else axis
    if axis == 1 and rank >= 2 and not r.whole:
        return nn.Flatten()(x)
    r.need_whole()
    dims = r.onnx_shape(x)
    return nn.Reshape((int(np.prod(dims[:axis])), int(np.prod(dims[axis:]))))(x)


def read_merge(r: Reader) -> SymbolicTensor | np.ndarray:
    """Concat → Concatenate; Add, Mul of computed values → Add, Multiply (broadcasting per
    sample); with a weight operand → Bias, Scale; of two constants → their constant."""
    xs = [r.get(i) for i in range(len(r.node.input))]
    op = r.node.op_type
    if op == "Concat":
        return _concat(r, xs)
    constants = [x for x in xs if isinstance(x, np.ndarray)]
    if len(constants) == len(xs):
        if any(has_batch(x) for x in xs):
            r.batch_marker(next(i for i, x in enumerate(xs) if has_batch(x)))
        return (np.add if op == "Add" else np.multiply)(*xs)
    if constants:
        return _with_weight(r, next(x for x in xs if isinstance(x, SymbolicTensor)), constants[0])
    if len({r.rank(x) for x in xs}) != 1:
        r.need_whole()  # the lower-rank side's axis 0 is not the batch
    return (nn.Add if op == "Add" else nn.Multiply)()(xs)


def _concat(r: Reader, xs: list) -> SymbolicTensor | np.ndarray:
    if all(isinstance(x, np.ndarray) for x in xs):  # shape arithmetic (shape_ops.py)
        return np.concatenate(xs, axis=r.attrs()["axis"])
    if not all(isinstance(x, SymbolicTensor) for x in xs):
        r.fail("an operand is a constant", "a constant operand", "computed values only")
    axis = r.attrs()["axis"] % r.rank(xs[0])
    if axis == 0:
        r.need_whole()
    return nn.Concatenate(axis + r.whole)(xs)


def _with_weight(r: Reader, x: SymbolicTensor, c: np.ndarray) -> SymbolicTensor:
    rank = r.rank(x)
    if c.ndim > rank:
        r.fail("a weight of higher rank than the tensor is not read", f"{c.shape}", f"≤ {rank}")
    if not r.whole and c.ndim == rank:
        if c.shape[0] != 1:
            r.need_whole()  # one value per row of axis 0
        c = c.reshape(c.shape[1:])
    kind = nn.Bias if r.node.op_type == "Add" else nn.Scale
    return _weight_layer(r, kind, x, np.asarray(c))
