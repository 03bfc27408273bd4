"""The ``glassnet`` command: train / evaluate / predict / summary, and its errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import cli


def train(tmp_path, *flags):
    out = tmp_path / "run"
    code = cli.main(["train", "--verbose", "0", "--out", str(out), *flags])
    return code, out


def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    assert all(name in text for name in ("train", "evaluate", "predict", "summary"))


def test_train_on_a_synthetic_set_saves_model_plot_and_preprocessing(tmp_path, capsys):
    code, out = train(tmp_path, "--dataset", "xor", "--layers", "8,8", "--epochs", "30",
                      "--lr", "0.01", "--validation-split", "0.2")  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0 and "MLP 2-8-8-2" in text and "Test accuracy: " in text
    assert sorted(p.name for p in out.iterdir()) == ["history.png", "model.gn"]
    assert (out / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = gn.load_model(out / "model.gn")
    assert [m.name for m in model.metrics] == ["accuracy"] and model.optimizer.lr == 0.01
    accuracy = float(text.split("Test accuracy: ")[1].split("%")[0])
    assert accuracy > 80
    assert cli.main(["evaluate", str(out / "model.gn"), "--dataset", "xor"]) == 0
    scores = dict(line.split(": ") for line in capsys.readouterr().out.splitlines())
    assert set(scores) == {"loss", "accuracy"}  # the same test rows as train reported
    assert float(scores["accuracy"]) * 100 == pytest.approx(accuracy, abs=0.01)


def test_regression_csv_then_evaluate_predict_and_summary(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = x @ [1.0, -2.0, 0.5] + 3
    csv = tmp_path / "data.csv"
    rows = "\n".join(",".join(f"{v:.6f}" for v in row) for row in np.column_stack([x, y]))
    csv.write_text("a,b,c,target\n" + rows)
    code, out = train(tmp_path, "--dataset", str(csv), "--target", "target", "--layers", "16",
                      "--epochs", "60", "--optimizer", "adam", "--lr", "0.02")  # fmt: skip
    assert code == 0 and "Test MAE: " in capsys.readouterr().out
    model_path = str(out / "model.gn")
    assert cli.main(["evaluate", model_path, "--dataset", str(csv), "--target", "target"]) == 0
    scores = dict(line.split(": ") for line in capsys.readouterr().out.splitlines())
    assert set(scores) == {"loss", "mae"} and float(scores["mae"]) < 0.5

    inputs = tmp_path / "inputs.csv"
    inputs.write_text("a,b,c\n1,0,0\n0,1,0\n")
    assert cli.main(["predict", model_path, str(inputs)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "prediction"
    np.testing.assert_allclose([float(v) for v in lines[1:]], [4.0, 1.0], atol=0.6)

    assert cli.main(["summary", model_path]) == 0
    text = capsys.readouterr().out
    assert "Dense(3 → 16)" in text and "Optimizer: Adam(lr=0.02" in text and "Loss: MSE" in text


def test_predict_applies_the_mnist_scaling_and_writes_a_file(tmp_path):
    model = gn.Sequential([gn.nn.Dense(4, 3, seed=0)])
    model.save(tmp_path / "model.gn")
    (tmp_path / "preprocess.json").write_text(json.dumps({"divide_by": 255.0}))
    (tmp_path / "in.csv").write_text("p0,p1,p2,p3\n255,0,0,0\n0,0,255,0\n")
    out = tmp_path / "pred.csv"
    assert cli.main(["predict", str(tmp_path / "model.gn"), str(tmp_path / "in.csv"),
                     "--output", str(out)]) == 0  # fmt: skip
    expected = model.predict(np.array([[1, 0, 0, 0], [0, 0, 1, 0]])).argmax(1)
    assert out.read_text().split() == ["prediction", *map(str, expected)]


@pytest.mark.parametrize(
    "flags, pattern",
    [
        (["--lr", "0"], "lr must be a positive number"),
        (["--lr", "-1"], "lr must be a positive number"),
        (["--batch-size", "0"], "--batch-size must be an int ≥ 1"),
        (["--epochs", "-2"], "--epochs must be an int ≥ 1"),
        (["--layers", "8,x"], "--layers must list positive sizes"),
        (["--activation", "relu6"], "unknown activation 'relu6'"),
        (["--optimizer", "adamax"], "unknown optimizer 'adamax'"),
        (["--loss", "hinge"], "unknown loss 'hinge'"),
    ],
)
def test_bad_train_flags_exit_2_with_one_clear_line(tmp_path, capsys, flags, pattern):
    code, _ = train(tmp_path, "--dataset", "circles", "--epochs", "1", *flags)
    assert code == 2
    assert pattern in capsys.readouterr().err


def test_unknown_dataset_csv_without_target_and_missing_model(tmp_path, capsys):
    assert train(tmp_path, "--dataset", "cifar")[0] == 2
    assert "unknown data set 'cifar'" in capsys.readouterr().err
    assert train(tmp_path, "--dataset", "data.csv")[0] == 2
    assert "a CSV data set needs --target" in capsys.readouterr().err
    assert cli.main(["summary", str(tmp_path / "nope.gn")]) == 2
    assert "nope.gn" in capsys.readouterr().err


def test_a_diverging_run_exits_1(tmp_path, capsys):
    code, _ = train(tmp_path, "--dataset", "hourly-wages", "--optimizer", "sgd",
                    "--lr", "1000", "--epochs", "5")  # fmt: skip
    text = capsys.readouterr().out
    assert code == 1 and "fit: training diverged" in text and "no model (it diverged)" in text
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["history.png"]


def test_train_defaults_are_the_documented_mnist_run():
    args = cli.build_parser().parse_args(["train"])
    assert (args.dataset, args.layers, args.epochs, args.out) == ("mnist", None, None, None)
    assert (args.optimizer, args.lr, args.batch_size, args.seed) == ("adam", None, 64, 0)
    assert (args.activation, args.loss, args.validation_split, args.verbose) == (
        "relu",
        None,
        0.0,
        1,
    )
    assert cli.DEFAULTS["mnist"] == ("256", 5)  # 784-256-10 for 5 epochs


def test_without_out_the_run_goes_to_a_timestamped_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "--dataset", "xor", "--epochs", "1", "--verbose", "0"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"\d{8}-\d{6}", run.name)
    assert sorted(p.name for p in run.iterdir()) == ["history.png", "model.gn"]
    assert f"Saved {Path('runs') / run.name / 'model.gn'}" in capsys.readouterr().out


@pytest.mark.parametrize("dataset, classes", [("gaussians", 2), ("spiral", 2), ("circles", 2)])
def test_every_flag_reaches_the_model_and_fit(tmp_path, monkeypatch, capsys, dataset, classes):
    seen = {}
    fit = gn.Model.fit

    def recording_fit(self, x, y, **kwargs):
        seen.update(kwargs)
        return fit(self, x, y, **kwargs)

    monkeypatch.setattr(gn.Model, "fit", recording_fit)
    flags = ["--dataset", dataset, "--layers", "6,5", "--activation", "tanh", "--loss",
             "cross_entropy", "--optimizer", "sgd", "--lr", "0.2", "--batch-size", "16",
             "--epochs", "3", "--validation-split", "0.25", "--seed", "4",
             "--verbose", "2"]  # fmt: skip
    code, out = train(tmp_path, *flags)
    text = capsys.readouterr().out
    assert code == 0 and f"MLP 2-6-5-{classes}" in text and "val_loss: " in text
    assert {k: seen[k] for k in ("epochs", "batch_size", "validation_split", "seed")} == {
        "epochs": 3,
        "batch_size": 16,
        "validation_split": 0.25,
        "seed": 4,
    }
    model = gn.load_model(out / "model.gn")
    assert [type(layer).__name__ for layer in model] == ["Dense", "Tanh"] * 2 + ["Dense"]
    assert type(model.optimizer).__name__ == "SGD" and model.optimizer.lr == 0.2
    assert type(model.loss).__name__ == "CrossEntropy"


def test_the_same_seed_trains_the_same_model(tmp_path):
    weights = []
    for seed, folder in (("1", "a"), ("1", "b"), ("2", "c")):
        flags = ["--dataset", "circles", "--epochs", "2", "--seed", seed, "--layers", "4"]
        assert cli.main(["train", "--verbose", "0", "--out", str(tmp_path / folder), *flags]) == 0
        weights.append(gn.load_model(tmp_path / folder / "model.gn").state_dict())
    assert all(np.array_equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert not np.array_equal(weights[0]["0.w"], weights[2]["0.w"])
