"""random_search on a real Dask LocalCluster (2 worker processes on 127.0.0.1), one killed."""

from __future__ import annotations

import os

import distributed
import pytest
from tune_builds import SPACE, build_killer, build_mlp, comparable, wages

import glassnet as gn
from glassnet.tune.trial import sample_trials

SETTINGS = {"validation_split": 0.25, "epochs": 2, "batch_size": 32}
KILL_SEED = 1  # the master seed of the search in which one worker kills itself


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """A LocalCluster whose workers see the kill switch of tune_builds.build_killer."""
    marker = tmp_path_factory.mktemp("dask") / "killed"
    environ = {
        "TUNE_KILL_MARKER": str(marker),
        "TUNE_KILL_SEED": str(sample_trials(SPACE, 6, KILL_SEED)[2].seed),
        "TUNE_DRIVER_PID": str(os.getpid()),
    }
    saved = {key: os.environ.get(key) for key in environ}
    os.environ.update(environ)  # the worker processes inherit it when they start
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",  # any free port: the default 8787 may be taken
        silence_logs=50,
    )
    with cluster, distributed.Client(cluster) as dask_client:
        dask_client.marker = marker
        yield dask_client
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_dask_cluster_gives_the_sequential_results(client):
    x, y = wages()
    local = gn.tune.random_search(build_mlp, SPACE, 6, x, y, seed=0, **SETTINGS)
    remote = gn.tune.random_search(
        build_mlp, SPACE, 6, x, y, seed=0, executor=client.get_executor(), **SETTINGS
    )
    assert comparable(remote) == comparable(local)
    assert remote.best_model.evaluate(x[-60:], y[-60:])["loss"] == local.best_record["best"]


def test_a_killed_dask_worker_is_replaced_and_no_trial_is_lost(client, tmp_path):
    x, y = wages()
    log = tmp_path / "search.jsonl"
    remote = gn.tune.random_search(
        build_killer, SPACE, 6, x, y, seed=KILL_SEED, executor=client.get_executor(),
        log_path=log, **SETTINGS,
    )  # fmt: skip
    assert client.marker.exists()  # a worker process did die in the middle of the search
    local = gn.tune.random_search(build_mlp, SPACE, 6, x, y, seed=KILL_SEED, **SETTINGS)
    assert comparable(remote) == comparable(local)
    assert len(log.read_text().splitlines()) == 1 + 6


def _ranked_rows(text: str) -> list[list[str]]:
    """rank, trial, params and score of each table row (the seconds column left out)."""
    return [line.split()[:5] for line in text.splitlines() if line.lstrip()[:1].isdigit()]


def test_glassnet_tune_runs_on_a_dask_scheduler_address(client, capsys):
    from glassnet.cli import main

    argv = ["tune", "--trials", "3", "--epochs", "2", "--limit", "120"]
    assert main([*argv, "--executor", client.scheduler.address]) == 0
    remote = _ranked_rows(capsys.readouterr().out)
    assert main(argv) == 0
    assert len(remote) == 3 and remote == _ranked_rows(capsys.readouterr().out)
