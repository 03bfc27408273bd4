"""``glassnet tune``: the ranked table, CSV and log files, resume, and its error messages."""

from __future__ import annotations

import csv
import json
import sys

import pytest

from glassnet.cli import main
from glassnet.tune.cli import MLPBuild

FAST = ["--epochs", "2", "--limit", "120", "--space", "lr=loguniform:1e-3:1e-1"]


def test_tune_prints_the_ranked_table_and_writes_csv_and_log(tmp_path, capsys):
    out_csv, log = tmp_path / "trials.csv", tmp_path / "trials.jsonl"
    argv = ["tune", "--trials", "3", *FAST, "--space", "layers=choice:8|16,8", "--log", str(log)]
    assert main([*argv, "--csv", str(out_csv)]) == 0
    text = capsys.readouterr().out
    assert "glassnet tune: hourly-wages, 120 rows, 3 trials" in text
    header = next(line for line in text.splitlines() if line.startswith("rank"))
    assert header.split()[:5] == ["rank", "trial", "lr", "layers", "val_loss"]
    assert "trials" in text and "3/3" in text  # the progress bar
    assert "Best model on the test rows: loss" in text and ", mae " in text
    rows = list(csv.DictReader(open(out_csv)))
    assert [row["rank"] for row in rows] == ["1", "2", "3"]
    assert all(row["status"] == "ok" and row["layers"] in ("8", "[16, 8]") for row in rows)
    assert main(["tune", "--trials", "4", *FAST, "--space", "layers=choice:8|16,8",
                 "--log", str(log), "--resume"]) == 0  # fmt: skip
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["trial"] for line in lines[1:]][:3] == [0, 1, 2] and len(lines) == 5


def test_mlp_build_makes_a_compiled_seeded_model():
    build = MLPBuild(9, 1, "mse", ("mae",))
    a = build({"lr": 0.01, "layers": 8, "activation": "tanh", "optimizer": "sgd"}, seed=3)
    b = build({"lr": 0.01, "layers": 8, "activation": "tanh", "optimizer": "sgd"}, seed=3)
    assert [layer.__class__.__name__ for layer in a] == ["Dense", "Tanh", "Dense"]
    assert a.optimizer.lr == 0.01 and type(a.optimizer).__name__ == "SGD"
    assert all((p.data == q.data).all() for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize(
    ("flags", "match"),
    [
        (["--space", "depth=int:1:3"], "--space names a hyperparameter the MLP does not have"),
        (["--space", "lr=gauss:0:1"], "unknown distribution"),
        (["--executor", "cluster"], "unknown --executor. Got 'cluster'"),
    ],
)
def test_tune_reports_bad_flags_with_exit_code_2(capsys, flags, match):
    assert main(["tune", "--trials", "2", "--epochs", "1", *flags]) == 2
    assert match in capsys.readouterr().err


def test_a_dask_address_without_dask_installed_says_what_to_install(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    assert main(["tune", "--trials", "2", *FAST, "--executor", "tcp://127.0.0.1:8786"]) == 2
    err = capsys.readouterr().err
    assert "tune: a Dask scheduler address needs the dask distributed package" in err
    assert "pip install 'glassnet[cluster]'" in err
