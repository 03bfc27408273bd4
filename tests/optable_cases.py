"""The rows of the op table: every primitive op with its torch twin, grouped by family.

Each list (ARITHMETIC, MATMUL, REDUCE, SHAPE, ACTIVATION) holds :class:`OpCase` rows;
tests/optable.py joins them into ``OPS``. Helpers below build the arguments that depend
on an input's shape (masks, axis orders, pad widths).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from opcase import BINARY, MATRIX, UNARY, OpCase, pattern

import glassnet as gn


# ---- helpers for shape-dependent arguments ---------------------------------------------
def _where(lib):
    def where(a, b):
        mask = pattern(np.broadcast_shapes(tuple(a.shape), tuple(b.shape)))
        if lib == "torch":
            return torch.where(torch.from_numpy(mask), a, b)
        return gn.ops.where(mask, a, b)

    return where


def _reversed(ndim: int) -> tuple[int, ...]:
    return tuple(range(ndim))[::-1]


def _rotated(ndim: int) -> tuple[int, ...]:
    return tuple(range(1, ndim)) + (0,) if ndim else ()


def _grown(shape: tuple) -> tuple[int, ...]:
    """A shape ``shape`` broadcasts to: a new leading axis, and size-1 axes grown to 3."""
    return (2,) + tuple(3 if s == 1 else s for s in shape)


def _mask(x):
    return (
        x[torch.from_numpy(pattern(tuple(x.shape)))] if torch.is_tensor(x) else x[pattern(x.shape)]
    )


def _torch_pad(widths):
    def pad(x):
        flat = [w for pair in reversed(widths[: x.ndim]) for w in pair]
        return F.pad(x, flat)

    return pad


POSITIVE = (0.5, 2.5)
AWAY_FROM_ZERO = {"domain": (-2.0, 2.0), "kinks": (0.0,), "margin": 0.5}


# ---- the table ---------------------------------------------------------------------------
ARITHMETIC = [
    OpCase("add", "+", lambda a, b: a + b, shapes=BINARY, broadcasts=True),
    OpCase("add python float", "+", lambda a: 2.5 + a),
    OpCase("sub", "−", lambda a, b: a - b, shapes=BINARY, broadcasts=True),
    OpCase("rsub python float", "−", lambda a: 1.5 - a),
    OpCase("mul", "×", lambda a, b: a * b, shapes=BINARY, broadcasts=True),
    OpCase("mul python float", "×", lambda a: a * 0.5),
    OpCase(
        "div",
        "÷",
        lambda a, b: a / b,
        shapes=BINARY,
        broadcasts=True,
        domain=((-2.0, 2.0), (0.5, 2.0)),
    ),
    OpCase("rdiv python float", "÷", lambda a: 1.5 / a, **AWAY_FROM_ZERO),
    OpCase(
        "pow tensor",
        "**",
        lambda a, b: a**b,
        shapes=BINARY,
        broadcasts=True,
        domain=(POSITIVE, (-2.0, 2.0)),
    ),
    OpCase("pow scalar 3", "**", lambda x: x**3),
    OpCase("pow scalar 5", "**", lambda x: x**5),
    OpCase("pow scalar 2.5", "**", lambda x: x**2.5, domain=POSITIVE),
    OpCase("pow scalar -1", "**", lambda x: x**-1, **AWAY_FROM_ZERO),
    OpCase("rpow python float", "**", lambda x: 2.0**x),
    OpCase("neg", "neg", lambda x: -x),
    OpCase("exp", "exp", lambda x: x.exp()),
    OpCase("log", "log", lambda x: x.log(), domain=POSITIVE),
    OpCase("sqrt", "sqrt", lambda x: x.sqrt(), domain=POSITIVE),
    OpCase("abs", "abs", lambda x: abs(x), kinks=(0.0,)),
    OpCase(
        "maximum", "maximum", gn.ops.maximum, torch.maximum, BINARY, distinct=True, broadcasts=True
    ),
    OpCase(
        "minimum", "minimum", gn.ops.minimum, torch.minimum, BINARY, distinct=True, broadcasts=True
    ),
    OpCase(
        "clip",
        "clip",
        lambda x: x.clip(-0.5, 0.5),
        lambda x: x.clamp(-0.5, 0.5),
        kinks=(-0.5, 0.5),
    ),
    OpCase(
        "clip low only", "clip", lambda x: x.clip(0.3), lambda x: x.clamp(min=0.3), kinks=(0.3,)
    ),
    OpCase("where", "where", _where("gn"), _where("torch"), BINARY, broadcasts=True),
]

MATMUL = [
    OpCase(
        "matmul",
        "matmul",
        lambda a, b: a @ b,
        broadcasts=True,
        shapes=(
            ((4,), (4,)),
            ((4,), (4, 3)),
            ((3, 4), (4,)),
            ((3, 4), (4, 5)),
            ((2, 3, 4), (4,)),
            ((4,), (2, 4, 3)),
            ((2, 1, 3, 4), (5, 4, 2)),
            ((3, 4), (2, 4, 5)),
        ),
    ),
    OpCase(
        "linear",
        "linear",
        lambda x, w, b: gn.ops.linear(x, w, b),
        lambda x, w, b: F.linear(x, w.T, b),
        shapes=(((3, 4), (4, 5), (5,)), ((1, 4), (4, 2), (2,)), ((2, 3, 4), (4, 5), (5,))),
        no_scalar="z = x·w + b needs x (..., in) and a weight matrix w (in, out)",
    ),
]


def _reductions(op: str, gn_fn, torch_fn, distinct: bool = False) -> list[OpCase]:
    settings = {"distinct": distinct}
    return [
        OpCase(
            f"{op} all", op, lambda x: gn_fn(x, None, False), lambda x: torch_fn(x), **settings
        ),
        OpCase(
            f"{op} axis=1 keepdims",
            op,
            lambda x: gn_fn(x, 1, True),
            lambda x: torch_fn(x, 1, True),
            shapes=MATRIX,
            **settings,
        ),
        OpCase(
            f"{op} axis=(0, -1)",
            op,
            lambda x: gn_fn(x, (0, -1), False),
            lambda x: torch_fn(x, (0, -1), False),
            shapes=MATRIX,
            **settings,
        ),
    ]


def _torch_reduce(name):
    method = {"max": torch.amax, "min": torch.amin}.get(name) or getattr(torch, name)

    def reduce(x, axis=None, keepdims=False):
        if axis is None:
            return method(x) if name not in ("max", "min") else method(x, tuple(range(x.ndim)))
        return method(x, axis, keepdim=keepdims)

    return reduce


REDUCE = [
    *_reductions("sum", gn.ops.sum, _torch_reduce("sum")),
    *_reductions("mean", gn.ops.mean, _torch_reduce("mean")),
    *_reductions("max", gn.ops.max, _torch_reduce("max"), distinct=True),
    *_reductions("min", gn.ops.min, _torch_reduce("min"), distinct=True),
    OpCase("var all", "var", lambda x: x.var(), lambda x: x.var(correction=0)),
    OpCase(
        "var axis=1 keepdims ddof=1",
        "var",
        lambda x: x.var(1, True, ddof=1),
        lambda x: x.var(1, keepdim=True, correction=1),
        shapes=MATRIX,
    ),
    OpCase(
        "var axis=(0, -1)",
        "var",
        lambda x: x.var((0, -1)),
        lambda x: x.var((0, -1), correction=0),
        shapes=MATRIX,
    ),
]

SHAPE = [
    OpCase("reshape", "reshape", lambda x: x.reshape(1, -1)),
    OpCase(
        "reshape reversed",
        "reshape",
        lambda x: x.reshape(x.shape[::-1]),
        lambda x: x.reshape(tuple(x.shape)[::-1]),
    ),
    OpCase("transpose .T", "transpose", lambda x: x.T, lambda x: x.permute(_reversed(x.ndim))),
    OpCase(
        "permute",
        "permute",
        lambda x: x.permute(*_rotated(x.ndim)),
        lambda x: x.permute(_rotated(x.ndim)),
    ),
    OpCase(
        "transpose axes",
        "transpose",
        lambda x: x.transpose(2, 0, 1),
        lambda x: x.permute(2, 0, 1),
        shapes=(((2, 3, 4),),),
        no_scalar="needs three axes; 'transpose .T' has the scalar case",
    ),
    OpCase(
        "swapaxes",
        "swapaxes",
        lambda x: x.swapaxes(0, -1),
        shapes=((((4,),),) + MATRIX),
        no_scalar="a scalar has no axes to swap",
    ),
    OpCase("expand_dims 0", "expand_dims", lambda x: x.expand_dims(0), lambda x: x.unsqueeze(0)),
    OpCase(
        "expand_dims -1", "expand_dims", lambda x: x.expand_dims(-1), lambda x: x.unsqueeze(-1)
    ),
    OpCase(
        "squeeze all",
        "squeeze",
        lambda x: x.squeeze(),
        shapes=(((1,),), ((3, 1, 4),), ((2, 1, 3, 1),)),
    ),
    OpCase(
        "squeeze axis",
        "squeeze",
        lambda x: x.squeeze(1),
        shapes=(((3, 1),), ((2, 1, 3, 1),)),
        no_scalar="'squeeze all' has the scalar case",
    ),
    OpCase(
        "broadcast_to",
        "broadcast_to",
        lambda x: x.broadcast_to(_grown(x.shape)),
        lambda x: x.broadcast_to(_grown(tuple(x.shape))),
        shapes=(((),), ((3, 1),), ((1, 4),), ((2, 1, 4),)),
    ),
    OpCase("flatten", "flatten", lambda x: x.flatten(), lambda x: x.flatten()),
    OpCase(
        "flatten start_axis=1",
        "flatten",
        lambda x: x.flatten(1),
        lambda x: x.flatten(1),
        shapes=MATRIX,
    ),
    OpCase("getitem int", "getitem", lambda x: x[1], shapes=(((4,),), ((4, 3),), ((4, 3, 2),))),
    OpCase(
        "getitem slice",
        "getitem",
        lambda x: x[1:3, ..., :2],
        shapes=MATRIX,
        no_scalar="'getitem int' has the scalar case",
    ),
    OpCase(
        "getitem int array with repeats",
        "getitem",
        lambda x: x[np.array([0, 2, 0, 0])],
        lambda x: x[torch.tensor([0, 2, 0, 0])],
        shapes=(((4,),), ((3, 4),), ((3, 2, 2),)),
    ),
    OpCase(
        "getitem mixed",
        "getitem",
        lambda x: x[1, [1, 1, 0]],
        lambda x: x[1, [1, 1, 0]],
        shapes=MATRIX,
        no_scalar="'getitem int' has the scalar case",
    ),
    OpCase("getitem boolean mask", "getitem", _mask, shapes=UNARY[:1] + MATRIX),
    OpCase("getitem None", "getitem", lambda x: x[None], lambda x: x[None]),
    OpCase(
        "concatenate axis 0",
        "concatenate",
        lambda a, b, c: gn.ops.concatenate([a, b, c]),
        lambda a, b, c: torch.cat([a, b, c]),
        shapes=(((2, 3), (1, 3), (3, 3)),),
        no_scalar="scalars have no axis to join along",
    ),
    OpCase(
        "concatenate axis -1",
        "concatenate",
        lambda a, b: gn.ops.concatenate([a, b], -1),
        lambda a, b: torch.cat([a, b], -1),
        shapes=(((4,), (2,)), ((2, 3, 4), (2, 3, 1))),
        no_scalar="scalars have no axis to join along",
    ),
    OpCase(
        "stack axis 0",
        "stack",
        lambda a, b: gn.ops.stack([a, b]),
        lambda a, b: torch.stack([a, b]),
        shapes=(((), ()), ((3, 4), (3, 4))),
    ),
    OpCase(
        "stack axis -1",
        "stack",
        lambda a, b, c: gn.ops.stack([a, b, c], -1),
        lambda a, b, c: torch.stack([a, b, c], -1),
        shapes=(((2, 3, 4),) * 3,),
        no_scalar="'stack axis 0' has the scalar case",
    ),
    OpCase(
        "pad 1",
        "pad",
        lambda x: gn.ops.pad(x, 1),
        _torch_pad([(1, 1)] * 3),
        shapes=(((4,),),) + MATRIX,
        no_scalar="a scalar has no axis to pad",
    ),
    OpCase(
        "pad per axis",
        "pad",
        lambda x: gn.ops.pad(x, ((0, 1), (2, 0))),
        _torch_pad([(0, 1), (2, 0)]),
        shapes=(((3, 4),),),
        no_scalar="a scalar has no axis to pad",
    ),
]

ACTIVATION = [
    OpCase("relu", "relu", lambda x: x.relu(), kinks=(0.0,)),
    OpCase(
        "leaky_relu",
        "leaky_relu",
        lambda x: gn.ops.leaky_relu(x, 0.1),
        lambda x: F.leaky_relu(x, 0.1),
        kinks=(0.0,),
    ),
    OpCase("sigmoid", "sigmoid", lambda x: x.sigmoid(), domain=(-6.0, 6.0)),
    OpCase("tanh", "tanh", lambda x: x.tanh()),
    OpCase("softplus", "softplus", gn.ops.softplus, F.softplus, domain=(-6.0, 6.0)),
    OpCase(
        "softmax axis -1",
        "softmax",
        lambda x: x.softmax(),
        lambda x: x.softmax(-1),
        shapes=(((4,),),) + MATRIX,
        no_scalar="normalises along an axis",
    ),
    OpCase(
        "softmax axis 0",
        "softmax",
        lambda x: x.softmax(0),
        lambda x: x.softmax(0),
        shapes=MATRIX,
        no_scalar="normalises along an axis",
    ),
    OpCase(
        "log_softmax axis -1",
        "log_softmax",
        lambda x: x.log_softmax(),
        lambda x: x.log_softmax(-1),
        shapes=(((4,),),) + MATRIX,
        no_scalar="normalises along an axis",
    ),
    OpCase(
        "log_softmax axis 1",
        "log_softmax",
        lambda x: x.log_softmax(1),
        lambda x: x.log_softmax(1),
        shapes=MATRIX,
        no_scalar="normalises along an axis",
    ),
    OpCase("identity", "identity", gn.ops.identity, lambda x: x * 1.0),
    OpCase(
        "astype float64",
        "astype",
        lambda x: x.astype("float64") * x,
        lambda x: x.to(torch.float64) * x,
    ),
    OpCase(
        "astype float32 round trip",
        "astype",
        lambda x: x.astype("float32").astype("float64"),
        lambda x: x.to(torch.float32).to(torch.float64),
        gradcheck={"eps": 1e-2, "atol": 1e-5},
    ),
]
