"""Peak memory of ``gn.data.load_csv`` against the size of the file it reads.

    python benchmarks/csv_memory.py            # a generated ~26 MB CSV
    python benchmarks/csv_memory.py --mb 5 --columns 40

The file is generated (random numbers with six decimals, a header row, a target column);
the load runs in a fresh subprocess so that nothing else shares its heap. Printed:
the traced peak (Python and NumPy allocations, ``tracemalloc``) and the growth of the
process's resident high-water mark (``ru_maxrss``) during the load, both as multiples of
the file size. ``load_csv`` keeps both within 4× (the test suite checks the traced peak).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

MEASURE = """
import json, resource, sys, time, tracemalloc
import glassnet as gn
path = sys.argv[1]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
start = time.perf_counter()
x, y, names = gn.data.load_csv(path, target="y")
seconds = time.perf_counter() - start
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": len(x), "features": x.shape[1], "traced_peak": peak,
                  "rss_growth": (after - before) * 1024, "seconds": seconds}))
"""


def write_csv(path: Path, megabytes: float, columns: int, seed: int = 0) -> int:
    """A CSV of about ``megabytes`` MB: ``columns`` features and a target ``y``; its size."""
    rng = np.random.default_rng(seed)
    row_bytes = (columns + 1) * 9.5  # "0.123456," or "-0.123456,"
    rows = max(1, int(megabytes * 1e6 / row_bytes))
    with open(path, "w") as f:
        f.write(",".join([f"x{i}" for i in range(columns)] + ["y"]) + "\n")
        for start in range(0, rows, 10_000):
            block = rng.uniform(-1, 1, (min(10_000, rows - start), columns + 1))
            np.savetxt(f, block, fmt="%.6f", delimiter=",")
    return path.stat().st_size


def measure(path: Path) -> dict:
    """Load ``path`` in a fresh interpreter; the figures of :data:`MEASURE`."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=26.0, help="file size in MB (26)")
    parser.add_argument("--columns", type=int, default=10, help="feature columns (10)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        size = write_csv(path, args.mb, args.columns)
        figures = measure(path)
    mb = 1e6
    print(
        f"load_csv: {size / mb:.1f} MB file, {figures['rows']} rows × "
        f"{figures['features'] + 1} columns, {figures['seconds']:.1f} s\n"
        f"  traced peak  {figures['traced_peak'] / mb:7.1f} MB "
        f"({figures['traced_peak'] / size:.2f}× the file)\n"
        f"  RSS growth   {figures['rss_growth'] / mb:7.1f} MB "
        f"({figures['rss_growth'] / size:.2f}× the file)"
    )


if __name__ == "__main__":
    main()
