"""Per-op overhead: one forward + backward on small tensors, glassnet vs torch eager vs NumPy.

On a 10×30 tensor the arithmetic takes well under a microsecond, so what is measured is
the framework's bookkeeping per op: building the output tensor, recording the graph,
ordering it and calling each backward. The hand-written NumPy step (forward and backward
formulas, no graph) is the floor a NumPy framework can approach.

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
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import glassnet as gn  # noqa: E402

torch.set_num_threads(1)
N, D = 10, 30


@dataclass
class Bench:
    """One op: the same computation written three ways, each taking (x, w) and grad_y."""

    name: str
    glassnet: Callable
    torch: Callable
    numpy: Callable  # forward and hand-written backward, returns the input gradients


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _getitem_backward(x, g):
    grad_x = np.zeros_like(x)
    grad_x[2:7] = g
    return (grad_x,)


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


BENCHES = [
    Bench(
        "add (broadcast bias)",
        lambda x, b: x + b,
        lambda x, b: x + b,
        lambda x, b, g: (g, g.sum(0)),
    ),
    Bench("mul", lambda x, w: x * w, lambda x, w: x * w, lambda x, w, g: (g * w, g * x)),
    Bench(
        "matmul (10×30 @ 30×30)",
        lambda x, m: x @ m,
        lambda x, m: x @ m,
        lambda x, m, g: (g @ m.T, x.T @ g),
    ),
    Bench("exp", lambda x: x.exp(), lambda x: x.exp(), lambda x, g: (g * np.exp(x),)),
    Bench("relu", lambda x: x.relu(), lambda x: x.relu(), lambda x, g: (g * (x > 0),)),
    Bench(
        "sigmoid",
        lambda x: x.sigmoid(),
        lambda x: x.sigmoid(),
        lambda x, g: (lambda y: (g * y * (1 - y),))(_sigmoid(x)),
    ),
    Bench(
        "tanh",
        lambda x: x.tanh(),
        lambda x: x.tanh(),
        lambda x, g: (lambda y: (g * (1 - y * y),))(np.tanh(x)),
    ),
    Bench(
        "sum(axis=1)",
        lambda x: x.sum(1),
        lambda x: x.sum(1),
        lambda x, g: (np.broadcast_to(g[:, None], x.shape),),
    ),
    Bench(
        "mean (all)",
        lambda x: x.mean(),
        lambda x: x.mean(),
        lambda x, g: (np.broadcast_to(g / x.size, x.shape),),
    ),
    Bench(
        "max(axis=1)",
        lambda x: x.max(1),
        lambda x: x.amax(1),
        lambda x, g: (g[:, None] * (x == x.max(1, keepdims=True)),),
    ),
    Bench(
        "softmax",
        lambda x: x.softmax(),
        lambda x: x.softmax(-1),
        lambda x, g: (lambda y: (y * (g - (g * y).sum(-1, keepdims=True)),))(_softmax(x)),
    ),
    Bench(
        "reshape",
        lambda x: x.reshape(30, 10),
        lambda x: x.reshape(30, 10),
        lambda x, g: (g.reshape(x.shape),),
    ),
    Bench(
        "getitem [2:7]",
        lambda x: x[2:7],
        lambda x: x[2:7],
        _getitem_backward,
    ),
]


def _inputs(bench: Bench, rng) -> list[np.ndarray]:
    arity = bench.glassnet.__code__.co_argcount
    x = rng.standard_normal((N, D)).astype(np.float32)
    if arity == 1:
        return [x]
    second = {"add (broadcast bias)": (D,), "matmul (10×30 @ 30×30)": (D, D)}.get(bench.name)
    return [x, rng.standard_normal(second or (N, D)).astype(np.float32)]


def _runners(bench: Bench, arrays: list[np.ndarray], rng):
    """Three zero-argument callables that each do one forward + backward."""
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
        bench.numpy(*arrays, grad_y)

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
