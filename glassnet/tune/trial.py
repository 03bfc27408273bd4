"""One trial of a search as a picklable work unit: seeds, sampling, build, fit, outcome.

A trial is ``run_trial(task, trial)``: a module-level function of two plain dataclasses, so
any ``concurrent.futures`` executor can ship it to another process or machine (a local
process pool, a Dask cluster). Its result depends only on its arguments:

    master seed ─SeedSequence─▶ trial i ─spawn─▶ (sampling stream, training seed)

- the sampling stream draws the trial's hyperparameters (names in sorted order);
- the training seed is passed to ``build(params, seed)`` (weight initialisation) and to
  ``fit(seed=...)`` (shuffling, validation split).

Trial i's seeds depend on (master seed, i) only, so a search of 30 trials starts with the
same 20 configurations as a search of 20, and the executor that runs a trial cannot
change what it computes.
"""

from __future__ import annotations

import contextlib
import inspect
import time
import traceback
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from glassnet.errors import ConfigError, message
from glassnet.training.callbacks import Callback, DivergenceWarning
from glassnet.tune.distributions import Distribution

if TYPE_CHECKING:
    from glassnet.nn.module import Module

__all__ = ["SearchMisuse", "Task", "Trial", "Outcome", "sample_trials", "run_trial", "build_model"]


class SearchMisuse(ConfigError):
    """The search itself is set up wrong (every trial would fail the same way): stop it."""


@dataclass(frozen=True)
class Task:
    """What every trial of one search shares: the build function, the data, fit settings."""

    build: Callable
    x: object
    y: object
    epochs: int
    batch_size: int | None
    validation_split: float = 0.0
    validation_data: tuple | None = None
    monitor: str = "val_loss"
    mode: str = "min"


@dataclass(frozen=True)
class Trial:
    """One configuration: its index in the search, hyperparameters and training seed."""

    index: int
    params: dict
    seed: int


@dataclass
class Outcome:
    """A finished trial: its record and, when it trained, the weights of its best epoch."""

    record: dict
    state: dict[str, np.ndarray] | None = field(default=None, repr=False)


def sample_trials(space: Mapping[str, Distribution], n_trials: int, entropy: int) -> list[Trial]:
    """Trials 0 … n_trials − 1 of the search with master seed ``entropy``."""
    trials = []
    for index in range(n_trials):
        sampling, training = np.random.SeedSequence(entropy, spawn_key=(index,)).spawn(2)
        rng = np.random.default_rng(sampling)
        drawn = {name: space[name].sample(rng) for name in sorted(space)}
        seed = int(training.generate_state(1, np.uint64)[0] >> np.uint64(1))  # 63 bits
        trials.append(Trial(index, {name: drawn[name] for name in space}, seed))
    return trials


def _takes_seed(build: Callable) -> bool:
    try:
        return "seed" in inspect.signature(build).parameters
    except (TypeError, ValueError):
        return False


def build_model(build: Callable, trial: Trial) -> Module:
    """``build(params, seed=...)`` when build takes a ``seed`` argument, else ``build(params)``.

    The model must be compiled: anything else is a ConfigError naming the trial's params.
    """
    params = dict(trial.params)
    model = build(params, seed=trial.seed) if _takes_seed(build) else build(params)
    compiled = all(getattr(model, name, None) is not None for name in ("optimizer", "loss"))
    if not compiled or not callable(getattr(model, "fit", None)):
        what = "an uncompiled model" if callable(getattr(model, "fit", None)) else "no model"
        raise SearchMisuse(
            message(
                f"random_search trial {trial.index} with params {trial.params}",
                f"build returned {what}",
                type(model).__name__,
                "a compiled model (gn.Sequential([...]) after model.compile(...))",
                "end build with model.compile(optimizer=..., loss=...) and return model",
            )
        )
    return model


class _Watch(Callback):
    """Tracks the best monitored value, keeps that epoch's weights, stops on NaN/inf."""

    def __init__(self, monitor: str, mode: str):
        self.monitor, self.sign = monitor, 1.0 if mode == "min" else -1.0
        self.best, self.state, self.missing, self.diverged = None, None, None, None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            self.missing = sorted(logs)
            self.model.stop_training = True
            return
        value = float(logs[self.monitor])
        if not np.isfinite(value):
            self.diverged = f"{self.monitor} became {value} at epoch {epoch + 1}"
            self.model.stop_training = True
        elif self.best is None or self.sign * value < self.sign * self.best:
            self.best, self.state = value, self.model.state_dict()


@contextlib.contextmanager
def _quiet_divergence():
    """Divergence is an expected outcome of a trial (its record says so): no warnings."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DivergenceWarning)
            yield


def _failure(trial: Trial, started: float, exc: BaseException, stage: str) -> Outcome:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    record = _record(trial, "failed", None, 0, started, f"{stage}: {text}")
    return Outcome(record)


def _record(trial: Trial, status, best, epochs, started, error) -> dict:
    seconds = round(time.perf_counter() - started, 4)
    return {
        "trial": trial.index,
        "seed": trial.seed,
        "params": dict(trial.params),
        "status": status,
        "best": best,
        "epochs": epochs,
        "seconds": seconds,
        "error": error,
    }


def run_trial(task: Task, trial: Trial) -> Outcome:
    """Build, train and score one configuration; exceptions become a ``failed`` record.

    ``status`` is ``ok``, ``diverged`` (fit's guard found the run diverged as
    :mod:`glassnet.training.divergence` defines it: a NaN/inf loss, or a loss above 100×
    its start for 2 epochs; or the monitored value became NaN/inf; training stopped
    there) or ``failed`` (build or fit raised; ``error`` has the text).
    Misuse of the search itself (build returns no compiled model, the monitored key is
    never logged) raises ConfigError instead, since every trial would fail the same way.
    """
    started = time.perf_counter()
    try:
        model = build_model(task.build, trial)
    except SearchMisuse:
        raise
    except Exception as exc:
        return _failure(trial, started, exc, "build")
    watch = _Watch(task.monitor, task.mode)
    try:
        with _quiet_divergence():
            history = model.fit(
                task.x,
                task.y,
                epochs=task.epochs,
                batch_size=task.batch_size,
                validation_split=task.validation_split,
                validation_data=task.validation_data,
                callbacks=[watch],
                verbose=0,
                seed=trial.seed,
            )
    except Exception as exc:
        return _failure(trial, started, exc, "fit")
    if watch.missing is not None:
        raise SearchMisuse(
            message(
                f"random_search trial {trial.index}",
                f"the monitored value {task.monitor!r} is not in the training logs",
                f"keys {watch.missing}",
                "one of them",
                "monitor a 'val_*' key only with validation_split or validation_data",
            )
        )
    epochs = len(history.epoch)
    diverged = getattr(history, "diverged", None) or watch.diverged
    if diverged:
        return Outcome(_record(trial, "diverged", watch.best, epochs, started, diverged))
    return Outcome(_record(trial, "ok", watch.best, epochs, started, None), watch.state)
