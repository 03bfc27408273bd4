"""examples/tune_hourly_wages.py: the seeds' coding challenge, run small, reports the tuned
MLP's best validation MAE beside the least-squares line and the train-mean baseline."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "tune_hourly_wages.py"


def test_example_reports_the_tuned_mae_against_the_least_squares_line(
    tmp_path, monkeypatch, capsys
):
    figure = tmp_path / "search.png"
    argv = [str(SCRIPT), "--trials", "3", "--epochs", "3", "--plot", str(figure)]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(SCRIPT), run_name="__main__")
    out = capsys.readouterr().out
    rows = {line[:28].strip(): line[28:].split() for line in out.splitlines() if "  " in line}
    tuned, line, mean = (
        [float(v) for v in rows[k]]
        for k in ("tuned MLP (best trial)", "least-squares line", "predict the train mean")
    )
    # the baseline, recomputed here: ordinary least squares on the same 60/20/20 split
    x, y, _ = gn.data.load_hourly_wages()
    x_rest, x_test, y_rest, y_test = gn.data.train_test_split(x, y, test_size=0.2, seed=0)
    x_tr, x_val, y_tr, y_val = gn.data.train_test_split(x_rest, y_rest, test_size=0.25, seed=0)
    design = np.column_stack([x_tr, np.ones(len(x_tr))])
    coef = np.linalg.lstsq(design, y_tr, rcond=None)[0]
    val_mae = np.mean(np.abs(np.column_stack([x_val, np.ones(len(x_val))]) @ coef - y_val))
    assert line[0] == pytest.approx(val_mae, abs=5e-4)
    assert mean[0] == pytest.approx(np.mean(np.abs(y_tr.mean() - y_val)), abs=5e-4)
    assert 0 < tuned[0] < mean[0]  # three short trials already beat the constant guess
    assert "3 trials in" in out and figure.read_bytes()[:4] == b"\x89PNG"
