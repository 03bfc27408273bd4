"""random_search in process and in a local process pool: seeding, faults, results, errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from tune_builds import (
    SPACE,
    build_classifier,
    build_flaky,
    build_killer,
    build_mlp,
    build_uncompiled,
    comparable,
    wages,
)

import glassnet as gn
from glassnet.tune.trial import sample_trials

SETTINGS = {"validation_split": 0.25, "epochs": 2, "batch_size": 32}


@pytest.fixture(scope="module")
def data():
    return wages()


@pytest.fixture(scope="module")
def sequential(data):
    return gn.tune.random_search(build_mlp, SPACE, 6, *data, seed=0, **SETTINGS)


def test_records_hold_every_field_and_the_best_is_the_minimum(sequential):
    assert [r["trial"] for r in sequential.records] == list(range(6))
    for record in sequential.records:
        assert record["status"] == "ok" and record["error"] is None and record["epochs"] == 2
        assert set(record["params"]) == {"lr", "units"} and record["seconds"] >= 0
        assert 1e-3 <= record["params"]["lr"] < 3e-1 and record["params"]["units"] in (4, 8, 16)
    best = min(sequential.records, key=lambda r: r["best"])
    assert sequential.best_params == best["params"]
    assert [r["best"] for r in sequential.ranked()] == sorted(
        r["best"] for r in sequential.records
    )


def test_best_is_the_best_epoch_and_best_model_has_its_weights(data, sequential):
    record = sequential.best_record
    model = build_mlp(record["params"], record["seed"])
    history = model.fit(*data, verbose=0, seed=record["seed"], **SETTINGS)
    assert record["best"] == min(history["val_loss"])
    x_val, y_val = data[0][-60:], data[1][-60:]  # validation_split=0.25 holds out the last 60
    assert sequential.best_model.evaluate(x_val, y_val)["loss"] == pytest.approx(record["best"])


def test_same_master_seed_same_results_and_trials_depend_only_on_their_index(data, sequential):
    again = gn.tune.random_search(build_mlp, SPACE, 8, *data, seed=0, **SETTINGS)
    assert comparable(again)[:6] == comparable(sequential)  # 8 trials extend the 6
    other = gn.tune.random_search(build_mlp, SPACE, 6, *data, seed=1, **SETTINGS)
    assert [r["params"] for r in other.records] != [r["params"] for r in sequential.records]
    generator = gn.tune.random_search(
        build_mlp, SPACE, 2, *data, seed=np.random.default_rng(3), **SETTINGS
    )
    assert generator.seed == np.random.default_rng(3).integers(2**63)


def test_process_pool_gives_the_sequential_results(data, sequential):
    pooled = gn.tune.random_search(
        build_mlp, SPACE, 6, *data, seed=0, executor="processes", **SETTINGS
    )
    assert comparable(pooled) == comparable(sequential)


def test_mode_max_ranks_the_highest_accuracy_first():
    x, y = gn.data.make_circles(200, noise=0.1, seed=0)
    result = gn.tune.random_search(
        build_classifier, SPACE, 5, x, y, validation_split=0.3, epochs=3, monitor="val_accuracy",
        mode="max", seed=0,
    )  # fmt: skip
    ranked = [r["best"] for r in result.ranked()]
    assert ranked == sorted(ranked, reverse=True) and len(set(ranked)) > 1
    assert result.best_record["best"] == max(ranked) and 0.0 <= max(ranked) <= 1.0


def test_failed_and_diverged_trials_are_recorded_and_the_search_goes_on(data):
    space = {"lr": gn.tune.LogUniform(1.0, 10.0), "units": gn.tune.Choice([4, 16])}
    result = gn.tune.random_search(build_flaky, space, 6, *data, seed=2, **SETTINGS)
    statuses = {r["status"] for r in result.records}
    assert statuses == {"failed", "diverged"}
    for record in result.records:
        if record["status"] == "failed":
            assert record["params"]["units"] == 4
            assert record["error"] == "build: ValueError: no kernel for 4 units"
        else:
            assert "training diverged" in record["error"] and record["epochs"] >= 1
    with pytest.raises(gn.tune.SearchError, match=r"no trial finished ok.*Got 0 ok, \d diverged"):
        _ = result.best_params
    assert "diverged: fit: training diverged" in result.table()


def test_uncompiled_build_is_an_error_naming_the_params(data):
    params = sample_trials(SPACE, 1, 0)[0].params
    with pytest.raises(gn.ConfigError, match=r"trial 0 with params \{'lr': .*'units'.*uncompiled"):
        gn.tune.random_search(build_uncompiled, SPACE, 3, *data, seed=0, **SETTINGS)
    with pytest.raises(gn.ConfigError, match=rf"params {params}: build returned no model"):
        gn.tune.random_search(lambda p: None, SPACE, 1, *data, seed=0, **SETTINGS)


def test_build_for_worker_processes_must_be_picklable(data):
    with pytest.raises(gn.ConfigError, match=r"build cannot be sent to the executor's worker"):
        gn.tune.random_search(lambda p: None, SPACE, 2, *data, executor="processes", **SETTINGS)
    space = {"act": gn.tune.Choice([lambda z: z])}
    with pytest.raises(gn.ConfigError, match=r"the search space's values cannot be sent"):
        gn.tune.random_search(build_mlp, space, 2, *data, executor="processes", **SETTINGS)


def test_a_thread_pool_gives_the_sequential_results(data, sequential):
    """Gradient recording is per thread, so trials running side by side in threads (one
    predicting under no_grad while another trains) do not disturb each other."""
    with ThreadPoolExecutor(2) as threads:
        threaded = gn.tune.random_search(
            build_mlp, SPACE, 6, *data, seed=0, executor=threads, **SETTINGS
        )
    assert comparable(threaded) == comparable(sequential)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_trials": 0}, r"n_trials must be an int ≥ 1"),
        ({"epochs": 1.5}, r"epochs must be an int ≥ 1"),
        ({"mode": "low"}, r"unknown mode. Got 'low'"),
        ({"validation_split": 0.0}, r"monitor='val_loss' needs validation data"),
        ({"executor": "threads"}, r"unknown executor. Got 'threads'"),
        ({"seed": 1.5}, r"seed must be an int, Generator or None"),
        ({"space": {}}, r"the search space is empty"),
        ({"space": {"lr": 0.1}}, r"space\['lr'\] is not a distribution"),
        ({"monitor": "val_acc"}, r"'val_acc' is not in the training logs.*val_mae"),
    ],
)
def test_bad_settings_raise(data, kwargs, match):
    args = {"space": SPACE, "n_trials": 2, **SETTINGS, **kwargs}
    with pytest.raises(gn.ConfigError, match=match):
        gn.tune.random_search(build_mlp, x=data[0], y=data[1], **args)


def test_table_and_csv_rank_the_trials(tmp_path, sequential):
    table = sequential.table()
    assert table.splitlines()[0].split() == [
        "rank", "trial", "lr", "units", "val_loss", "epochs", "seconds", "status",
    ]  # fmt: skip
    best = sequential.best_record
    assert table.splitlines()[2].split()[:2] == ["1", str(best["trial"])]
    assert str(sequential) == table and "6 ok; best val_loss=" in repr(sequential)
    rows = list(csv.DictReader(open(sequential.to_csv(tmp_path / "s.csv"))))
    assert [int(r["trial"]) for r in rows] == [r["trial"] for r in sequential.ranked()]
    assert float(rows[0]["val_loss"]) == best["best"] and rows[0]["status"] == "ok"


def test_log_has_a_header_and_one_line_per_trial_and_resume_skips_them(tmp_path, data):
    log = tmp_path / "search.jsonl"
    first = gn.tune.random_search(build_mlp, SPACE, 4, *data, seed=0, log_path=log, **SETTINGS)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines[0]["type"] == "search" and lines[0]["seed"] == 0
    assert sorted(line["trial"] for line in lines[1:]) == [0, 1, 2, 3]
    seen = []
    more = gn.tune.random_search(
        build_mlp, SPACE, 6, *data, seed=0, log_path=log, resume=True, on_trial=seen.append,
        **SETTINGS,
    )  # fmt: skip
    assert comparable(more)[:4] == comparable(first) and len(log.read_text().splitlines()) == 7
    assert [r["trial"] for r in seen] == [0, 1, 2, 3, 4, 5]  # logged ones first, then new ones
    with pytest.raises(gn.ConfigError, match=r"already exists. Got resume=False"):
        gn.tune.random_search(build_mlp, SPACE, 6, *data, seed=0, log_path=log, **SETTINGS)
    with pytest.raises(gn.ConfigError, match=r"another seed. Got seed=1 now; expected seed=0"):
        gn.tune.random_search(
            build_mlp, SPACE, 6, *data, seed=1, log_path=log, resume=True, **SETTINGS
        )
    again = gn.tune.random_search(
        build_mlp, SPACE, 6, *data, log_path=log, resume=True, **SETTINGS
    )
    assert comparable(again) == comparable(more) and again.seed == 0  # seed=None adopts the log's


def test_resume_drops_a_half_written_last_line_and_rejects_garbage(tmp_path, data):
    log = tmp_path / "search.jsonl"
    full = gn.tune.random_search(build_mlp, SPACE, 3, *data, seed=0, log_path=log, **SETTINGS)
    text = log.read_text()
    cut = text[: text.rindex("\n", 0, len(text) - 1) + 1]  # drop trial line 3 ...
    log.write_text(cut + text[len(cut) : len(cut) + 25])  # ... and leave half of it
    with pytest.warns(RuntimeWarning, match=r"line 4 is torn .*its trial runs again"):
        resumed = gn.tune.random_search(
            build_mlp, SPACE, 3, *data, seed=0, log_path=log, resume=True, **SETTINGS
        )
    assert comparable(resumed) == comparable(full)
    assert [json.loads(line)["type"] for line in log.read_text().splitlines()].count("trial") == 3
    log.write_text(cut + "not json\n")
    with pytest.raises(gn.DataError, match=r"line 4 is not valid JSON"):
        gn.tune.random_search(
            build_mlp, SPACE, 3, *data, seed=0, log_path=log, resume=True, **SETTINGS
        )


def test_resume_refuses_a_log_out_of_order_or_with_edited_params(tmp_path, data):
    log = tmp_path / "search.jsonl"
    gn.tune.random_search(build_mlp, SPACE, 2, *data, seed=0, log_path=log, **SETTINGS)
    header, *trials = log.read_text().splitlines()
    resume = dict(seed=0, log_path=log, resume=True, **SETTINGS)
    log.write_text("\n".join([trials[0], header, *trials[1:]]) + "\n")
    with pytest.raises(gn.DataError, match=r"search.jsonl'?: line 1 is out of place"):
        gn.tune.random_search(build_mlp, SPACE, 2, *data, **resume)
    edited = json.loads(trials[0])
    edited["params"]["units"] = 1 + edited["params"]["units"]
    log.write_text("\n".join([header, json.dumps(edited), *trials[1:]]) + "\n")
    with pytest.raises(gn.ConfigError, match=r"trial \d was logged with other params"):
        gn.tune.random_search(build_mlp, SPACE, 2, *data, **resume)


def test_a_result_without_its_build_cannot_rebuild_the_best_model(sequential):
    bare = gn.tune.SearchResult(sequential.records, SPACE, "val_loss", "min", 0)
    assert bare.best_params == sequential.best_params
    with pytest.raises(gn.tune.SearchError, match="SearchResult: this result cannot rebuild"):
        _ = bare.best_model


def test_killed_pool_worker_loses_no_finished_trial_and_resume_completes(
    tmp_path, monkeypatch, data, sequential
):
    target = sample_trials(SPACE, 6, 0)[3].seed
    monkeypatch.setenv("TUNE_KILL_SEED", str(target))
    monkeypatch.setenv("TUNE_KILL_MARKER", str(tmp_path / "killed"))
    log = tmp_path / "search.jsonl"
    args = dict(seed=0, executor="processes", log_path=log, **SETTINGS)
    with pytest.raises(
        gn.tune.SearchInterrupted, match=r"(?s)did not finish.*resume=True"
    ) as info:
        gn.tune.random_search(build_killer, SPACE, 6, *data, **args)
    assert (tmp_path / "killed").exists() and 3 in info.value.lost
    logged = [json.loads(line) for line in log.read_text().splitlines()[1:]]
    finished = comparable(info.value.result)
    assert sorted(r["trial"] for r in logged) == [r["trial"] for r in finished]
    assert len(finished) + len(info.value.lost) == 6
    resumed = gn.tune.random_search(build_killer, SPACE, 6, *data, resume=True, **args)
    assert comparable(resumed) == comparable(sequential)


def test_import_glassnet_does_not_import_dask():
    code = "import sys, glassnet.cli; print(sorted({'dask', 'distributed'} & {*sys.modules}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
