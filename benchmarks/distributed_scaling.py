"""Data-parallel scaling of W2 on MPI: samples/s with 1 and 2 ranks, and the Allreduce share.

    python benchmarks/distributed_scaling.py          # 1 rank, then 2 (batch 128 and 64 each)
    python benchmarks/distributed_scaling.py --quick  # fewer rows (a smoke run)

W2 is run.py's 784-512-512-10 ReLU MLP, cross-entropy, Adam 1e-3, on synthetic MNIST-shaped
float32 rows. Each configuration is launched as ``mpirun -n P --oversubscribe python
distributed_scaling.py --worker ...`` with one BLAS thread per rank (OPENBLAS_NUM_THREADS=1),
using the mpirun of this Python's environment (the ``distributed`` extra). Per rank:

- batch 128 per rank: the global batch grows with the ranks (P·128; Horovod's usual way);
- batch 64 per rank on 2 ranks: the global batch stays 128, the same updates as 1 rank.

Reported: samples/s of the whole job (median of the repeats, epoch wall time on rank 0),
the speed-up over 1 rank, the share of the time rank 0 spent inside the gradient
Allreduce (waiting for the other rank included), and the time of one bare Allreduce of
the W2 gradient buffer (669,706 gradients + 8 bookkeeping floats, 2.68 MB) measured alone,
median and best of 30: the best is the transfer itself, the median adds the waits of a
rank that the OS has descheduled (on a shared, oversubscribed machine they dominate).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MPIRUN = Path(sys.executable).parent / "mpirun"


def worker(batch: int, samples: int, repeats: int) -> None:
    """One rank: time ``repeats`` epochs of W2 and print rank 0's numbers as JSON."""
    sys.path.insert(0, str(HERE))
    from run import glassnet_model, synthetic

    import glassnet as gn

    comm = gn.distributed.init()
    x, y = synthetic(samples, image=False)
    model = glassnet_model("W2")
    model.fit(x[: batch * 4 * comm.size], y[: batch * 4 * comm.size], batch_size=batch, verbose=0)
    rates, shares = [], []
    for _ in range(repeats):
        comm.Barrier()
        started = time.perf_counter()
        history = model.fit(x, y, epochs=1, batch_size=batch, shuffle=False, verbose=0)
        comm.Barrier()
        seconds = time.perf_counter() - started
        rates.append(samples / seconds)
        spent = getattr(history, "allreduce", {"seconds": 0.0})["seconds"]
        shares.append(spent / seconds)
    bare = bare_allreduce(comm, gn.distributed.GradientReducer(model.parameters()).buffer)
    if comm.rank == 0:
        result = {
            "ranks": comm.size,
            "batch_per_rank": batch,
            "samples_per_s": statistics.median(rates),
            "allreduce_share": statistics.median(shares),
            "bare_allreduce_ms": [seconds * 1e3 for seconds in bare],
            "buffer_bytes": int(gn.distributed.GradientReducer(model.parameters()).nbytes),
        }
        print("RESULT " + json.dumps(result), flush=True)


def bare_allreduce(comm, buffer: np.ndarray, calls: int = 30) -> tuple[float, float]:
    """(median, best) seconds of one Allreduce of ``buffer``, every rank already waiting."""
    from mpi4py import MPI

    times = []
    for _ in range(calls):
        comm.Barrier()
        started = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def launch(ranks: int, batch: int, samples: int, repeats: int) -> dict:
    env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "OMPI_ALLOW_RUN_AS_ROOT": "1",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
        "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]),
    }
    command = [str(MPIRUN), "-n", str(ranks), "--oversubscribe", sys.executable, __file__]
    command += ["--worker", "--batch", str(batch), "--samples", str(samples)]
    command += ["--repeats", str(repeats)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"mpirun failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(lines[0][len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--samples", type=int, default=10_240)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.worker:
        return worker(args.batch, args.samples, args.repeats)
    samples, repeats = (1_024, 1) if args.quick else (args.samples, args.repeats)
    runs = [launch(1, 128, samples, repeats), launch(2, 128, samples, repeats)]
    runs.append(launch(2, 64, samples, repeats))
    base = runs[0]["samples_per_s"]
    print(f"W2 on MPI, {samples} rows per epoch, 1 BLAS thread per rank, {os.cpu_count()} cores")
    print(
        "ranks  batch/rank  global batch  samples/s  speed-up  Allreduce share  bare Allreduce ms"
    )
    for r in runs:
        median, best = r["bare_allreduce_ms"]
        bare = f"{median:.2f} (best {best:.2f})" if r["ranks"] > 1 else "—"
        print(
            f"{r['ranks']:>5}  {r['batch_per_rank']:>10}  {r['ranks'] * r['batch_per_rank']:>12}"
            f"  {r['samples_per_s']:>9,.0f}  {r['samples_per_s'] / base:>7.2f}×"
            f"  {r['allreduce_share']:>15.1%}  {bare}"
        )
    print(f"gradient buffer per step: {runs[0]['buffer_bytes'] / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
