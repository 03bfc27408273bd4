"""Module-level build functions and data for the search tests.

They live in a module (not in the test files' local scope) because process pools and Dask
workers receive trials by pickle, which sends functions by their importable name.
``tests/tune`` is on ``sys.path`` under pytest, and worker processes inherit it.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet.training import Sequential

SPACE = {"lr": gn.tune.LogUniform(1e-3, 3e-1), "units": gn.tune.Choice([4, 8, 16])}


def wages(rows: int = 240) -> tuple[np.ndarray, np.ndarray]:
    """The first ``rows`` rows of hourly wages, standardised features, wage in $/h."""
    x, y, _ = gn.data.load_hourly_wages()
    x, y = x[:rows], y[:rows]
    return (x - x.mean(0)) / x.std(0), y


def build_mlp(params: dict, seed: int):
    """9 → units → 1 with ReLU, Adam(lr), MSE loss and MAE metric; seeded weights."""
    rng = np.random.default_rng(seed)
    model = Sequential(
        [nn.Dense(9, params["units"], seed=rng), nn.ReLU(), nn.Dense(params["units"], 1, seed=rng)]
    )
    return model.compile(gn.optim.Adam(lr=params["lr"]), loss="mse", metrics=["mae"])


def build_classifier(params: dict, seed: int):
    """2 → units → 2 logits for make_circles, cross-entropy, accuracy; seeded weights."""
    rng = np.random.default_rng(seed)
    model = Sequential(
        [nn.Dense(2, params["units"], seed=rng), nn.Tanh(), nn.Dense(params["units"], 2, seed=rng)]
    )
    optimizer = gn.optim.Adam(lr=params["lr"])
    return model.compile(optimizer, loss="cross_entropy", metrics=["accuracy"])


def build_flaky(params: dict, seed: int):
    """build_mlp trained by plain SGD, which diverges at large lr; fails for units == 4."""
    if params["units"] == 4:
        raise ValueError(f"no kernel for {params['units']} units")
    model = build_mlp(params, seed)
    return model.compile(gn.optim.SGD(lr=params["lr"]), loss="mse")


def build_uncompiled(params: dict):
    return Sequential([nn.Dense(9, 1)])


def build_paced(params: dict, seed: int):
    """build_mlp after a pause, so that a test can kill the search between trials."""
    time.sleep(0.15)
    return build_mlp(params, seed)


def build_killer(params: dict, seed: int):
    """build_mlp, except that the first trial with seed $TUNE_KILL_SEED kills its process.

    The marker file $TUNE_KILL_MARKER (created atomically) makes it happen once: the retry
    of that trial, on a fresh worker, trains normally. Never kills the test process itself.
    """
    marker = os.environ.get("TUNE_KILL_MARKER")
    if marker and str(seed) == os.environ.get("TUNE_KILL_SEED"):
        if str(os.getpid()) != os.environ.get("TUNE_DRIVER_PID"):
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                pass
            else:
                os.kill(os.getpid(), signal.SIGKILL)
    return build_mlp(params, seed)


def build_stalled(params: dict, seed: int):
    """build_mlp after a long pause: the worker is mid-trial whenever a test looks at it."""
    time.sleep(60)
    return build_mlp(params, seed)


def drive_pool(n_trials: int) -> None:
    """A driver whose process-pool workers are all busy for a minute (the orphan test)."""
    x, y = wages()
    gn.tune.random_search(
        build_stalled, SPACE, n_trials, x, y, epochs=1, monitor="loss", executor="processes"
    )


def comparable(result) -> list[dict]:
    """Records without the wall-clock time, the only field that may differ between runs."""
    return [{k: v for k, v in r.items() if k != "seconds"} for r in result.records]


def drive(log_path: str, n_trials: int) -> None:
    """The driver run in a subprocess by the kill test: a paced search that logs."""
    x, y = wages()
    gn.tune.random_search(
        build_paced,
        SPACE,
        n_trials,
        x,
        y,
        validation_split=0.25,
        epochs=2,
        seed=7,
        log_path=log_path,
    )


if __name__ == "__main__":
    if sys.argv[1] == "--pool":
        drive_pool(int(sys.argv[2]))
    else:
        drive(sys.argv[1], int(sys.argv[2]))
