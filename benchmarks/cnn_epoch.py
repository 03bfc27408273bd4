"""Seconds per MNIST epoch of the Keras mnist_cnn network: glassnet vs PyTorch eager.

    python benchmarks/cnn_epoch.py              # 3 interleaved repeats of 40 steps each
    python benchmarks/cnn_epoch.py --steps 469  # whole epochs (60,000 images), slower

The network (batch 128, Adam 1e-3, cross-entropy): Conv 32 3×3 ReLU, Conv 64 3×3 ReLU,
MaxPool 2, Dropout 0.25, Flatten, Dense 128 ReLU, Dropout 0.5, Dense 10. Both frameworks
train on the same real MNIST images (float32), glassnet through ``model.fit`` exactly as a
user would call it, torch through the usual eager loop (zero_grad, forward, loss,
backward, step). The runs alternate glassnet, torch, glassnet, torch, ... in this one
process so background load hits both alike; each number is the median over the repeats,
and s/epoch = median seconds per step × 469 (⌈60,000 / 128⌉ steps). Both the wall clock
and the CPU time of the process are reported: with one thread each, CPU time is what
the work cost, free of the time spent waiting while other jobs ran. torch is pinned to
the thread count NumPy's BLAS uses: all cores, or OPENBLAS_NUM_THREADS when set
(GLASSNET_BENCH_THREADS overrides torch's count alone). On a machine shared with other
jobs, one thread each is the steadier comparison: a BLAS thread that waits for a
descheduled sibling spins, so two-thread timings there swing by several times.
Printed, never asserted: timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch
from _torch_workloads import build as torch_build
from _torch_workloads import epoch as torch_epoch
from run import glassnet_model

import glassnet as gn
from glassnet.vision import mnist_to_images

THREADS = int(
    os.environ.get("GLASSNET_BENCH_THREADS")
    or os.environ.get("OPENBLAS_NUM_THREADS")  # NumPy's BLAS reads this at start-up
    or os.cpu_count()
    or 1
)
STEPS_PER_EPOCH = 469
BATCH = 128


def seconds(fn) -> tuple[float, float]:
    """Wall-clock and CPU seconds (all threads of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=40, help="timed steps per run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(THREADS)

    (x_train, y_train), _ = gn.data.load_mnist()
    n = args.steps * BATCH
    x, y = mnist_to_images(x_train[:n]), y_train[:n].astype(np.int64)
    model, parts = glassnet_model("W3"), torch_build("W3")  # the same networks as run.py's W3
    runs = {
        "glassnet": lambda: model.fit(x, y, epochs=1, batch_size=BATCH, shuffle=False, verbose=0),
        "torch": lambda: torch_epoch(parts, x, y, BATCH, onehot=False),
    }
    warm = (x[: 2 * BATCH], y[: 2 * BATCH])
    model.fit(*warm, epochs=1, batch_size=BATCH, verbose=0)  # allocations, BLAS threads
    torch_epoch(parts, *warm, BATCH, onehot=False)
    times = {name: {"wall": [], "cpu": []} for name in runs}
    for _ in range(args.repeats):
        for name, run in runs.items():
            wall, cpu = seconds(run)
            times[name]["wall"].append(wall / args.steps)
            times[name]["cpu"].append(cpu / args.steps)
    print(
        f"mnist_cnn, batch {BATCH}, {THREADS} thread(s) each, median of {args.repeats} runs of "
        f"{args.steps} steps (s/epoch = s/step × {STEPS_PER_EPOCH})"
    )
    for clock in ("wall", "cpu"):
        report(clock, {name: t[clock] for name, t in times.items()})


def report(clock: str, times: dict[str, list[float]]) -> None:
    """One block of the printout: s/epoch per framework and the ratio, for one clock."""
    per_epoch = {name: statistics.median(t) * STEPS_PER_EPOCH for name, t in times.items()}
    print(
        f"{clock} clock"
        + (" (CPU time: what the process computed, not waited)" if clock == "cpu" else "")
    )
    for name, value in per_epoch.items():
        spread = ", ".join(f"{t * STEPS_PER_EPOCH:.1f}" for t in times[name])
        print(f"  {name:9s} {value:7.1f} s/epoch   (runs: {spread})")
    ratios = [g / t for g, t in zip(times["glassnet"], times["torch"])]
    print(
        f"  ratio     {per_epoch['glassnet'] / per_epoch['torch']:7.2f} × torch (target ≤ 1.5; "
        f"per repeat: {', '.join(f'{r:.2f}' for r in ratios)})"
    )


if __name__ == "__main__":
    main()
