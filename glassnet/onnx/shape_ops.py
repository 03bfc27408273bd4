"""Shape arithmetic, evaluated once at load: the nodes a flattening ``x.view(x.size(0), -1)``
exports as (Shape → Gather → Unsqueeze → Concat → Reshape).

The batch size is unknown while a graph loads, so ``Shape`` writes the marker ``BATCH``
for axis 0 and the other sizes as numbers; Gather, Unsqueeze, Squeeze, Slice, Cast and
Concat then compute on these constants with NumPy. A Reshape whose target holds ``BATCH``
first keeps the batch axis (as ONNX's 0 does); anywhere else, or in arithmetic (Add, Mul,
…), the marker is refused with a DataError, never computed with. These ops are read in
this role only: on constants, never on a computed tensor.
"""

from __future__ import annotations

import numpy as np

from glassnet.onnx.reader import BATCH, Reader, has_batch

__all__ = ["SHAPE_OPS", "BATCH"]


def _constant(r: Reader, i: int) -> np.ndarray:
    x = r.get(i)
    if not isinstance(x, np.ndarray):
        r.fail(
            f"{r.node.op_type} is read in shape arithmetic only (on Shape's output or constants)",
            "a computed tensor",
            "a constant input",
        )
    return x


def _ints(r: Reader, i: int, attr: str) -> list[int] | None:
    """An int list given as input ``i`` (newer opsets) or as attribute ``attr`` (older)."""
    if i < len(r.node.input) and r.node.input[i]:
        return [int(v) for v in np.ravel(_constant(r, i))]
    value = r.attrs().get(attr)
    return None if value is None else [int(v) for v in np.ravel(value)]


def _shape(r: Reader) -> np.ndarray:
    """Shape(x)[start:end], with BATCH for axis 0 while the batch size is open."""
    x, a = r.get(0), r.attrs()
    if isinstance(x, np.ndarray):
        dims = list(x.shape)
    else:
        dims = list(r.onnx_shape(x))
        dims[0] = dims[0] if r.whole else BATCH
    return np.array(dims[a.get("start", 0) : a.get("end", len(dims))], np.int64)


def _gather(r: Reader) -> np.ndarray:
    return np.asarray(np.take(_constant(r, 0), _constant(r, 1), axis=r.attrs().get("axis", 0)))


def _unsqueeze(r: Reader) -> np.ndarray:
    x, axes = _constant(r, 0), _ints(r, 1, "axes") or []
    rank = x.ndim + len(axes)
    return np.expand_dims(x, tuple(a % rank for a in axes))


def _squeeze(r: Reader) -> np.ndarray:
    x, axes = _constant(r, 0), _ints(r, 1, "axes")
    return np.asarray(np.squeeze(x, None if axes is None else tuple(axes)))


def _slice(r: Reader) -> np.ndarray:
    x = _constant(r, 0)
    starts, ends = _ints(r, 1, "starts"), _ints(r, 2, "ends")
    axes = _ints(r, 3, "axes") or list(range(len(starts)))
    steps = _ints(r, 4, "steps") or [1] * len(starts)
    index = [slice(None)] * x.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps):
        index[axis] = slice(start, end, step)
    return x[tuple(index)]


def _cast(r: Reader) -> np.ndarray:
    x, to = _constant(r, 0), np.dtype(r.onnx.helper.tensor_dtype_to_np_dtype(r.attrs()["to"]))
    if has_batch(x) and to != np.int64:
        r.fail("the batch size is cast to another type", f"to {to}", "int64")
    return x.astype(to)


SHAPE_OPS = {
    "Shape": _shape,
    "Gather": _gather,
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Slice": _slice,
    "Cast": _cast,
}
