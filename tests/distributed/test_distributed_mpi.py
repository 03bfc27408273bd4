"""Data-parallel training under a real ``mpirun -n 2`` equals one process with batch 2B.

The MPI runs happen in subprocesses launched with the mpirun of this Python's environment
(the ``distributed`` extra's Open MPI wheel), each bounded by a timeout; the references
train in this process.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import scenarios
import torch

import glassnet as gn

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
MPIRUN = Path(sys.executable).parent / "mpirun"


def launch(*args: str, cwd: Path = HERE, timeout: float = 60) -> tuple[int, str, float]:
    """Run ``mpirun -n 2 --oversubscribe <args>``; returns (exit code, output, seconds)."""
    assert MPIRUN.exists(), f"{MPIRUN} is missing: pip install 'glassnet[distributed]'"
    env = {
        **os.environ,
        "OMPI_ALLOW_RUN_AS_ROOT": "1",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)]),
    }
    command = [str(MPIRUN), "-n", "2", "--oversubscribe", *args]
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        pytest.fail(f"mpirun did not finish within {timeout} s:\n{output[-3000:]}")
    return proc.returncode, output, time.perf_counter() - started


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    """One mpirun that trains every scenario on 2 ranks, then runs the example and the CLI:
    (rank 0's results, the output folder, the job's output).

    Under pytest-xdist the workers share it: the first one to take the lock launches the
    job into the session's common temporary folder, the others read what it left there.
    """
    base = tmp_path_factory.getbasetemp()
    out = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "mpi-equivalence"
    out.mkdir(exist_ok=True)
    with open(out / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "output.txt").is_file():
            code, output, _ = launch(
                sys.executable, "mpi_worker.py", "equivalence", str(out), timeout=120
            )
            assert code == 0, output[-4000:]
            (out / "output.txt").write_text(output)
    with np.load(out / "equivalence.npz") as results:
        return {key: results[key] for key in results.files}, out, (out / "output.txt").read_text()


def _tolerance(name: str) -> dict:
    return {"rtol": 1e-12, "atol": 1e-12} if name.endswith("f64") else {"rtol": 1e-5, "atol": 1e-6}


EQUAL = [name for name in scenarios.SCENARIOS if "localbn" not in name]


@pytest.mark.parametrize("name", EQUAL)
def test_two_ranks_of_batch_b_equal_one_process_of_batch_2b(run, name):
    results, _, _ = run
    model, history = scenarios.fit(name, 2 * scenarios.B)
    assert len(history.batch_loss) == 20
    assert list(results[f"{name}/batch_size"]) == history.batch_size
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(results[f"{name}/w/{key}"], value, **_tolerance(name))
    for key, values in history.history.items():  # loss, accuracy, val_loss, val_accuracy
        np.testing.assert_allclose(results[f"{name}/h/{key}"], values, **_tolerance(name))
    assert results[f"{name}/spread"] == 0  # both ranks hold the very same weights
    assert results[f"{name}/allreduce_calls"] == 20  # ONE gradient Allreduce per step


def test_sync_batchnorm_replaces_batchnorm_and_per_rank_statistics_differ(run):
    results, _, _ = run
    assert str(results["mlp_syncbn_f64/class"]) == "SyncBatchNorm"
    assert str(results["mlp_localbn_f64/class"]) == "BatchNorm"
    model, _ = scenarios.fit("mlp_localbn_f64", 2 * scenarios.B)
    gap = max(
        np.max(np.abs(results[f"mlp_localbn_f64/w/{k}"] - v))
        for k, v in model.state_dict().items()
    )
    assert gap > 1e-4  # without sync, BatchNorm over B rows is not BatchNorm over 2B


def test_sync_batchnorm_op_matches_torch_and_central_differences(run):
    results, _, _ = run
    assert results["op/numeric_error"] < 1e-6
    x = torch.tensor(results["op/x"], requires_grad=True)
    gamma = torch.tensor(results["op/gamma"], requires_grad=True)
    beta = torch.tensor(results["op/beta"], requires_grad=True)
    y = torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=1e-5)
    y.backward(torch.tensor(results["op/grad_y"]))
    np.testing.assert_allclose(results["op/y"], y.detach().numpy(), rtol=1e-10, atol=1e-12)
    for key, grad in (("grad_x", x.grad), ("grad_gamma", gamma.grad), ("grad_beta", beta.grad)):
        np.testing.assert_allclose(results[f"op/{key}"], grad.numpy(), rtol=1e-10, atol=1e-12)


def test_each_rank_draws_its_own_dropout_masks(run):
    results, _, _ = run
    assert results["dropout_masks_differ"]


def test_distributed_optimizer_in_a_hand_written_loop(run):
    results, _, _ = run
    model = scenarios.hand_loop(distributed=False)
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(results[f"hand/w/{key}"], value, rtol=1e-12, atol=1e-12)


def test_only_rank_zero_saves(run):
    _, out, _ = run
    assert (out / "saved_by_rank_0.gn").is_file()
    assert not (out / "saved_by_rank_1.gn").exists()
    assert gn.load_model(out / "saved_by_rank_0.gn").predict(np.zeros((2, 6))).shape == (2, 3)


def test_a_failing_rank_ends_the_job_within_seconds_with_its_message(tmp_path):
    code, output, seconds = launch(sys.executable, "mpi_worker.py", "fail", str(tmp_path))
    assert code != 0
    assert "rank 1 fails at step 5 on purpose" in output
    assert "uncaught exception on rank 1 of 2" in output
    assert seconds < 45, output[-2000:]  # rank 0 would otherwise wait forever


def test_a_model_built_differently_on_one_rank_is_a_config_error(tmp_path):
    code, output, _ = launch(sys.executable, "mpi_worker.py", "mismatch", str(tmp_path))
    assert code != 0
    assert "ConfigError: fit (distributed): rank 1's model differs from rank 0's. Got" in output
    assert "Got 0.w (6, 17) float32 on rank 1; expected 0.w (6, 16) float32 as on rank 0" in output


def test_glassnet_train_distributed_prints_and_saves_once_and_equals_one_process(run):
    _, out, output = run
    assert output.count("Epoch 3/3") == 1 and output.count("Test accuracy") == 1
    flags = ["--dataset", "circles", "--epochs", "3", "--verbose", "0", "--layers", "8"]
    from glassnet.cli import main

    assert main(["train", *flags, "--batch-size", "64", "--out", str(out / "one")]) == 0
    two, one = (gn.load_model(out / d / "model.gn").state_dict() for d in ("two", "one"))
    for key, value in one.items():
        np.testing.assert_allclose(two[key], value, rtol=1e-5, atol=1e-6)


def test_distributed_mnist_example_runs_on_two_ranks(run):
    _, out, output = run
    assert "2 rank(s), 64 rows per rank per step, global batch 128" in output
    assert "16 Allreduces of 2.68 MB" in output  # 2,000 rows in global batches of 128
    accuracy = float(output.split("test accuracy ")[1].split("%")[0])
    assert output.count("test accuracy") == 1 and 50 < accuracy <= 100
    assert (out / "distributed_mnist.gn").is_file()
