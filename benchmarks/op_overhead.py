"""Per-op overhead: one forward + backward on small tensors, glassnet vs torch eager vs NumPy.

On a 10×30 tensor the arithmetic takes well under a microsecond, so what is measured is
the framework's bookkeeping per op: building the output tensor, recording the graph,
ordering it and calling each backward. The hand-written NumPy step (forward and backward
formulas, no graph) is the floor a NumPy framework can approach. Every primitive op of
the core has a row, and before timing each row checks that the three agree on the input
gradients.

All three run interleaved in one process with one thread each (BLAS and torch), and each
number is the median over repeats of the mean time per call in a block of calls. Time is
this process's CPU time, so other programs sharing the machine disturb it little.

    .venv/bin/python benchmarks/op_overhead.py [--repeats 15] [--calls 300]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import glassnet as gn  # noqa: E402

torch.set_num_threads(1)
N, D = 10, 30


@dataclass
class Bench:
    """One op: the same computation written three ways, each taking the inputs (and grad_y).

    ``shapes`` are the inputs' shapes; ``positive`` samples them in [0.5, 2] (log, sqrt,
    a tensor power) instead of from N(0, 1).
    """

    name: str
    glassnet: Callable
    torch: Callable
    numpy: Callable  # forward and hand-written backward, returns the input gradients
    shapes: tuple = ((N, D),)
    positive: bool = False


PAIR, MATRIX = ((N, D), (N, D)), ((N, D), (D, D))
MASK = np.random.default_rng(1).random((N, D)) > 0.5
ROWS = np.array([0, 2, 0, 5])  # repeats: backward scatter-adds
T_MASK, T_ROWS = torch.from_numpy(MASK), torch.from_numpy(ROWS)


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def _scatter(x, index, g, add=False):
    grad_x = np.zeros_like(x)
    if add:
        np.add.at(grad_x, index, g)
    else:
        grad_x[index] = g
    return (grad_x,)


def _var_backward(x, g):
    centered = x - x.mean(1, keepdims=True)
    return (g[:, None] * 2 * centered / x.shape[1],)


def _log_softmax_backward(x, g):
    return (g - _softmax(x) * g.sum(-1, keepdims=True),)


def _same(fn):
    """A glassnet/torch pair spelled the same way in both libraries."""
    return fn, fn


BENCHES = [
    Bench(
        "add (broadcast bias)",
        *_same(lambda x, b: x + b),
        lambda x, b, g: (g, g.sum(0)),
        ((N, D), (D,)),
    ),
    Bench("sub", *_same(lambda x, w: x - w), lambda x, w, g: (g, -g), PAIR),
    Bench("mul", *_same(lambda x, w: x * w), lambda x, w, g: (g * w, g * x), PAIR),
    Bench(
        "div",
        *_same(lambda x, w: x / w),
        lambda x, w, g: (g / w, -g * x / (w * w)),
        PAIR,
        positive=True,
    ),
    Bench("pow scalar (x ** 3)", *_same(lambda x: x**3), lambda x, g: (g * 3 * x * x,)),
    Bench(
        "pow tensor (x ** w)",
        *_same(lambda x, w: x**w),
        lambda x, w, g: (lambda y: (g * w * y / x, g * y * np.log(x)))(x**w),
        PAIR,
        positive=True,
    ),
    Bench("neg", *_same(lambda x: -x), lambda x, g: (-g,)),
    Bench("exp", *_same(lambda x: x.exp()), lambda x, g: (g * np.exp(x),)),
    Bench("log", *_same(lambda x: x.log()), lambda x, g: (g / x,), positive=True),
    Bench("sqrt", *_same(lambda x: x.sqrt()), lambda x, g: (g / (2 * np.sqrt(x)),), positive=True),
    Bench("abs", *_same(lambda x: abs(x)), lambda x, g: (g * np.sign(x),)),
    Bench(
        "maximum",
        gn.ops.maximum,
        torch.maximum,
        lambda x, w, g: (lambda m: (g * m, g * ~m))(x > w),
        PAIR,
    ),
    Bench(
        "minimum",
        gn.ops.minimum,
        torch.minimum,
        lambda x, w, g: (lambda m: (g * m, g * ~m))(x < w),
        PAIR,
    ),
    Bench(
        "clip",
        lambda x: x.clip(-0.5, 0.5),
        lambda x: x.clamp(-0.5, 0.5),
        lambda x, g: (g * ((x >= -0.5) & (x <= 0.5)),),
    ),
    Bench(
        "where",
        lambda x, w: gn.ops.where(MASK, x, w),
        lambda x, w: torch.where(T_MASK, x, w),
        lambda x, w, g: (np.where(MASK, g, 0), np.where(MASK, 0, g)),
        PAIR,
    ),
    Bench(
        "astype float64",
        lambda x: x.astype("float64"),
        lambda x: x.to(torch.float64),
        lambda x, g: (g.astype(x.dtype),),
    ),
    Bench(
        "matmul (10×30 @ 30×30)",
        *_same(lambda x, m: x @ m),
        lambda x, m, g: (g @ m.T, x.T @ g),
        MATRIX,
    ),
    Bench(
        "linear (x·w + b)",
        gn.ops.linear,
        lambda x, m, b: torch.addmm(b, x, m),
        lambda x, m, b, g: (g @ m.T, x.T @ g, g.sum(0)),
        ((N, D), (D, D), (D,)),
    ),
    Bench(
        "sum(axis=1)",
        *_same(lambda x: x.sum(1)),
        lambda x, g: (np.broadcast_to(g[:, None], x.shape),),
    ),
    Bench(
        "mean (all)",
        *_same(lambda x: x.mean()),
        lambda x, g: (np.broadcast_to(g / x.size, x.shape),),
    ),
    Bench(
        "max(axis=1)",
        lambda x: x.max(1),
        lambda x: x.amax(1),
        lambda x, g: (g[:, None] * (x == x.max(1, keepdims=True)),),
    ),
    Bench(
        "min(axis=1)",
        lambda x: x.min(1),
        lambda x: x.amin(1),
        lambda x, g: (g[:, None] * (x == x.min(1, keepdims=True)),),
    ),
    Bench("var(axis=1)", lambda x: x.var(1), lambda x: x.var(1, correction=0), _var_backward),
    Bench("reshape", *_same(lambda x: x.reshape(30, 10)), lambda x, g: (g.reshape(x.shape),)),
    Bench("transpose (.T)", *_same(lambda x: x.T), lambda x, g: (g.T,)),
    Bench(
        "broadcast_to (1×30 → 10×30)",
        *_same(lambda x: x.broadcast_to((N, D))),
        lambda x, g: (g.sum(0, keepdims=True),),
        ((1, D),),
    ),
    Bench("getitem [2:7]", *_same(lambda x: x[2:7]), lambda x, g: _scatter(x, slice(2, 7), g)),
    Bench(
        "getitem int array",
        lambda x: x[ROWS],
        lambda x: x[T_ROWS],
        lambda x, g: _scatter(x, ROWS, g, add=True),
    ),
    Bench(
        "getitem boolean mask",
        lambda x: x[MASK],
        lambda x: x[T_MASK],
        lambda x, g: _scatter(x, MASK, g),
    ),
    Bench(
        "concatenate",
        lambda x, w: gn.ops.concatenate([x, w]),
        lambda x, w: torch.cat([x, w]),
        lambda x, w, g: (g[:N], g[N:]),
        PAIR,
    ),
    Bench(
        "stack",
        lambda x, w: gn.ops.stack([x, w]),
        lambda x, w: torch.stack([x, w]),
        lambda x, w, g: (g[0], g[1]),
        PAIR,
    ),
    Bench(
        "pad 1",
        lambda x: gn.ops.pad(x, 1),
        lambda x: F.pad(x, (1, 1, 1, 1)),
        lambda x, g: (g[1:-1, 1:-1],),
    ),
    Bench("identity (torch: view_as)", gn.ops.identity, lambda x: x.view_as(x), lambda x, g: (g,)),
    Bench("relu", *_same(lambda x: x.relu()), lambda x, g: (g * (x > 0),)),
    Bench(
        "leaky_relu",
        gn.ops.leaky_relu,
        F.leaky_relu,
        lambda x, g: (g * np.where(x > 0, 1, np.float32(0.01)),),
    ),
    Bench(
        "sigmoid",
        *_same(lambda x: x.sigmoid()),
        lambda x, g: (lambda y: (g * y * (1 - y),))(_sigmoid(x)),
    ),
    Bench(
        "tanh", *_same(lambda x: x.tanh()), lambda x, g: (lambda y: (g * (1 - y * y),))(np.tanh(x))
    ),
    Bench("softplus", gn.ops.softplus, F.softplus, lambda x, g: (g * _sigmoid(x),)),
    Bench(
        "softmax",
        lambda x: x.softmax(),
        lambda x: x.softmax(-1),
        lambda x, g: (lambda y: (y * (g - (g * y).sum(-1, keepdims=True)),))(_softmax(x)),
    ),
    Bench(
        "log_softmax",
        lambda x: x.log_softmax(),
        lambda x: x.log_softmax(-1),
        _log_softmax_backward,
    ),
]


def _inputs(bench: Bench, rng) -> list[np.ndarray]:
    if bench.positive:
        return [rng.uniform(0.5, 2.0, s).astype(np.float32) for s in bench.shapes]
    return [rng.standard_normal(s).astype(np.float32) for s in bench.shapes]


def _runners(bench: Bench, arrays: list[np.ndarray], rng):
    """Three zero-argument callables that each do one forward + backward, after checking
    that they agree on the input gradients."""
    gx = [gn.tensor(a, requires_grad=True) for a in arrays]
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_shape = bench.glassnet(*gx).shape
    grad_y = rng.standard_normal(out_shape).astype(np.float32)
    torch_grad_y = torch.from_numpy(grad_y)

    def run_glassnet():
        for t in gx:
            t.grad = None
        bench.glassnet(*gx).backward(grad_y)

    def run_torch():
        for t in tx:
            t.grad = None
        bench.torch(*tx).backward(torch_grad_y)

    def run_numpy():
        return bench.numpy(*arrays, grad_y)

    run_glassnet(), run_torch()
    for i, grad in enumerate(run_numpy()):  # the three compute the same gradients
        for lib, got in (("glassnet", gx[i].grad), ("torch", tx[i].grad.numpy())):
            np.testing.assert_allclose(got, grad, rtol=1e-4, atol=1e-5, err_msg=f"{lib} {i}")
    return {"numpy": run_numpy, "glassnet": run_glassnet, "torch": run_torch}


def _time_block(run: Callable, calls: int) -> float:
    start = time.process_time_ns()
    for _ in range(calls):
        run()
    return (time.process_time_ns() - start) / calls / 1e3  # µs per call


def measure(repeats: int, calls: int, seed: int = 0) -> dict[str, dict[str, float]]:
    """Median µs per forward+backward for each op and library, interleaved per repeat."""
    rng = np.random.default_rng(seed)
    runners = {b.name: _runners(b, _inputs(b, rng), rng) for b in BENCHES}
    samples = {name: {lib: [] for lib in libs} for name, libs in runners.items()}
    for libs in runners.values():  # warm-up
        for run in libs.values():
            _time_block(run, max(calls // 10, 1))
    for _ in range(repeats):
        for name, libs in runners.items():
            for lib, run in libs.items():
                samples[name][lib].append(_time_block(run, calls))
    return {
        name: {lib: statistics.median(v) for lib, v in libs.items()}
        for name, libs in samples.items()
    }


def report(results: dict[str, dict[str, float]]) -> Table:
    table = Table(title=f"forward + backward per op on {N}×{D} float32 (µs of CPU time, median)")
    for column in (
        "op",
        "NumPy by hand",
        "glassnet",
        "torch eager",
        "glassnet / torch",
        "glassnet − NumPy",
    ):
        table.add_column(column, justify="left" if column == "op" else "right")
    for name, r in results.items():
        table.add_row(
            name,
            f"{r['numpy']:.1f}",
            f"{r['glassnet']:.1f}",
            f"{r['torch']:.1f}",
            f"{r['glassnet'] / r['torch']:.2f}",
            f"{r['glassnet'] - r['numpy']:.1f}",
        )
    total = {lib: sum(r[lib] for r in results.values()) for lib in ("numpy", "glassnet", "torch")}
    table.add_row(
        "all ops",
        f"{total['numpy']:.1f}",
        f"{total['glassnet']:.1f}",
        f"{total['torch']:.1f}",
        f"{total['glassnet'] / total['torch']:.2f}",
        f"{total['glassnet'] - total['numpy']:.1f}",
        style="bold",
    )
    return table


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args(argv)
    Console(width=120).print(report(measure(args.repeats, args.calls)))
    print(f"torch {torch.__version__}, numpy {np.__version__}, 1 thread each")


if __name__ == "__main__":
    main()
