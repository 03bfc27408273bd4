"""Run under ``mpirun -n 2``: ``python mpi_worker.py MODE OUT_FOLDER``.

MODE ``equivalence`` trains every scenario of scenarios.py with per-rank batch B and
writes rank 0's weights, histories and the largest weight difference between the ranks
to OUT_FOLDER/equivalence.npz, then runs the example and the CLI in the same job.
``fail`` raises on rank 1 at step 5 of a long fit; ``mismatch`` builds a wider layer on
rank 1.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

import numpy as np
import scenarios

import glassnet as gn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def equivalence(out: Path) -> None:
    results = {}
    for name, spec in scenarios.SCENARIOS.items():
        gn.distributed.init(sync_batchnorm=spec[-1])
        model, history = scenarios.fit(name, scenarios.B)
        state = model.state_dict()
        everyone = gn.distributed.comm().allgather(state)
        spread = max(float(np.max(np.abs(everyone[1][k] - v))) for k, v in state.items())
        results[f"{name}/spread"] = np.array(spread)
        results[f"{name}/class"] = np.array(type(model[1]).__name__)
        results.update({f"{name}/w/{k}": v for k, v in state.items()})
        results.update({f"{name}/h/{k}": np.array(v) for k, v in history.history.items()})
        results[f"{name}/batch_size"] = np.array(history.batch_size)
        results[f"{name}/allreduce_calls"] = np.array(history.allreduce["calls"])
    sync_batchnorm_op(results)
    results["dropout_masks_differ"] = np.array(dropout_masks_differ())
    model = scenarios.hand_loop(distributed=True)
    results.update({f"hand/w/{k}": v for k, v in model.state_dict().items()})
    model.save(out / f"saved_by_rank_{gn.distributed.rank()}.gn")
    if gn.distributed.rank() == 0:
        np.savez(out / "equivalence.npz", **results)
    run_example_and_cli(out)


def run_example_and_cli(out: Path) -> None:
    """examples/distributed_mnist.py (smoke size) and ``glassnet train --distributed``, in
    this same job (one mpirun start fewer); the test reads their output and files."""
    os.environ["GLASSNET_SMOKE"] = "1"
    os.chdir(out)
    runpy.run_path(str(EXAMPLES / "distributed_mnist.py"), run_name="__main__")
    from glassnet.cli import main

    flags = ["--dataset", "circles", "--epochs", "3", "--verbose", "2", "--layers", "8"]
    main(["train", "--distributed", *flags, "--batch-size", "32", "--out", str(out / "two")])


def sync_batchnorm_op(results: dict) -> None:
    """SyncBatchNormOp on 2 ranks: outputs and gradients for a torch comparison in the test,
    and a central-difference check of the gradient of the global loss Σ_ranks Σ G ⊙ y."""
    from mpi4py import MPI

    from glassnet.distributed.batchnorm import SyncBatchNormOp, set_share

    rank, rng = gn.distributed.rank(), np.random.default_rng(10 + gn.distributed.rank())
    x, grad_y = rng.normal(size=(2, 3, 2, 2)), rng.normal(size=(2, 3, 2, 2))
    gamma, beta = np.random.default_rng(5).normal(size=(2, 3))

    def forward(x, gamma, beta):
        stats = {"running_mean": np.zeros(3), "running_var": np.ones(3), "momentum": 0.1}
        return SyncBatchNormOp.apply(x, gamma, beta, eps=1e-5, **stats)

    def global_loss():
        local = float(np.sum(forward(*(gn.tensor(a) for a in (x, gamma, beta))).data * grad_y))
        return gn.distributed.comm().allreduce(local)

    set_share(1.0)  # L = Σ_r L_r: every rank's loss counts fully
    inputs = [gn.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    y = forward(*inputs)
    y.backward(grad_y)
    grads = [inputs[0].grad] + [gn.distributed.comm().allreduce(t.grad) for t in inputs[1:]]

    def worst_error(array, grad, moving: bool) -> float:
        worst = 0.0
        for k in range(array.size):  # every rank evaluates; the moving ones shift entry k
            numeric = []
            for h in (1e-6, -1e-6):
                array.flat[k] += h if moving else 0.0
                numeric.append(global_loss())
                array.flat[k] -= h if moving else 0.0
            if moving:
                worst = max(worst, abs((numeric[0] - numeric[1]) / 2e-6 - grad.flat[k]))
        return worst

    errors = [worst_error(x, grads[0], rank == owner) for owner in range(2)]
    errors += [worst_error(gamma, grads[1], True), worst_error(beta, grads[2], True)]
    worst = gn.distributed.comm().allreduce(max(errors), op=MPI.MAX)
    set_share(None)
    parts = gn.distributed.comm().allgather((x, grad_y, y.data, grads[0]))
    for i, key in enumerate(("x", "grad_y", "y", "grad_x")):
        results[f"op/{key}"] = np.concatenate([p[i] for p in parts])
    results.update({"op/gamma": gamma, "op/beta": beta, "op/grad_gamma": grads[1]})
    results.update({"op/grad_beta": grads[2], "op/numeric_error": np.array(worst)})


def dropout_masks_differ() -> bool:
    """After a seeded distributed fit, the ranks' Dropout streams are not the same stream."""
    model = gn.Sequential(
        [gn.nn.Dense(6, 8, seed=0), gn.nn.Dropout(0.5), gn.nn.Dense(8, 3, seed=1)]
    )
    model.compile("sgd", "cross_entropy")
    model.fit(np.ones((32, 6)), np.zeros(32, dtype=int), batch_size=8, verbose=0, seed=3)
    masks = gn.distributed.comm().allgather(model[1].rng.random(16))
    return not np.array_equal(masks[0], masks[1])


class FailAtStep5(gn.callbacks.Callback):
    def on_batch_end(self, batch, logs=None):
        if gn.distributed.rank() == 1 and batch == 4:
            raise RuntimeError("rank 1 fails at step 5 on purpose")


def fail(out: Path) -> None:
    gn.distributed.init()
    model, x, y, _, _ = scenarios.build("mlp_adam_f64")
    model.fit(np.repeat(x, 50, axis=0), np.repeat(y, 50), epochs=100, callbacks=[FailAtStep5()])


def mismatch(out: Path) -> None:
    gn.distributed.init()
    width = 16 if gn.distributed.rank() == 0 else 17
    model = gn.Sequential([gn.nn.Dense(6, width), gn.nn.ReLU(), gn.nn.Dense(width, 3)])
    model.compile("adam", "cross_entropy")
    model.fit(np.zeros((8, 6)), np.zeros(8, dtype=int), verbose=0)


if __name__ == "__main__":
    mode, folder = sys.argv[1], Path(sys.argv[2])
    {"equivalence": equivalence, "fail": fail, "mismatch": mismatch}[mode](folder)
