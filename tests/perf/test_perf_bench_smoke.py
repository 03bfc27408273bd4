"""`benchmarks/run.py --quick` runs every workload end to end (a smoke test: no timing
is asserted; speed is reported by the benchmark itself, never checked in tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import run as bench  # noqa: E402
import w1_profile  # noqa: E402


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


def test_w1_profile_prints_every_phase(capsys):
    w1_profile.main(["--quick"])
    out = capsys.readouterr().out
    for phase in ("forward", "loss", "backward", "update", "step"):
        assert any(line.split()[:1] == [phase] for line in out.splitlines()), phase
    assert "PyTorch / glassnet" in out


def test_w1_profiles_numpy_work_is_the_same_step_as_glassnets():
    """The floor the profile reports must compute what glassnet computes, or it is no floor."""
    x, y = bench.synthetic(10, image=False)
    t = np.eye(10, dtype=np.float32)[y]
    trained, by_hand = bench.glassnet_model("W1"), bench.glassnet_model("W1")
    trained.train_step(x, t)
    w1_profile.numpy_work(by_hand, x, t)["update"]()  # forward and backward ran on creation
    for (name, a), b in zip(trained.named_parameters(), by_hand.parameters()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-6, atol=1e-7, err_msg=name)


def test_w3_gemm_table_lists_every_gemm_of_the_step(capsys):
    import w3_gemm

    w3_gemm.main(["--quick"])
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines()]
    gemms = [row for row in rows if row[:1] in (["conv1"], ["conv2"], ["dense1"], ["dense2"])]
    assert len([r for r in gemms if "GEMM" not in r and len(r) == 9]) == 11  # 2 + 3 + 3 + 3
    assert {"16×9216×128", "64×289×9216"} <= {r[3] for r in gemms if len(r) == 9}
    wholes = [r for r in gemms if r[1] in ("forward", "backward") and r[-1].endswith("%")]
    assert len(wholes) == 4


def test_the_cpu_clock_times_every_framework(capsys):
    try:
        bench.main(["--quick", "--only", "W1", "--clock", "cpu"])
    finally:
        bench.clock = bench.CLOCKS["wall"]
    out = capsys.readouterr().out
    assert "cpu clock" in out
    rows = [line for line in out.splitlines() if " W1 " in line]
    assert {"glassnet", "torch", "numpy", "capture"} <= {w for row in rows for w in row.split()}


def test_w2_profile_lists_the_steps_gemms_and_parts(capsys):
    import w2_profile

    shapes = w2_profile.gemm_shapes()
    flops = sum(2 * m * k * n for _, m, k, n in shapes)
    first_input_grad = 2 * 128 * 512 * 784  # the first layer's input needs no gradient
    assert flops == 128 * bench.training_flops("W2") - first_input_grad
    w2_profile.main(["--quick"])
    out = capsys.readouterr().out
    names = {line[:16].strip() for line in out.splitlines()}
    assert {name for name, *_ in shapes} <= names
    assert {"GEMMs", "Adam update", "rest", "step", "Adam in step"} <= names
    assert "1.1× PyTorch needs a step of" in out


@pytest.mark.parametrize("name", ["forward 2", "weight grad 2", "input grad 2"])
def test_w2_profiles_gemms_have_the_steps_shapes(name):
    """Each timed product is m×k by k×n as named, in NumPy and in PyTorch alike."""
    import w2_profile

    ((m, k, n),) = [s[1:] for s in w2_profile.gemm_shapes() if s[0] == name]
    assert w2_profile.numpy_gemm(name, m, k, n)().shape == (m, n)
    assert tuple(w2_profile.torch_gemm(name, m, k, n)().shape) in ((m, n), (n, m))
