"""Replay kernels of :mod:`glassnet.captured`: the commonest ops, rewritten for a replay.

A replayed op normally makes a new :class:`~glassnet.autograd.Function` and calls its
``forward`` and ``backward``, which allocate every result. For the ops below a program
instead uses a pair of closures that do *the same NumPy calls in the same order* (so the
bits cannot differ) but write into arrays reserved once per program (``out=``), keep
what backward needs in the program's slots instead of on an object, and skip the
object altogether.

``make(op, baked, linked, needs, srcs, out, proto, reserve)`` returns ``(forward,
backward)`` or None (the op replays through its Function). ``baked`` holds the settings
fixed at capture, ``linked`` maps the others to the slot they are read from on each
replay (a loss's target: an argument); ``proto(slot)`` is the
array a slot held in the recording (its shape, dtype and memory layout);
``reserve(like)`` is a new slot holding an uninitialised array shaped and laid out like
``like``, the same array on every replay. ``forward(v, pend)`` sets ``v[out]`` (a program step);
``backward(v, grad_y)`` returns the op's gradients, as ``Function.backward`` does.

Gradients that land on a parameter (a weight's dL/dw) are allocated afresh, as in eager:
a parameter's ``.grad`` must not change under the user's feet at the next step. A kernel
is made only when every array it touches has one dtype, and a backward writes into its
buffer only when the upstream gradient has that dtype too (else it allocates, exactly as
the op does): a buffer never casts a result.
"""

from __future__ import annotations

import numpy as np

from glassnet.ops.activation import ReLU, Sigmoid
from glassnet.ops.linalg import Linear
from glassnet.ops.loss import SquaredError

__all__ = ["make"]

_sum = np.add.reduce


def make(op, baked: dict, linked: dict, needs, srcs: list, out: int, proto, reserve):
    """The replay kernels of ``op`` (see the module docstring), or None."""
    factory = _FACTORIES.get(op)
    if factory is None:
        return None
    if needs is None:  # recorded without gradients (predict): no backward runs
        needs = (False,) * len(srcs)
    dtype = proto(out).dtype
    if dtype.kind != "f" or any(proto(s).dtype != dtype for s in srcs):
        return None
    return factory(baked, linked, needs, srcs, out, proto, reserve)


def _into(buffer: np.ndarray, grad_y: np.ndarray):
    """``buffer`` as an ``out=`` for a result computed from ``grad_y``: None (allocate,
    as the op does) when grad_y has another dtype, which would promote the result."""
    return buffer if grad_y.dtype == buffer.dtype else None


def _linear(baked, linked, needs, srcs, out, proto, reserve):
    """Linear: z = x·w + b, as ``Linear.forward``; dL/dx as ``matmul_t_like``."""
    x, w, b = srcs
    xp = proto(x)
    z_buf = reserve(proto(out))
    transposed = xp.ndim == 2 and xp.T.flags.c_contiguous  # matmul_t_like's first branch
    gx_buf = None
    if needs[0]:
        gx_buf = reserve(np.empty(xp.T.shape, xp.dtype) if transposed else xp)

    def forward(v, pend):
        z = np.matmul(v[x], v[w], out=v[z_buf])
        z += v[b]
        v[out] = z

    def backward(v, grad_y):
        xv = v[x]
        grad_x = None
        if gx_buf is not None:
            if transposed:
                grad_x = np.matmul(v[w], grad_y.T, out=_into(v[gx_buf], grad_y)).T
            else:
                grad_x = np.matmul(grad_y, v[w].T, out=_into(v[gx_buf], grad_y))
        grad_y = grad_y.reshape(-1, grad_y.shape[-1])
        grad_w = xv.reshape(-1, xv.shape[-1]).T @ grad_y
        return grad_x, grad_w, _sum(grad_y, axis=0)  # what grad_y.sum(axis=0) calls

    return forward, backward


def _sigmoid(baked, linked, needs, srcs, out, proto, reserve):
    """Sigmoid: y = 1 / (1 + e⁻ˣ) in one buffer; dL/dx = dL/dy ⊙ y(1 − y) in another."""
    (x,) = srcs
    y_buf, g_buf = reserve(proto(out)), reserve(proto(out))

    def forward(v, pend):
        e = v[y_buf]
        with np.errstate(over="ignore"):
            np.negative(v[x], out=e)
            np.exp(e, out=e)
        e += 1
        v[out] = np.reciprocal(e, out=e)

    def backward(v, grad_y):
        y, g = v[out], v[g_buf]
        np.subtract(1, y, out=g)
        np.multiply(y, g, out=g)
        return (np.multiply(grad_y, g, out=_into(g, grad_y)),)

    return forward, backward


def _relu(baked, linked, needs, srcs, out, proto, reserve):
    """ReLU: y = max(0, x) and the mask [y ≠ 0]; dL/dx = dL/dy ⊙ mask."""
    (x,) = srcs
    y_proto = proto(out)
    y_buf, g_buf = reserve(y_proto), reserve(y_proto)
    mask_buf = reserve(np.empty_like(y_proto, dtype=bool))
    zero = y_proto.dtype.type(0)

    def forward(v, pend):
        y = np.maximum(v[x], zero, out=v[y_buf])
        np.not_equal(y, 0, out=v[mask_buf])
        v[out] = y

    def backward(v, grad_y):
        return (np.multiply(grad_y, v[mask_buf], out=_into(v[g_buf], grad_y)),)

    return forward, backward


def _squared_error(baked, linked, needs, srcs, out, proto, reserve):
    """SquaredError: L = s · Σ (a − y)², dL/da = grad_y · 2s (a − y)."""
    (a,) = srcs
    scale, slot = baked.get("scale"), linked.get("target")
    fixed = baked.get("target")
    like = proto(slot) if slot is not None else fixed
    ap = proto(a)
    if type(scale) is not float or like.shape != ap.shape or like.dtype != ap.dtype:
        return None  # a broadcast or promoted difference: the op itself replays
    diff_buf, g_buf = reserve(ap), reserve(ap)

    def forward(v, pend):
        av = v[a]
        diff = np.subtract(av, fixed if slot is None else v[slot], out=v[diff_buf])
        v[out] = np.asarray(scale * np.vdot(diff, diff), dtype=av.dtype)

    def backward(v, grad_y):
        return (np.multiply(v[diff_buf], 2 * scale * grad_y, out=_into(v[g_buf], grad_y)),)

    return forward, backward


_FACTORIES = {Linear: _linear, Sigmoid: _sigmoid, ReLU: _relu, SquaredError: _squared_error}
