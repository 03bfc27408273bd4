"""random_search: sample configurations, train each one, rank them; locally or on a cluster.

Random search (Bergstra & Bengio, JMLR 2012) draws every hyperparameter independently
from its distribution for each trial. With n trials, the chance that at least one lands in
the best fraction q of the space is 1 − (1 − q)ⁿ: 20 trials find the top 10 % with
probability 1 − 0.9²⁰ ≈ 0.88, however many unimportant dimensions the space has.

Executors (where trials run; the results are the same in every case):

- ``None``: in this process, one after another;
- ``"processes"``: a local ``concurrent.futures.ProcessPoolExecutor`` whose workers end
  when the driver does, even when it is killed (:mod:`glassnet.tune.workers`);
- any ``concurrent.futures.Executor``, for example a Dask cluster's
  ``distributed.Client(address).get_executor()`` (``pip install glassnet[cluster]``).

Faults: a trial whose build or fit raises is recorded as ``failed``, one that diverges
(its loss becomes NaN/inf, or stays above 100× its start: :mod:`glassnet.training.divergence`)
as ``diverged``, and the search goes on. With ``log_path`` every finished trial is
appended to a JSON-lines log at once (see :mod:`glassnet.tune.log`); ``resume=True`` reads
the log (a missing one starts fresh) and runs only the trials missing from it, after
checking that the seed, space, settings and data are those of the logged search; with
``seed=None`` it takes the logged seed. A larger ``n_trials`` extends a finished search.
If a worker process dies, the trials that finished are kept and
:class:`SearchInterrupted` says which trials to resume. On Dask, a dead worker's trial is
simply run again on another worker.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import json
import os
import pickle
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glassnet._validate import choice, int_at_least
from glassnet.errors import ConfigError, message
from glassnet.tune.distributions import Distribution, check_space
from glassnet.tune.log import LogWriter, check_header, data_digest, dumps, read_log
from glassnet.tune.result import SearchInterrupted, SearchResult
from glassnet.tune.trial import SearchMisuse, Task, Trial, build_model, run_trial, sample_trials
from glassnet.tune.workers import process_pool

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from numpy.typing import ArrayLike

__all__ = ["random_search"]


def random_search(
    build: Callable,
    space: Mapping[str, Distribution],
    n_trials: int,
    x: ArrayLike,
    y: ArrayLike,
    validation_split: float = 0.0,
    validation_data: tuple | None = None,
    epochs: int = 1,
    batch_size: int | None = 32,
    monitor: str = "val_loss",
    mode: str = "min",
    seed: int | np.random.Generator | None = None,
    executor: Executor | None = None,
    log_path: str | os.PathLike | None = None,
    resume: bool = False,
    on_trial: Callable[[dict], None] | None = None,
) -> SearchResult:
    """Train ``n_trials`` models with hyperparameters drawn from ``space``; rank them.

    ``build(params)`` or ``build(params, seed)`` returns a compiled model; ``params`` maps
    each name of ``space`` to the trial's value. Take ``seed`` and pass it to the layers:
    only then is a trial's weight initialisation, and so its result, reproducible.
    Each model is trained with ``model.fit(x, y, epochs, batch_size, validation_split,
    validation_data, seed)`` and scored by the best ``monitor`` value over its epochs
    (``mode`` "min" or "max"). ``seed`` (int, Generator or None) is the master seed from
    which every trial's configuration and training seed derive. ``on_trial(record)`` is
    called in this process as each trial's record becomes known (for progress bars).
    See the module docstring for ``executor``, ``log_path`` and ``resume``.
    """
    space = check_space(space)
    _check_settings(n_trials, epochs, mode, monitor, validation_split, validation_data)
    _check_executor(executor)
    _check_shippable(build, space, executor)
    task = Task(build, x, y, epochs, batch_size, validation_split, validation_data, monitor, mode)
    header = _header(space, task, _entropy(seed))
    path = Path(log_path) if log_path is not None else None
    done = _open_log(path, header, resume) if path is not None else {}
    entropy = header["seed"] = _fresh(header["seed"])
    trials = sample_trials(space, n_trials, entropy)
    records = _resumed(trials, done, path)
    for record in records:
        _notify(on_trial, record)
    todo = [trial for trial in trials if trial.index not in done]
    best = _Best(mode)
    lost = _execute_logged(task, todo, executor, path, records, best, on_trial)
    restore = functools.partial(_restore, task)
    result = SearchResult(records, space, monitor, mode, entropy, restore, best.state)
    if lost:
        raise SearchInterrupted(_lost_text(lost, path), result, sorted(lost))
    return result


def _check_settings(n_trials, epochs, mode, monitor, validation_split, validation_data):
    where = "random_search"
    for label, n in (("n_trials", n_trials), ("epochs", epochs)):
        int_at_least(where, label, n, 1)
    choice(where, "mode", mode, ("min", "max"))
    if monitor.startswith("val_") and not validation_split and validation_data is None:
        raise ConfigError(
            message(
                where,
                f"monitor={monitor!r} needs validation data",
                "validation_split=0 and validation_data=None",
                "validation_split > 0 or validation_data=(x_val, y_val)",
                "or monitor a training value such as 'loss'",
            )
        )


def _check_picklable(obj, executor, what: str = "build") -> None:
    """Trials travel to other processes by pickle: a lambda or nested function cannot."""
    try:
        pickle.dumps(obj)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        name = getattr(obj, "__qualname__", type(obj).__name__)
        raise ConfigError(
            message(
                "random_search",
                f"{what} cannot be sent to the executor's worker processes",
                f"{name} with executor={executor!r} ({exc})",
                "a module-level function and picklable values",
                "define build with def at the top level of a module (not a lambda or a "
                "function inside another function), or use executor=None",
            )
        ) from None


def _check_shippable(build: Callable, space: dict, executor) -> None:
    """Worker processes get pickled copies of ``build`` and the space; threads share them."""
    if executor is not None and not isinstance(executor, cf.ThreadPoolExecutor):
        _check_picklable(build, executor)
        _check_picklable(space, executor, what="the search space's values")


def _entropy(seed) -> int | None:
    """The master seed as an int: an int as is, one draw from a Generator, None stays None."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if seed is None or (isinstance(seed, int | np.integer) and not isinstance(seed, bool)):
        return None if seed is None else int(seed)
    raise ConfigError(
        message("random_search", "seed must be an int, Generator or None", repr(seed), "an int")
    )


def _fresh(entropy: int | None) -> int:
    """``entropy``, or fresh entropy from the operating system when it is None."""
    return np.random.SeedSequence().entropy if entropy is None else entropy


def _header(space: dict, task: Task, entropy: int | None) -> dict:
    """What must match for a log to be resumed: the master seed, space, settings and data."""
    settings = {
        "epochs": task.epochs,
        "batch_size": task.batch_size,
        "validation_split": task.validation_split,
        "monitor": task.monitor,
        "mode": task.mode,
    }
    arrays = [task.x, task.y, *(task.validation_data or ())]
    header = {
        "seed": entropy,
        "space": {name: repr(dist) for name, dist in space.items()},
        "settings": settings,
        "data": data_digest(*arrays),
    }
    return json.loads(dumps(header))


def _open_log(path: Path, header: dict, resume: bool) -> dict[int, dict]:
    """Read (resume) or start a log; fills ``header["seed"]``; returns the logged records."""
    exists = path.exists() and path.stat().st_size > 0
    if exists and not resume:
        raise ConfigError(
            message(
                "random_search",
                f"the log {str(path)!r} already exists",
                "resume=False",
                "a new log_path, or resume=True to continue that search",
            )
        )
    logged, done = read_log(path) if exists else (None, {})
    if logged is None:
        header["seed"] = _fresh(header["seed"])
        LogWriter(path, header).close()
        return {}
    if header["seed"] is None:
        header["seed"] = logged.get("seed")
    check_header(path, logged, header)
    return done


def _resumed(trials: list[Trial], done: dict[int, dict], path) -> list[dict]:
    """The logged records of this search's trials, checked against the resampled params."""
    records = []
    for trial in trials:
        if trial.index not in done:
            continue
        record = done[trial.index]
        if json.loads(dumps(trial.params)) != record["params"]:
            raise ConfigError(
                message(
                    f"random_search log {str(path)!r}",
                    f"trial {trial.index} was logged with other params",
                    repr(record["params"]),
                    repr(trial.params),
                )
            )
        logged = {key: value for key, value in record.items() if key != "type"}
        records.append({**logged, "params": dict(trial.params)})
    return records


class _Best:
    """The best ok trial seen so far and the weights of its best epoch."""

    def __init__(self, mode: str):
        self.sign, self.value, self.state = (1.0 if mode == "min" else -1.0), None, None

    def offer(self, record: dict, state) -> None:
        if record["status"] != "ok" or record["best"] is None or state is None:
            return
        key = (self.sign * record["best"], record["trial"])
        if self.value is None or key < self.value:
            self.value, self.state = key, (record["trial"], state)


def _collector(records: list, best: _Best, writer: LogWriter | None, on_trial):
    def collect(outcome) -> None:
        record = outcome.record
        if writer is not None:
            writer.append({"type": "trial", **record})
        records.append(record)
        best.offer(record, outcome.state)
        _notify(on_trial, record)

    return collect


def _notify(on_trial, record: dict) -> None:
    if on_trial is not None:
        on_trial(dict(record))


def _check_executor(executor) -> None:
    """None, "processes" or any concurrent.futures.Executor (threads, processes, Dask)."""
    if executor is not None and executor != "processes" and not isinstance(executor, cf.Executor):
        raise ConfigError(
            message(
                "random_search",
                "unknown executor",
                repr(executor),
                "None, 'processes' or a concurrent.futures.Executor",
                "for Dask: executor=distributed.Client(address).get_executor()",
            )
        )


def _execute(task: Task, trials: list[Trial], executor, collect) -> dict[int, str]:
    """Run the trials, ``collect`` each outcome as it finishes; return the lost ones' errors."""
    if executor is None:
        for trial in trials:
            collect(run_trial(task, trial))
        return {}
    if executor == "processes":
        with process_pool(max_workers=max(1, min(len(trials), _cpus()))) as pool:
            return _gather(pool, task, trials, collect)
    return _gather(executor, task, trials, collect)


def _execute_logged(
    task: Task, trials: list[Trial], executor, path, records: list, best: _Best, on_trial
) -> dict[int, str]:
    """``_execute``, appending each finished trial's record to the log at ``path`` (if any)."""
    writer = LogWriter(path, None) if path is not None else None
    try:
        return _execute(task, trials, executor, _collector(records, best, writer, on_trial))
    finally:
        if writer is not None:
            writer.close()


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _shared(pool: cf.Executor, task: Task):
    """The task as each trial's argument; on Dask, sent to every worker once (scatter)
    instead of once per trial, which matters when x is MNIST-sized."""
    client = getattr(pool, "_client", None)
    if client is not None and type(pool).__module__.startswith("distributed"):
        return client.scatter(task, broadcast=True, hash=False)
    return task


def _gather(pool: cf.Executor, task: Task, trials: list[Trial], collect) -> dict[int, str]:
    shared = _shared(pool, task)
    futures = {pool.submit(run_trial, shared, trial): trial.index for trial in trials}
    lost = {}
    try:
        for future in cf.as_completed(futures):
            try:
                outcome = future.result()
            except SearchMisuse:
                raise
            except Exception as exc:  # the executor failed (a worker died), not the trial
                lost[futures[future]] = f"{type(exc).__name__}: {exc}"
                continue
            collect(outcome)
    finally:
        for future in futures:
            future.cancel()
    return lost


def _lost_text(lost: dict[int, str], path) -> str:
    hint = (
        f"run random_search again with log_path={str(path)!r} and resume=True to run only those"
        if path is not None
        else "pass log_path=... so that a rerun with resume=True skips the finished trials"
    )
    first = lost[min(lost)]
    return message(
        "random_search",
        f"{len(lost)} trial(s) did not finish because the executor failed ({first})",
        f"lost trials {sorted(lost)}",
        hint=hint,
    )


def _restore(task: Task, record: dict, state):
    """The model of a finished trial: rebuilt, with its best epoch's weights loaded."""
    trial = Trial(record["trial"], record["params"], record["seed"])
    if state is None:
        state = run_trial(task, trial).state
    model = build_model(task.build, trial)
    model.load_state_dict(state)
    return model
