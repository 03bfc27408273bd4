"""Where one W2 training step spends its time, beside PyTorch's: what is left to gain.

    OPENBLAS_NUM_THREADS=1 python benchmarks/w2_profile.py
    python benchmarks/w2_profile.py --quick     # one repeat of a few batches (smoke test)

W2 is 784-512-512-10 ReLU, cross-entropy, Adam 1e-3, batch 128 (see run.py). A step is
split into three parts, each timed on its own, and the whole:

    GEMMs    the step's eight matrix products (three forward, three weight gradients,
             two input gradients: the first layer's input needs none), each alone at the
             step's shapes and layouts: NumPy's as glassnet's replay calls them
             (x·w, xᵀ·gy, gy·wᵀ), PyTorch's as its autograd does (``nn.Linear`` holds
             wᵀ: x·wᵀ, gyᵀ·x, gy·w)
    Adam     the update of the 669,706 weights alone: glassnet's ``Adam.step`` (one
             compiled pass per parameter with the ``fast`` extra, else 13 in-place NumPy
             passes: what the captured step runs; the header says which) and
             ``torch.optim.Adam.step`` (fused two- and three-operand kernels)
    step     a whole step on an epoch's stream of batches: glassnet's captured step
             (fit's compiled loop), PyTorch eager, the hand-written NumPy loop
    rest     step − GEMMs − Adam: the elementwise work, the loss, and the cache misses
             that the parts timed alone, on warm caches, do not pay

and one more row, the update's cost where it runs:

    Adam in step   step − the same step with plain SGD (p -= lr·g): what Adam costs inside
                   the step, its state (m, v: 5.4 MB) fetched again every step after the
                   GEMMs have run through the caches: as 13 NumPy passes more than Adam
                   timed alone, as one fused pass about what SGD's two passes cost

The last lines set the GEMM rate against the machine's peak and the step time that
1.1× PyTorch's samples/s would need against the parts glassnet cannot shorten with NumPy.
Times are wall-clock seconds, the best of the repeats (interleaved): the least disturbed
reading on a shared machine (CPU time would count a BLAS thread spinning as work).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _numpy_workloads as reference  # noqa: E402
import _torch_workloads as torch_side  # noqa: E402
import run  # noqa: E402
from run import THREADS, best_interleaved, glassnet_model, synthetic  # noqa: E402

import glassnet as gn  # noqa: E402
from glassnet.optim import fused  # noqa: E402

BATCH, SIZES = 128, (784, 512, 512, 10)
SAMPLES, REPEATS = 5_120, 5


def best_ms(fn, calls: int = 1) -> float:
    """Milliseconds of CPU time per call of ``fn``: the best of REPEATS runs of ``calls``."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, time.perf_counter() - start)
    return best / calls * 1e3


def gemm_shapes() -> list[tuple[str, int, int, int]]:
    """(name, m, k, n) of each product C[m×n] = A[m×k]·B[k×n] in a W2 step."""
    shapes = []
    for i, (fan_in, fan_out) in enumerate(zip(SIZES[:-1], SIZES[1:]), start=1):
        shapes.append((f"forward {i}", BATCH, fan_in, fan_out))
        shapes.append((f"weight grad {i}", fan_in, BATCH, fan_out))
        if i > 1:
            shapes.append((f"input grad {i}", BATCH, fan_out, fan_in))
    return shapes


def numpy_gemm(name: str, m: int, k: int, n: int):
    """The product as glassnet's replay calls it (transposed views where it uses them)."""
    rng = np.random.default_rng(0)
    if name.startswith("weight"):  # xᵀ·gy: x is batch × fan_in
        a, b = rng.random((k, m), dtype=np.float32).T, rng.random((k, n), dtype=np.float32)
    elif name.startswith("input"):  # gy·wᵀ: w is fan_in × fan_out
        a, b = rng.random((m, k), dtype=np.float32), rng.random((n, k), dtype=np.float32).T
    else:
        a, b = rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32)
    out = np.empty((m, n), np.float32)
    return lambda: np.matmul(a, b, out=out)


def torch_gemm(name: str, m: int, k: int, n: int):
    """The product as PyTorch's Linear and its backward call it (w held as fan_out × fan_in)."""
    gen = torch.Generator().manual_seed(0)
    if name.startswith("weight"):  # gyᵀ·x gives wᵀ's gradient: n × m
        a, b = torch.rand(k, n, generator=gen).t(), torch.rand(k, m, generator=gen)
    elif name.startswith("input"):  # gy·w
        a, b = torch.rand(m, k, generator=gen), torch.rand(k, n, generator=gen)
    else:  # x·wᵀ
        a, b = torch.rand(m, k, generator=gen), torch.rand(n, k, generator=gen).t()
    return lambda: torch.mm(a, b)


def gemms(calls: int) -> list[tuple[str, int, float, float]]:
    """(name, flops, NumPy ms, PyTorch ms) for each GEMM of the step."""
    rows = []
    for name, m, k, n in gemm_shapes():
        mine, theirs = numpy_gemm(name, m, k, n), torch_gemm(name, m, k, n)
        rows.append((name, 2 * m * k * n, best_ms(mine, calls), best_ms(theirs, calls)))
    return rows


def glassnet_loop(x: np.ndarray, y: np.ndarray, sgd: bool):
    """(model, one epoch of fit's compiled loop on the cut batches): with Adam, or plain SGD."""
    model = glassnet_model("W2")
    if sgd:
        model.compile(optimizer=gn.optim.SGD(lr=1e-3), loss=gn.losses.CrossEntropy())
    model.fit(x[: 2 * BATCH], y[: 2 * BATCH], epochs=1, batch_size=BATCH, shuffle=False, verbose=0)
    (program,) = model._captured["train"].programs.values()  # recorded twice: built
    batches = [(x[s : s + BATCH], y[s : s + BATCH]) for s in range(0, len(x), BATCH)]

    def loop():
        with np.errstate(over="ignore", invalid="ignore"):  # as fit's epoch loop runs it
            program.run_loop(iter(batches), [].append)

    return model, loop


def jax_runs(x: np.ndarray, y: np.ndarray) -> dict:
    """JAX's jitted W2 step with Adam and with SGD, on THREADS CPUs, when JAX is installed
    (as in run.py: never a dependency); else no runs."""
    jax_side = run.load_jax(THREADS)
    if jax_side is None:
        return {}

    def epoch(name: str):
        parts = jax_side.build(name)
        return lambda: run.on_cpus(run.jax_cpus, lambda: jax_side.epoch(parts, x, y, BATCH, False))

    return {"JAX": epoch("W2"), "JAX SGD": epoch("W2 SGD")}


def steps(x: np.ndarray, y: np.ndarray) -> tuple[dict, object, object]:
    """ms per step on the stream of batches (Adam, and SGD for the update's cost in the
    step), and the two trained Adam optimizers (grads set)."""
    model, loop = glassnet_loop(x, y, sgd=False)
    parts = torch_side.build("W2")
    sgd_parts = (parts[0], torch.optim.SGD(parts[0].parameters(), lr=1e-3), parts[2])
    runs = {
        "glassnet": loop,
        "glassnet SGD": glassnet_loop(x, y, sgd=True)[1],
        "PyTorch": lambda: torch_side.epoch(parts, x, y, BATCH, False),
        "PyTorch SGD": lambda: torch_side.epoch(sgd_parts, x, y, BATCH, False),
        "NumPy by hand": lambda: reference.w2_epoch(x, y, BATCH),
    }
    runs.update(jax_runs(x, y))
    best = best_interleaved(runs, REPEATS, time.perf_counter)
    per_step = {name: seconds / -(-len(x) // BATCH) * 1e3 for name, seconds in best.items()}
    return per_step, model.optimizer, parts[1]


def print_parts(gemm: dict, adam: dict, rest: dict, step: dict) -> None:
    """The parts table: glassnet and PyTorch; the hand loop's step; JAX's step and Adam in
    step when JAX ran."""
    in_step = {k: step[k] - step[f"{k} SGD"] for k in step if f"{k} SGD" in step}
    print(f"\n{'part':16s}{'glassnet':>10s}{'PyTorch':>10s}{'NumPy by hand':>15s}{'JAX':>8s}")
    parts = (("GEMMs", gemm), ("Adam update", adam), ("rest", rest), ("step", step))
    for part, values in parts + (("Adam in step", in_step),):
        hand = f"{step['NumPy by hand']:15.3f}" if part == "step" else " " * 15
        jax = f"{values['JAX']:8.3f}" if "JAX" in values else ""
        print(f"{part:16s}{values['glassnet']:10.3f}{values['PyTorch']:10.3f}{hand}{jax}")


def report(rows: list, adam: dict, step: dict, peak: float) -> None:
    """Print the GEMM table, the parts, and the bound (see the module docstring)."""
    print(f"{'GEMM':16s}{'GFLOP':>8s}{'NumPy':>9s}{'PyTorch':>9s}")
    for name, flops, ours, torchs in rows:
        print(f"{name:16s}{flops / 1e9:8.3f}{ours:9.3f}{torchs:9.3f}")
    gemm = {"glassnet": sum(r[2] for r in rows), "PyTorch": sum(r[3] for r in rows)}
    rest = {k: step[k] - gemm[k] - adam[k] for k in gemm}
    print_parts(gemm, adam, rest, step)
    rate = {k: sum(r[1] for r in rows) / v / 1e6 for k, v in gemm.items()}
    print(
        f"\nGEMM rate: NumPy {rate['glassnet']:.0f}, PyTorch {rate['PyTorch']:.0f} GFLOP/s "
        f"(NumPy's peak on a 1024² product: {peak:.0f}); glassnet / PyTorch samples/s: "
        f"{step['PyTorch'] / step['glassnet']:.2f}×"
    )
    need, floor = step["PyTorch"] / 1.1, gemm["glassnet"] + adam["glassnet"]
    print(
        f"1.1× PyTorch needs a step of {need:.3f} ms; glassnet's GEMMs and Adam alone take "
        f"{floor:.3f} ms, leaving {need - floor:.3f} ms for the rest (now {rest['glassnet']:.3f})"
    )


def main(argv=None) -> None:
    global REPEATS
    quick = "--quick" in (sys.argv[1:] if argv is None else argv)
    REPEATS = 1 if quick else REPEATS
    torch.set_num_threads(THREADS)
    x, y = synthetic(4 * BATCH if quick else SAMPLES, image=False)
    step, mine, theirs = steps(x, y)
    calls = 2 if quick else 20
    rows = gemms(calls)
    adam = {"glassnet": best_ms(mine.step, calls), "PyTorch": best_ms(theirs.step, calls)}
    peak = reference.gemm_gflops(repeats=2 if quick else 10)
    update = "one fused pass (numba)" if fused.available() else "13 NumPy passes"
    print(f"W2 step, batch {BATCH}, {THREADS} thread(s), Adam as {update}; ms, best of {REPEATS}")
    report(rows, adam, step, peak)


if __name__ == "__main__":
    main()
