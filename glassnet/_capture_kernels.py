"""Replay kernels of :mod:`glassnet.captured`: the commonest ops, written out as source.

A replayed op normally makes a new :class:`~glassnet.autograd.Function` and calls its
``forward`` and ``backward``, which allocate every result. For the ops below a program
instead inlines a few lines of Python that make *the same NumPy calls in the same order*
(so the bits cannot differ) but write into arrays reserved once per program (``out=``),
keep what backward needs in the program's local variables instead of on an object, and
skip the object altogether. :mod:`glassnet._capture_codegen` pastes the lines into the
one function it compiles per program.

``make(op, baked, linked, needs, srcs, out, proto, reserve, consts)`` returns a
:class:`Kernel` or None (the op replays through its Function). ``baked`` holds the
settings fixed at capture, ``linked`` maps the others to the slot they are read from on
each replay (a loss's target: an argument); ``proto(slot)`` is the array a slot held in
the recording (its shape, dtype and memory layout); ``reserve(like)`` is a new slot
holding an uninitialised array shaped and laid out like ``like``, the same array on every
replay; ``consts`` collects the values the lines name (a fixed target).

In the lines, slot k is the variable ``s<k>``; a backward reads the upstream gradient
``gy`` and ends by setting ``rs``, one gradient (or None) per input, as
``Function.backward`` returns them. Gradients that land on a parameter (a weight's dL/dw)
are allocated afresh, as in eager: a parameter's ``.grad`` must not change under the
user's feet at the next step. A kernel is made only when every array it touches has one
dtype, and a backward writes into its buffer only when ``gy`` has that dtype too (else it
allocates, exactly as the op does): a buffer never casts a result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassnet.ops.activation import ReLU, Sigmoid
from glassnet.ops.linalg import Linear
from glassnet.ops.loss import SquaredError

__all__ = ["Kernel", "make"]


@dataclass
class Kernel:
    """One op's replay lines: ``forward`` sets its output slot, ``backward`` sets ``rs``.

    ``quiet``: the forward overflows by design (σ of a large negative x), so it runs
    under ``np.errstate(over="ignore")``, as the op does. ``shapes``: the shape of each
    gradient in ``rs`` (None: it may be None or its shape is not known beforehand), so
    that routing skips the checks a shape known in advance makes moot. ``fresh``: the
    indices of gradients that are new arrays on every call (not views, not buffers), which
    a parameter may take as its ``.grad`` without the engine's copy checks. ``seeded``: the
    backward for ``gy`` = 1 (the loss is where the backward pass starts), with what gy
    multiplies worked out once (the same expression on the same ones: the same bits).
    ``owned``: the output is a workspace array (True; copied to leave a replay) or a new
    array on every call (False; returned as it is).
    """

    forward: list[str]
    backward: list[str]
    quiet: bool = False
    shapes: tuple = ()
    fresh: tuple[int, ...] = ()
    seeded: list[str] | None = None
    owned: bool = True


def make(op, baked: dict, linked: dict, needs, srcs: list, out: int, proto, reserve, consts=None):
    """The replay kernel of ``op`` (see the module docstring), or None."""
    factory = _FACTORIES.get(op)
    if factory is None:
        return None
    if needs is None:  # recorded without gradients (predict): no backward runs
        needs = (False,) * len(srcs)
    dtype = proto(out).dtype
    if dtype.kind != "f" or any(proto(s).dtype != dtype for s in srcs):
        return None
    consts = {} if consts is None else consts
    return factory(baked, linked, needs, srcs, out, proto, reserve, consts)


def _into(buffer: str) -> str:
    """``out=`` for a result computed from ``gy``: the buffer, or None (allocate, as the op
    does) when gy has another dtype, which would promote the result."""
    return f"({buffer} if gy.dtype == {buffer}.dtype else None)"


def _const(consts: dict, value) -> str:
    name = f"k{len(consts)}"
    consts[name] = value
    return name


def _linear(baked, linked, needs, srcs, out, proto, reserve, consts):
    """Linear: z = x·w + b, as ``Linear.forward``; dL/dx as ``matmul_t_like``."""
    x, w, b = (f"s{s}" for s in srcs)
    xp = proto(srcs[0])
    o, z = f"s{out}", f"s{reserve(proto(out))}"
    forward = [f"{o} = matmul({x}, {w}, out={z})", f"{o} += {b}"]
    backward = ["r0 = None"]
    if needs[0]:
        if xp.ndim == 2 and xp.T.flags.c_contiguous:  # matmul_t_like's first branch
            gx = f"s{reserve(np.empty(xp.T.shape, xp.dtype))}"
            backward = [f"r0 = matmul({w}, gy.T, out={_into(gx)}).T"]
        else:
            gx = f"s{reserve(xp)}"
            backward = [f"r0 = matmul(gy, {w}.T, out={_into(gx)})"]
    if xp.ndim == 2:  # reshape(-1, n) of a 2-d array is the array itself: skipped
        backward.append(f"rs = (r0, {x}.T @ gy, add_reduce(gy, axis=0))")
    else:
        backward.append("gy = gy.reshape(-1, gy.shape[-1])")
        backward.append(
            f"rs = (r0, {x}.reshape(-1, {x}.shape[-1]).T @ gy, add_reduce(gy, axis=0))"
        )
    n = proto(out).shape[-1]
    shapes = (xp.shape if needs[0] else None, (xp.shape[-1], n), (n,))
    return Kernel(forward, backward, shapes=shapes, fresh=(1, 2))


def _sigmoid(baked, linked, needs, srcs, out, proto, reserve, consts):
    """Sigmoid: y = 1 / (1 + e⁻ˣ) in one buffer; dL/dx = dL/dy ⊙ y(1 − y) in another."""
    x, o = f"s{srcs[0]}", f"s{out}"
    y, g = f"s{reserve(proto(out))}", f"s{reserve(proto(out))}"
    forward = [
        f"negative({x}, out={y})",
        f"exp({y}, out={y})",
        f"{y} += 1",
        f"{o} = reciprocal({y}, out={y})",
    ]
    backward = [
        f"subtract(1, {o}, out={g})",
        f"multiply({o}, {g}, out={g})",
        f"rs = (multiply(gy, {g}, out={_into(g)}),)",
    ]
    return Kernel(forward, backward, quiet=True, shapes=(proto(out).shape,))


def _relu(baked, linked, needs, srcs, out, proto, reserve, consts):
    """ReLU: y = max(0, x) and the mask [y ≠ 0]; dL/dx = dL/dy ⊙ mask."""
    x, o = f"s{srcs[0]}", f"s{out}"
    y_proto = proto(out)
    y, g = f"s{reserve(y_proto)}", f"s{reserve(y_proto)}"
    mask = f"s{reserve(np.empty_like(y_proto, dtype=bool))}"
    zero = _const(consts, y_proto.dtype.type(0))
    forward = [f"{o} = maximum({x}, {zero}, out={y})", f"not_equal({o}, 0, out={mask})"]
    backward = [f"rs = (multiply(gy, {mask}, out={_into(g)}),)"]
    return Kernel(forward, backward, shapes=(y_proto.shape,))


def _squared_error(baked, linked, needs, srcs, out, proto, reserve, consts):
    """SquaredError: L = s · Σ (a − y)², dL/da = grad_y · 2s (a − y)."""
    (a,) = srcs
    scale, slot = baked.get("scale"), linked.get("target")
    fixed = baked.get("target")
    like = proto(slot) if slot is not None else fixed
    ap = proto(a)
    if type(scale) is not float or like.shape != ap.shape or like.dtype != ap.dtype:
        return None  # a broadcast or promoted difference: the op itself replays
    diff, g = f"s{reserve(ap)}", f"s{reserve(ap)}"
    target = _const(consts, fixed) if slot is None else f"s{slot}"
    s, dtype = _const(consts, scale), _const(consts, ap.dtype)
    forward = [
        f"subtract(s{a}, {target}, out={diff})",
        f"s{out} = asarray({s} * vdot({diff}, {diff}), dtype={dtype})",
    ]
    backward = [f"rs = (multiply({diff}, 2 * {s} * gy, out={_into(g)}),)"]
    seed = np.ones(proto(out).shape, proto(out).dtype)
    factor = _const(consts, 2 * scale * seed)  # 2s·gy for gy = 1, as backward computes it
    into = g if seed.dtype == ap.dtype else None
    seeded = [f"rs = (multiply({diff}, {factor}, out={into}),)"]
    return Kernel(forward, backward, shapes=(ap.shape,), seeded=seeded, owned=False)


_FACTORIES = {Linear: _linear, Sigmoid: _sigmoid, ReLU: _relu, SquaredError: _squared_error}
