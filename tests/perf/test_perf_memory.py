"""glassnet keeps freed large arrays in the process while it trains, and only then
(glassnet._fastpath.keep_freed_memory, entered by Model.fit)."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet import _fastpath

GLIBC = sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "mallopt")

ROUNDS = """
import resource, sys, numpy as np, glassnet
from glassnet._fastpath import keep_freed_memory

def faults():
    a = np.ones((32, 1024, 1024), np.float32)  # 128 MiB: the first round faults it in
    del a
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(3):
        a = np.ones((32, 1024, 1024), np.float32)  # freed and allocated again each round
        del a
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

at_import = faults()
with keep_freed_memory() as tuned:
    inside = faults()
print(tuned, at_import, inside, faults())
"""


def _run(keep: str | None) -> tuple[bool, int, int, int]:
    env = {k: v for k, v in os.environ.items() if k != "GLASSNET_KEEP_FREED_MEMORY"}
    if keep is not None:
        env["GLASSNET_KEEP_FREED_MEMORY"] = keep
    out = subprocess.run(
        [sys.executable, "-c", ROUNDS], capture_output=True, text=True, env=env, check=True
    )
    tuned, *faults = out.stdout.split()
    return (tuned == "True", *map(int, faults))


@pytest.mark.skipif(not GLIBC, reason="the tuning is glibc's mallopt; elsewhere nothing changes")
def test_malloc_is_tuned_only_inside_the_block_not_at_import():
    tuned, at_import, inside, after = _run(None)
    # malloc's defaults fault the whole array in again each round (4 KiB pages or
    # transparent huge pages: count rounds, not pages); inside the block it is reused.
    assert tuned and at_import > 0 and inside * 10 < at_import, (at_import, inside)
    assert after * 2 > at_import, (at_import, after)  # 128 MiB is mmap'ed again after it


@pytest.mark.skipif(not GLIBC, reason="the tuning is glibc's mallopt; elsewhere nothing changes")
def test_the_opt_out_leaves_malloc_alone():
    tuned, at_import, inside, _ = _run("0")
    assert not tuned and inside * 2 > at_import, (at_import, inside)


def test_blocks_nest_and_fit_enters_one(monkeypatch):
    seen = []
    monkeypatch.setattr(_fastpath, "_set_thresholds", lambda _, value: seen.append(value) or 1)
    with _fastpath.keep_freed_memory(), _fastpath.keep_freed_memory():
        assert _fastpath._active == 2 or not GLIBC
    assert _fastpath._active == 0
    model = gn.Sequential([gn.nn.Dense(2, 1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    expected = [_fastpath.KEEP, _fastpath.AFTER_FIT] * 2 if GLIBC else []
    assert seen == expected  # once around the nested blocks, once around fit
