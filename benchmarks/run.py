"""Side-by-side training speed: glassnet vs PyTorch eager vs hand-written NumPy.

    python benchmarks/run.py            # full run: W1, W2, W3, memory, median of 5 repeats
    python benchmarks/run.py --quick    # every workload briefly (CI smoke test, no asserts)
    python benchmarks/run.py --clock cpu  # CPU time of this process instead of the wall clock

Workloads (synthetic float32 data of MNIST shape, fixed seed):
    W1  [784, 30, 10] sigmoid, quadratic cost, SGD lr 3.0, batch 10
    W2  784-512-512-10 ReLU, cross-entropy, Adam 1e-3, batch 128
    W3  the Keras mnist_cnn network, cross-entropy, Adam 1e-3, batch 128

glassnet runs twice per workload: with captured steps (the default, ``gn.capture`` replays
the recorded kernels) and eagerly (``compile(capture=False)``), so the gain of capture alone
is visible. Runs are interleaved in one process (glassnet, glassnet eager, torch, numpy,
glassnet, ...) so that background load hits all alike, and each number is the median of
the repeats. torch is pinned to the same thread count as NumPy's BLAS. ``--clock cpu``
times each epoch by the CPU time of the process (all its threads) instead of the wall
clock: on a machine shared with other jobs that is what the work cost, free of the time
spent waiting while others ran (with several threads it also counts a BLAS thread
spinning while it waits). Peak resident memory of W2 is measured in fresh subprocesses
(one per framework), since a process's peak only ever grows.

When JAX is installed (it is never a glassnet dependency), a "jax" runner joins each
workload (``_jax_workloads.py``: one ``jax.jit`` train step per batch) and a row "time vs
jax" gives glassnet's time per epoch over JAX's. XLA's CPU runtime ignores OPENBLAS_NUM_THREADS and
``XLA_FLAGS=--xla_cpu_multi_thread_eigen=false`` (measured on jax 0.10.2: a 2048² jitted
matmul still ran on 2 cores, CPU time / wall time 1.94): its thread pools are sized by the
CPU affinity of the thread that creates them. So jax is imported and its CPU client started
with the main thread pinned (``os.sched_setaffinity``) to the first THREADS allowed CPUs;
the XLA threads born then keep that pin, and the main thread's affinity is then restored,
so the other frameworks run as they do without JAX (verified: the same matmul then runs at
CPU time / wall time 0.95-0.99, every XLA thread's Cpus_allowed_list is one CPU). The
main thread is pinned likewise while the jax runner trains, so that JAX's Python dispatch
shares those CPUs with XLA's work as every other framework's Python does with its BLAS
(unpinned, JAX's asynchronous dispatch overlapped a W1 epoch on 1.4-1.6 CPUs; pinned, 1.0).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _numpy_workloads as reference  # noqa: E402

import glassnet as gn  # noqa: E402
from glassnet.optim import fused  # noqa: E402

_ENV = os.environ
THREADS = int(_ENV.get("OPENBLAS_NUM_THREADS") or _ENV.get("OMP_NUM_THREADS") or os.cpu_count())
SPECS = {  # name: (batch, samples per timed epoch, quick samples, image input, one-hot)
    "W1": (10, 10_000, 500, False, True),
    "W2": (128, 10_240, 1_024, False, False),
    "W3": (128, 1_280, 256, True, False),
}


def synthetic(n: int, image: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1, 28, 28) if image else (n, 784), dtype=np.float32)
    return x, rng.integers(0, 10, n)


def glassnet_model(name: str, capture: bool = True):
    """The glassnet twin of each workload, built and compiled as a user would."""
    d, act = gn.nn, gn.nn
    if name == "W1":
        model = gn.Sequential(
            [d.Dense(784, 30, seed=0), act.Sigmoid(), d.Dense(30, 10, seed=1), act.Sigmoid()]
        )
        model.compile(
            optimizer=gn.optim.SGD(lr=3.0), loss=gn.losses.QuadraticCost(), capture=capture
        )
    elif name == "W2":
        model = gn.Sequential(
            [
                d.Dense(784, 512, seed=0),
                act.ReLU(),
                d.Dense(512, 512, seed=1),
                act.ReLU(),
                d.Dense(512, 10, seed=2),
            ]
        )
        model.compile(
            optimizer=gn.optim.Adam(lr=1e-3), loss=gn.losses.CrossEntropy(), capture=capture
        )
    else:
        model = gn.Sequential(
            [
                d.Conv2D(1, 32, 3, seed=0),
                act.ReLU(),
                d.Conv2D(32, 64, 3, seed=1),
                act.ReLU(),
                d.MaxPool2D(2),
                d.Dropout(0.25, seed=2),
                d.Flatten(),
                d.Dense(9216, 128, seed=3),
                act.ReLU(),
                d.Dropout(0.5, seed=4),
                d.Dense(128, 10, seed=5),
            ]
        )
        model.compile(
            optimizer=gn.optim.Adam(lr=1e-3), loss=gn.losses.CrossEntropy(), capture=capture
        )
    return model


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCKS["wall"]


def time_once(fn) -> float:
    start = clock()
    fn()
    return clock() - start


jax_side = None  # _jax_workloads once load_jax() found JAX, else None
jax_cpus: list[int] = []  # the CPUs JAX runs on (the first THREADS allowed)


def best_interleaved(runs: dict, repeats: int, timer) -> dict[str, float]:
    """The best of ``repeats`` timings (by ``timer``) of each callable in ``runs``, run
    interleaved so that background load hits all alike: seconds per call, by name."""
    best = {name: float("inf") for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            start = timer()
            fn()
            best[name] = min(best[name], timer() - start)
    return best


def on_cpus(cpus, fn):
    """fn() with the calling thread pinned to ``cpus`` (threads it starts inherit the pin)."""
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        return fn()
    finally:
        os.sched_setaffinity(0, allowed)


def load_jax(threads: int):
    """Import JAX (when installed) with its XLA threads pinned to ``threads`` CPUs; returns
    the ``_jax_workloads`` module, or None when JAX is not installed."""
    import importlib.util

    global jax_cpus
    if importlib.util.find_spec("jax") is None:
        return None
    jax_cpus = sorted(os.sched_getaffinity(0))[:threads]

    def start():
        import _jax_workloads
        import jax.numpy as jnp

        jnp.ones(2).sum().block_until_ready()  # starts the CPU client and its threads
        return _jax_workloads

    try:
        return on_cpus(jax_cpus, start)
    except ImportError:
        return None


def runners(name: str, x: np.ndarray, y: np.ndarray):
    """Callables that each train one epoch over (x, y), keyed by framework."""
    import _torch_workloads as torch_side

    batch, _, _, _, onehot = SPECS[name]
    target = np.eye(10, dtype=np.float32)[y] if onehot else y
    model, eager = glassnet_model(name), glassnet_model(name, capture=False)
    torch_parts = torch_side.build(name)
    result = {
        "glassnet": lambda: model.fit(
            x, target, epochs=1, batch_size=batch, shuffle=False, verbose=0
        ),
        "glassnet eager": lambda: eager.fit(
            x, target, epochs=1, batch_size=batch, shuffle=False, verbose=0
        ),
        "torch": lambda: torch_side.epoch(torch_parts, x, y, batch, onehot),
    }
    if name == "W1":
        result["numpy"] = lambda: reference.w1_epoch(x, y, batch)
    elif name == "W2":
        result["numpy"] = lambda: reference.w2_epoch(x, y, batch)
    if jax_side is not None:
        jax_parts = jax_side.build(name)
        result["jax"] = lambda: on_cpus(
            jax_cpus, lambda: jax_side.epoch(jax_parts, x, y, batch, onehot)
        )
    return result


def bench(name: str, quick: bool, repeats: int) -> dict[str, float]:
    """Median samples/s per framework, interleaving the frameworks within each repeat."""
    _, n_full, n_quick, image, _ = SPECS[name]
    n = n_quick if quick else n_full
    x, y = synthetic(n, image)
    fns = runners(name, x, y)
    for fn in fns.values():  # warm-up: allocations, BLAS threads, lazy imports
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            times[key].append(time_once(fn))
    return {k: n / statistics.median(v) for k, v in times.items()}


MEMORY_CHILD = """
import sys
sys.path.insert(0, {here!r})
import run
x, y = run.synthetic(10_240, False)
if {framework!r} == "torch":
    import torch, _torch_workloads as t
    torch.set_num_threads({threads})
    t.epoch(t.build("W2"), x, y, 128, False)
else:
    run.glassnet_model("W2").fit(x, y, epochs=1, batch_size=128, shuffle=False, verbose=0)
print(run.peak_rss_kib())
"""


def peak_rss_kib() -> int:
    """This process's peak resident set (VmHWM). Unlike ru_maxrss, which a child inherits
    from the parent it was forked from, VmHWM starts afresh with each exec."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1])


def peak_memory_mib(framework: str) -> float:
    """Peak resident memory (MiB) of a fresh process that trains one W2 epoch."""
    here = os.path.dirname(os.path.abspath(__file__))
    code = MEMORY_CHILD.format(here=here, framework=framework, threads=THREADS)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="brief smoke run, 1 repeat")
    parser.add_argument("--repeats", type=int, default=None, help="default 5 (--quick: 1)")
    parser.add_argument("--only", nargs="*", default=list(SPECS), choices=list(SPECS))
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall", help="default wall")
    args = parser.parse_args(argv)
    global clock, jax_side
    clock = CLOCKS[args.clock]
    jax_side = load_jax(THREADS)

    import torch
    from rich.console import Console
    from rich.table import Table

    torch.set_num_threads(THREADS)
    peak = reference.gemm_gflops(512 if args.quick else 1024)
    update = "fused (numba)" if fused.available() else "NumPy passes"
    title = f"training speed, {THREADS} threads, {args.clock} clock, Adam {update}"
    table = Table(title=f"{title}, NumPy GEMM peak {peak:.0f} GFLOP/s")
    columns = ("workload", "framework", "samples/s", "s/epoch (60k)", "vs torch", "time vs numpy")
    for col in (*columns, "% GEMM peak"):
        table.add_column(col, justify="right")
    repeats = args.repeats or (1 if args.quick else 5)
    for name in args.only:
        rates = bench(name, args.quick, repeats)
        flops = training_flops(name)
        for key, rate in rates.items():
            table.add_row(
                name,
                key,
                f"{rate:,.0f}",
                f"{60_000 / rate:.2f}",
                f"{rate / rates['torch']:.2f}×",
                f"{rates['numpy'] / rate:.2f}×" if "numpy" in rates else "",
                f"{100 * rate * flops / 1e9 / peak:.1f}%",
            )
        if "jax" in rates:  # glassnet's time per epoch over JAX's
            table.add_row(name, "time vs jax", f"{rates['jax'] / rates['glassnet']:.2f}×")
        gain = rates["glassnet"] / rates["glassnet eager"]
        table.add_row(name, "capture gain", f"{gain:.2f}×", "", "", "", "", end_section=True)
    Console().print(table)
    if not args.quick:
        mem = {k: peak_memory_mib(k) for k in ("glassnet", "torch")}
        print(
            f"W2 peak resident memory: glassnet {mem['glassnet']:.0f} MiB, "
            f"torch {mem['torch']:.0f} MiB (ratio {mem['glassnet'] / mem['torch']:.2f})"
        )
    print(f"peak RSS of this process: {peak_rss_kib() // 1024} MiB")


def training_flops(name: str) -> float:
    """Multiply-add FLOPs per training sample (forward + backward ≈ 3 × forward GEMMs)."""
    if name == "W1":
        forward = 784 * 30 + 30 * 10
    elif name == "W2":
        forward = 784 * 512 + 512 * 512 + 512 * 10
    else:
        forward = 26 * 26 * 32 * 9 + 24 * 24 * 64 * 32 * 9 + 9216 * 128 + 128 * 10
    return 3 * 2 * forward


if __name__ == "__main__":
    main()
