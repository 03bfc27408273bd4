"""Kill the driver of a logged search part-way (SIGKILL, no chance to clean up); resume it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tune_builds import SPACE, build_paced, comparable, wages

import glassnet as gn

HERE = Path(__file__).parent
SETTINGS = {"validation_split": 0.25, "epochs": 2, "seed": 7}  # as tune_builds.drive


def _trial_lines(log: Path) -> list[dict]:
    if not log.exists():
        return []
    lines = log.read_text().splitlines()
    return [json.loads(line) for line in lines[1:] if line.endswith("}")]


def test_killed_driver_loses_no_finished_trial_and_resume_matches(tmp_path):
    log, n_trials, k = tmp_path / "search.jsonl", 8, 3
    driver = subprocess.Popen(
        [sys.executable, str(HERE / "tune_builds.py"), str(log), str(n_trials)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    deadline = time.monotonic() + 60
    while len(_trial_lines(log)) < k and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    assert driver.returncode == -signal.SIGKILL  # killed part-way, not finished
    finished = _trial_lines(log)
    assert k <= len(finished) < n_trials

    x, y = wages()
    resumed = gn.tune.random_search(
        build_paced, SPACE, n_trials, x, y, log_path=log, resume=True, **SETTINGS
    )
    whole = gn.tune.random_search(build_paced, SPACE, n_trials, x, y, **SETTINGS)
    assert comparable(resumed) == comparable(whole)
    best = resumed.best_record  # its model is rebuilt (retrained if it came from the log)
    assert resumed.best_model.evaluate(x[-60:], y[-60:])["loss"] == pytest.approx(best["best"])
    by_trial = {r["trial"]: r for r in resumed.records}
    for record in finished:  # every trial finished before the kill is kept as it was
        assert by_trial[record["trial"]]["seconds"] == record["seconds"]
    assert len(_trial_lines(log)) == n_trials  # each trial logged exactly once
    assert sorted(r["trial"] for r in _trial_lines(log)) == list(range(n_trials))
