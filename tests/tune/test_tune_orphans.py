"""Killing the driver of a search with executor="processes" leaves no worker behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir(), reason="reads the process tree from Linux /proc"
)


def _children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (from /proc/<pid>/task/*/children)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return {c for c in found if _running(c)}


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (an exited process not yet reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_killing_the_driver_ends_its_worker_processes():
    driver = subprocess.Popen(
        [sys.executable, str(HERE / "tune_builds.py"), "--pool", "2"],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        deadline, workers = time.monotonic() + 120, set()
        while len(workers) < 2 and driver.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
            workers = _children(driver.pid)
        assert len(workers) == 2, f"the driver started {workers} (exit code {driver.poll()})"
        time.sleep(0.5)  # both workers inside build_stalled's minute of sleep
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        deadline = time.monotonic() + 20
        while any(_running(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [w for w in workers if _running(w)]
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    for pid in left:  # clean up before failing, so that a failure leaves nothing running
        os.kill(pid, signal.SIGKILL)
    assert not left, f"worker processes {left} outlived their killed driver"
