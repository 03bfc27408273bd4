"""A model file carries its preprocessing: raw rows in, right answers out, no side file."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import glassnet as gn
from glassnet import cli, nn
from glassnet.data.toy import bundled_path
from glassnet.errors import DataError
from glassnet.training import recipes
from glassnet.training.preprocessing import Preprocessing

WAGES = bundled_path("hourly_wages", "hourly_wages.csv")


@pytest.fixture(scope="module")
def wages_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    args = ["train", "--dataset", "hourly-wages", "--epochs", "60", "--verbose", "0"]
    assert cli.main([*args, "--out", str(out)]) == 0
    return out


def test_a_copied_model_file_alone_predicts_wages_from_raw_rows(wages_run, tmp_path, capsys):
    """The issue's case: model.gn copied without preprocess.json predicted 109.9 US$/h."""
    shutil.copy(wages_run / "model.gn", tmp_path / "model.gn")
    lines = WAGES.read_text().splitlines()
    header = lines[0].split(",")
    order = list(reversed(range(len(header))))  # columns reordered: read by name
    rows = [",".join(line.split(",")[i] for i in order) for line in lines[:21]]
    (tmp_path / "in.csv").write_text("\n".join(rows) + "\n")
    capsys.readouterr()
    assert cli.main(["predict", str(tmp_path / "model.gn"), str(tmp_path / "in.csv")]) == 0
    predicted = np.array(capsys.readouterr().out.split()[1:], float)

    x, wages, _ = gn.data.load_hourly_wages()
    bare = gn.load_model(tmp_path / "model.gn")
    bare.preprocessing = None
    spec = recipes.load_dataset("hourly-wages").preprocess  # the split and scaler training used
    expected = bare.predict(recipes.preprocess(x[:20], spec)).ravel()
    np.testing.assert_allclose(predicted, expected, rtol=1e-5)
    assert 1.0 < predicted.mean() < 20.0 and abs(predicted.mean() - wages[:20].mean()) < 3.0
    np.testing.assert_allclose(
        gn.load_model(tmp_path / "model.gn").predict(x[:20]).ravel(), expected, rtol=1e-6
    )


def test_the_file_describes_its_preprocessing(wages_run):
    model = gn.load_model(wages_run / "model.gn")
    assert model.preprocessing.features[:3] == ["union", "education_yrs", "experience_yrs"]
    assert type(model.preprocessing.scaler).__name__ == "StandardScaler"
    assert not (wages_run / "preprocess.json").exists()


def test_evaluate_applies_it_too(wages_run):
    x, y, _ = gn.data.load_hourly_wages()
    model = gn.load_model(wages_run / "model.gn")
    mae = model.evaluate(x, y)["mae"]
    assert mae == pytest.approx(np.abs(model.predict(x).ravel() - y).mean(), rel=1e-5)
    assert mae < 5.0


def test_an_old_model_with_a_side_file_still_predicts_right(tmp_path, capsys):
    model = gn.Sequential([nn.Dense(2, 1, seed=0)])
    model.save(tmp_path / "model.gn")
    scaler = gn.data.StandardScaler().fit(np.array([[0.0, 10.0], [2.0, 30.0]]))
    (tmp_path / "preprocess.json").write_text(json.dumps({"scaler": scaler.to_dict()}))
    (tmp_path / "in.csv").write_text("a,b\n1,20\n2,30\n")
    assert cli.main(["predict", str(tmp_path / "model.gn"), str(tmp_path / "in.csv")]) == 0
    got = np.array(capsys.readouterr().out.split()[1:], float)
    expected = model.predict(scaler.transform(np.array([[1, 20], [2, 30]], np.float32)))
    np.testing.assert_allclose(got, expected.ravel(), rtol=1e-5)


def test_the_model_file_wins_over_a_stale_side_file(wages_run, tmp_path, capsys):
    shutil.copy(wages_run / "model.gn", tmp_path / "model.gn")
    (tmp_path / "preprocess.json").write_text(json.dumps({"divide_by": 1000.0}))
    (tmp_path / "in.csv").write_text("\n".join(WAGES.read_text().splitlines()[:3]) + "\n")
    assert cli.main(["predict", str(tmp_path / "model.gn"), str(tmp_path / "in.csv")]) == 0
    got = np.array(capsys.readouterr().out.split()[1:], float)
    x, _, _ = gn.data.load_hourly_wages()
    np.testing.assert_allclose(
        got, gn.load_model(wages_run / "model.gn").predict(x[:2]).ravel(), rtol=1e-5
    )


def test_save_and_load_keep_the_preprocessing(tmp_path):
    model = gn.Sequential([nn.Dense(3, 1, seed=0)])
    model.preprocessing = Preprocessing(divide_by=255.0)
    model.save(tmp_path / "m.gn")
    loaded = gn.load_model(tmp_path / "m.gn")
    assert loaded.preprocessing == model.preprocessing
    x = np.array([[255.0, 0.0, 510.0]])
    np.testing.assert_allclose(loaded.predict(x), model.predict(x))
    np.testing.assert_allclose(loaded.predict(x), loaded(x / 255.0).data, rtol=1e-6)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ([1], r"preprocess has the wrong type. Got list"),
        ({"shell": "rm"}, r"the preprocessing is malformed. Got \['shell'\]"),
        ({"divide_by": 0}, "divide_by must be a positive number. Got 0"),
        ({"divide_by": "255"}, "divide_by must be a positive number"),
        ({"features": "abc"}, "features must be a list of column names"),
        ({"scaler": {"type": "Evil"}}, "unknown scaler type"),
    ],
)
def test_a_malformed_preprocessing_in_a_file_is_a_data_error(tmp_path, spec, match):
    gn.Sequential([nn.Dense(3, 1)]).save(tmp_path / "m.gn")
    with np.load(tmp_path / "m.gn") as archive:
        arrays = dict(archive)
    header = {**json.loads(str(arrays["__glassnet__"])), "preprocess": spec}
    arrays["__glassnet__"] = np.array(json.dumps(header))
    with open(tmp_path / "e.gn", "wb") as file:
        np.savez(file, **arrays)
    with pytest.raises(DataError, match=match):
        gn.load_model(tmp_path / "e.gn")


def test_a_side_file_that_is_not_json_is_a_data_error(tmp_path):
    (tmp_path / "p.json").write_text("{not json")
    with pytest.raises(DataError, match=r"preprocess file '.*p.json': it is not JSON"):
        Preprocessing.read(tmp_path / "p.json")


def test_summary_shows_the_preprocessing(wages_run, capsys):
    assert cli.main(["summary", str(wages_run / "model.gn")]) == 0
    out = capsys.readouterr().out
    assert "Preprocessing (applied by predict): Preprocessing(features=9, StandardScaler)" in out
