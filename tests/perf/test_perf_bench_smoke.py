"""`benchmarks/run.py --quick` runs every workload end to end (a smoke test: no timing
is asserted; speed is reported by the benchmark itself, never checked in tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_benchmark_quick_run_prints_every_workload():
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for workload in ("W1", "W2", "W3"):
        rows = [line for line in result.stdout.splitlines() if f" {workload} " in line]
        assert {"glassnet", "torch"} <= {word for row in rows for word in row.split()}
    assert "1 threads" in result.stdout
