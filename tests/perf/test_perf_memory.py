"""glassnet keeps freed large arrays in the process (glassnet/_memory.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

import glassnet as gn
from glassnet import _memory


def _faults_of(code: str, keep: str) -> int:
    env = {**os.environ, "GLASSNET_KEEP_FREED_MEMORY": keep}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return int(out.stdout.split()[-1])


LOOP = """
import resource, numpy as np, glassnet
a = np.ones((64, 1024, 1024), np.float32)  # 256 MiB: the first round faults it in
del a
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(4):
    a = np.ones((64, 1024, 1024), np.float32)  # freed and allocated again each round
    del a
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_import_raised_the_thresholds_on_glibc():
    assert _memory.ACTIVE == (
        sys.platform.startswith("linux") and hasattr(__import__("ctypes").CDLL(None), "mallopt")
    )


def test_a_freed_large_array_is_reused_without_page_faults():
    if not _memory.ACTIVE:
        return  # nothing is tuned off glibc; the opt-out test covers the switch
    kept, default = _faults_of(LOOP, "1"), _faults_of(LOOP, "0")
    # After the first round, malloc's defaults fault the whole array in again each round
    # (4 KiB pages or transparent huge pages: count rounds, not pages); kept, it is reused.
    assert default > 0 and kept * 10 < default, (kept, default)


def test_the_opt_out_leaves_malloc_alone(monkeypatch):
    monkeypatch.setenv("GLASSNET_KEEP_FREED_MEMORY", "0")
    assert _memory.keep_freed_memory() is False
    assert gn.tensor(np.ones(3)).shape == (3,)
