"""GEMM efficiency per layer of W3 (mnist_cnn, batch 128): where a training step's time goes.

    OPENBLAS_NUM_THREADS=1 python benchmarks/w3_gemm.py
    python benchmarks/w3_gemm.py --quick        # one repeat each (smoke test)

For every matrix product of a W3 training step (the two convolutions' im2col GEMMs and
the dense layers', forward and backward) this times the product twice: as the op calls
it, on the operands the op really holds (a transposed view, a recycled buffer, a
column slice), and as a bare ``np.matmul`` of fresh C-contiguous arrays of the same
shapes. Equal GFLOP/s mean the op feeds BLAS without hidden copies. It then times each
convolution's whole forward and backward, so the share of im2col, col2im and the rest
(everything that is not a GEMM) is visible. Times are the CPU time of the process (all
its threads), best of the repeats: the cleanest reading on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from run import THREADS  # noqa: E402

from glassnet._fastpath import keep_freed_memory  # noqa: E402
from glassnet.ops.conv import Conv2D  # noqa: E402
from glassnet.ops.linalg import Linear  # noqa: E402

BATCH, REPEATS = 128, 5


def best_ms(fn) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times) * 1e3


def bare(a: np.ndarray, b: np.ndarray):
    """A bare np.matmul of fresh C-contiguous operands shaped as a and b."""
    rng = np.random.default_rng(0)
    a2 = rng.standard_normal(a.shape, dtype=np.float32)
    b2 = rng.standard_normal(b.shape, dtype=np.float32)
    out = np.empty((a.shape[0], b.shape[1]), np.float32)
    return lambda: np.matmul(a2, b2, out=out)


def conv_layer(x: np.ndarray, out_channels: int):
    """A Conv2D op run forward and backward on x; its GEMMs as it calls them."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal((out_channels, x.shape[1], 3, 3), dtype=np.float32) * 0.1
    b = np.zeros(out_channels, np.float32)
    op = Conv2D()
    op.needs_input_grad = (x.shape[1] > 1, True, True)
    y = op.forward(x, w, b)
    grad_y = np.ascontiguousarray(y.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)  # batch-last
    op.backward(grad_y)
    K = x.shape[1] * 9
    gy2 = grad_y.transpose(1, 2, 3, 0).reshape(out_channels, -1)
    gemms = {
        "forward  w₂·cols": (op.w2, op.cols),
        "backward dy₂·colsᵀ": (gy2, op.cols.T),
    }
    if op.needs_input_grad[0]:
        gemms["backward w₂ᵀ·dy₂"] = (op.w2[:, :K].T, gy2)
    whole = {
        "forward": lambda: Conv2D().forward(x, w, b),
        "backward": lambda: op.backward(grad_y),
    }
    return y, gemms, whole


def dense_layer(x: np.ndarray, units: int, needs_x: bool):
    rng = np.random.default_rng(2)
    w = rng.standard_normal((x.shape[1], units), dtype=np.float32) * 0.01
    op = Linear()
    op.needs_input_grad = (needs_x, True, True)
    z = op.forward(x, w, np.zeros(units, np.float32))
    grad_z = np.ones_like(z)
    gemms = {"forward  x·w": (x, w), "backward xᵀ·dz": (x.T, grad_z)}
    if needs_x:
        gemms["backward dz·wᵀ"] = (grad_z, w.T)
    return gemms


def table(layers: dict) -> None:
    print(f"{'layer':8s} {'GEMM':22s} {'M×K×N':>20s} {'op ms':>8s} {'GFLOP/s':>8s} "
          f"{'bare ms':>8s} {'GFLOP/s':>8s} {'op/bare':>8s}")  # fmt: skip
    for layer, gemms in layers.items():
        for name, (a, b) in gemms.items():
            flops = 2 * a.shape[0] * a.shape[1] * b.shape[1]
            op_ms, bare_ms = best_ms(lambda a=a, b=b: a @ b), best_ms(bare(a, b))
            shape = f"{a.shape[0]}×{a.shape[1]}×{b.shape[1]}"
            rates = f"{flops / op_ms / 1e6:8.1f} {bare_ms:8.2f} {flops / bare_ms / 1e6:8.1f}"
            print(
                f"{layer:8s} {name:22s} {shape:>20s} {op_ms:8.2f} {rates} {op_ms / bare_ms:8.2f}"
            )


def main(argv=None) -> None:
    global REPEATS
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--quick", action="store_true", help="one repeat, batch 16")
    quick = args.parse_args(argv).quick
    batch = 16 if quick else BATCH
    REPEATS = 1 if quick else REPEATS
    x = np.random.default_rng(0).random((batch, 1, 28, 28), dtype=np.float32)
    with keep_freed_memory():  # as in Model.fit
        y1, conv1, whole1 = conv_layer(x, 32)
        _, conv2, whole2 = conv_layer(np.maximum(y1, 0), 64)
        flat = np.random.default_rng(3).random((batch, 9216), dtype=np.float32)
        hidden = np.random.default_rng(4).random((batch, 128), dtype=np.float32)
        layers = {
            "conv1": conv1,
            "conv2": conv2,
            "dense1": dense_layer(flat, 128, True),
            "dense2": dense_layer(hidden, 10, True),
        }
        print(f"W3 GEMMs, batch {batch}, {THREADS} thread(s); best of {REPEATS}")
        table(layers)
        print(
            f"\n{'layer':8s} {'pass':10s} {'whole op ms':>12s} {'its GEMMs ms':>13s} {'rest':>7s}"
        )
        for layer, gemms, whole in (("conv1", conv1, whole1), ("conv2", conv2, whole2)):
            for name in ("forward", "backward"):
                total = best_ms(whole[name])
                in_gemm = sum(
                    best_ms(lambda a=a, b=b: a @ b) for g, (a, b) in gemms.items() if name in g
                )
                print(f"{layer:8s} {name:10s} {total:12.1f} {in_gemm:13.1f} "
                      f"{100 * (1 - in_gemm / total):6.0f}%")  # fmt: skip


if __name__ == "__main__":
    main()
