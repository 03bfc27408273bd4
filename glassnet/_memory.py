"""Keep freed large arrays inside the process, so the next training step reuses them.

glibc's malloc serves requests above a threshold (at most 32 MiB) with fresh ``mmap``
pages and returns them to the OS on ``free``. A convolution's im2col matrix (85 MiB for
the mnist_cnn network at batch 128) is allocated and freed every step, so every step
page-faulted ~37 MB back in: 9,455 minor faults and about a quarter of a W3 step's time
on the development machine. Raising the mmap and trim thresholds keeps those pages in
the heap; peak memory is unchanged, since the same sizes are reused step after step.
PyTorch solves the same problem with its own caching allocator.

This runs once when glassnet is imported, only with glibc (elsewhere it does nothing).
Set ``GLASSNET_KEEP_FREED_MEMORY=0`` to leave malloc's defaults alone.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1  # keep up to this many free bytes at the top of the heap
M_MMAP_THRESHOLD = -3  # serve requests below this size from the heap, not mmap
THRESHOLD = 1 << 30  # 1 GiB: larger than any per-step temporary of a laptop-sized model


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds; True when they were set."""
    if not sys.platform.startswith("linux") or os.environ.get("GLASSNET_KEEP_FREED_MEMORY") == "0":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, THRESHOLD)
    )


ACTIVE = keep_freed_memory()
