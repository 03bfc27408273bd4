"""benchmarks/run.py's optional JAX runner: JAX is never a dependency, so without it the
benchmark must run exactly as before; the CPU pinning it uses for XLA is checked for real."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import run as bench  # noqa: E402

no_jax = pytest.mark.skipif(
    importlib.util.find_spec("jax") is not None, reason="JAX is installed here"
)


def test_on_cpus_pins_the_calling_thread_then_restores_it():
    allowed = os.sched_getaffinity(0)
    first = min(allowed)
    inside = bench.on_cpus([first], lambda: os.sched_getaffinity(0))
    assert inside == {first}
    assert os.sched_getaffinity(0) == allowed


def test_on_cpus_restores_the_affinity_when_the_call_raises():
    allowed = os.sched_getaffinity(0)
    with pytest.raises(ZeroDivisionError):
        bench.on_cpus([min(allowed)], lambda: 1 / 0)
    assert os.sched_getaffinity(0) == allowed


@no_jax
def test_without_jax_the_runners_are_unchanged():
    assert bench.load_jax(1) is None
    assert bench.jax_side is None
    x, y = bench.synthetic(20, image=False)
    assert list(bench.runners("W1", x, y)) == ["glassnet", "glassnet eager", "torch", "numpy"]
    assert list(bench.runners("W3", x, y)) == ["glassnet", "glassnet eager", "torch"]
