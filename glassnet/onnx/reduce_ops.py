"""ReduceMean: the mean over some axes, read as glassnet's Mean layer.

torch.onnx.export (the dynamo exporter, torch's default) writes ``AdaptiveAvgPool2d(1)``
and ``x.mean((2, 3))`` this way, so a ResNet's global average pool arrives as a
ReduceMean over axes (2, 3) or (−2, −1), kept as (N, C, 1, 1).
"""

from __future__ import annotations

import numpy as np

from glassnet import nn
from glassnet.nn.graph import SymbolicTensor
from glassnet.onnx.reader import Reader

__all__ = ["read_reduce_mean"]


def read_reduce_mean(r: Reader) -> SymbolicTensor:
    """ReduceMean(data, axes) → Mean over those axes (axes from input 1 at opset ≥ 18, the
    ``axes`` attribute before); no axes: every axis, or the identity with
    ``noop_with_empty_axes``. Averaging over axis 0 mixes the batch: a whole-batch graph."""
    x, a = r.symbolic(0), r.attrs()
    given = r.const(1, required=False) if r.opset >= 18 else a.get("axes")
    axes = [int(v) for v in np.ravel(given)] if given is not None else []
    if not axes and a.get("noop_with_empty_axes", 0):
        return x
    rank = r.rank(x)
    axes = axes or list(range(rank))
    if any(not -rank <= v < rank for v in axes) or len({v % rank for v in axes}) < len(axes):
        r.fail("the axes must be distinct axes of the tensor", f"axes {axes} of rank {rank}",
               f"distinct axes in −{rank} … {rank - 1}")  # fmt: skip
    if x.dtype.kind != "f":
        r.fail("only the mean of floats is read", f"dtype {x.dtype}", "a float tensor")
    axes = sorted(v % rank for v in axes)
    if 0 in axes:
        r.need_whole()  # the mean runs across the batch axis
    return nn.Mean(tuple(v + r.whole for v in axes), keepdims=bool(a.get("keepdims", 1)))(x)
