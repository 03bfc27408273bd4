"""Run under ``mpirun -n 2``: ``python mpi_worker.py MODE OUT_FOLDER``.

MODE ``equivalence`` trains every scenario of scenarios.py with per-rank batch B and
writes rank 0's weights, histories and the largest weight difference between the ranks
to OUT_FOLDER/equivalence.npz. ``fail`` raises on rank 1 at step 5 of a long fit;
``mismatch`` builds a wider layer on rank 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import scenarios

import glassnet as gn


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
    model = scenarios.hand_loop(distributed=True)
    results.update({f"hand/w/{k}": v for k, v in model.state_dict().items()})
    model.save(out / f"saved_by_rank_{gn.distributed.rank()}.gn")
    if gn.distributed.rank() == 0:
        np.savez(out / "equivalence.npz", **results)


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
