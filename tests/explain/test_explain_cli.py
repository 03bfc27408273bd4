"""``glassnet explain`` and ``glassnet plot`` from the command line."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main


@pytest.fixture
def bank_model(tmp_path):
    bank = gn.data.load_bank_transactions()
    model = gn.Sequential([gn.nn.Dense(2, 2, use_bias=False), gn.nn.Dense(2, 1, use_bias=False)])
    model[0].w.data[:] = bank.w_hidden
    model[1].w.data[:] = bank.w_output
    model.compile(gn.optim.SGD(lr=0.01), "mse")
    path = tmp_path / "bank.gn"
    model.save(path)
    return str(path)


def test_explain_prints_the_forward_pass(bank_model, capsys):
    assert main(["explain", bank_model, "--input", "2,3"]) == 0
    out = capsys.readouterr().out
    assert "5·2 + 1·(-1) = 9" in out and "prediction = [9]" in out


def test_explain_a_weight_with_its_update_and_trace(bank_model, capsys):
    args = ["explain", bank_model, "--input", "2,3", "--target", "10", "--weight", "1.w[0, 0]"]
    assert main([*args, "--trace", "--markdown"]) == 0
    out = capsys.readouterr().out
    # prediction 9, target 10: dL/dprediction = 2·(9 − 10) = −2, fed by hidden node 0 = 5
    assert "(-2)·1·5 = -10" in out
    assert "w_new = w − lr·grad = 2 − 0.01·(-10) = 2.1" in out
    assert "## Trace:" in out and "MatMul" in out


def test_explain_a_weight_needs_the_target(bank_model, capsys):
    assert main(["explain", bank_model, "--input", "2,3", "--weight", "0.w[0, 0]"]) == 2
    assert "--weight and --trace need the true output" in capsys.readouterr().err


def test_explain_rejects_a_bad_input(bank_model, capsys):
    assert main(["explain", bank_model, "--input", "two,three"]) == 2
    err = capsys.readouterr().err
    assert "--input must be finite numbers (within float32's range) or mnist:N" in err


def test_explain_an_mnist_digit(tmp_path, capsys):
    model = gn.Sequential(
        [gn.nn.Dense(784, 16, seed=0), gn.nn.ReLU(), gn.nn.Dense(16, 10, seed=1)]
    )
    model.save(tmp_path / "mnist.gn")
    assert (
        main(
            ["explain", str(tmp_path / "mnist.gn"), "--input", "mnist:0", "--weight", "2.w[3, 7]"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "shapes: x (784,) · w (784, 16) + b (16,) → z (16,)" in out
    assert "The chain rule for 2.w[3, 7]" in out


@pytest.mark.parametrize("figure", ["activations", "surface"])
def test_plot_figures_without_inputs(figure, tmp_path, capsys):
    out = tmp_path / f"{figure}.png"
    assert main(["plot", figure, "--out", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert f"wrote {out}" in capsys.readouterr().out


def test_plot_history_from_a_csv_logger_file(tmp_path):
    x, y = gn.data.make_circles(40, seed=0)
    model = gn.Sequential([gn.nn.Dense(2, 4, seed=0), gn.nn.Tanh(), gn.nn.Dense(4, 2, seed=1)])
    model.compile("adam", "cross_entropy")
    log = tmp_path / "history.csv"
    history = model.fit(
        x, y, epochs=3, validation_split=0.25, verbose=0, callbacks=[gn.callbacks.CSVLogger(log)]
    )
    assert main(["plot", "history", "--csv", str(log), "--out", str(tmp_path / "h.png")]) == 0
    from glassnet.plot.cli import read_history

    np.testing.assert_allclose(read_history(log)["loss"], history["loss"], rtol=1e-6)


@pytest.mark.parametrize("figure", ["network", "boundary", "mnist"])
def test_plot_model_figures(figure, tmp_path):
    inputs = 784 if figure == "mnist" else 2
    model = gn.Sequential(
        [gn.nn.Dense(inputs, 4, seed=0), gn.nn.ReLU(), gn.nn.Dense(4, 2, seed=1)]
    )
    if figure == "mnist":
        model = gn.Sequential([gn.nn.Dense(784, 10, seed=0)])
    model.save(tmp_path / "m.gn")
    out = tmp_path / f"{figure}.png"
    assert main(["plot", figure, "--model", str(tmp_path / "m.gn"), "--out", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_plot_network_needs_a_model(tmp_path, capsys):
    assert main(["plot", "network", "--out", str(tmp_path / "n.png")]) == 2
    assert "glassnet plot network: --model is required for this figure" in capsys.readouterr().err


def test_explain_rejects_an_mnist_index_out_of_range(bank_model, capsys):
    assert main(["explain", bank_model, "--input", "mnist:10000"]) == 2
    assert "mnist:N needs a test-image index" in capsys.readouterr().err


def test_plot_history_refuses_an_empty_csv(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text("epoch,loss\n")
    assert main(["plot", "history", "--csv", str(empty), "--out", str(tmp_path / "h.png")]) == 2
    assert "the CSV file has no rows" in capsys.readouterr().err


def test_explain_a_saved_residual_graph(tmp_path, capsys):
    x = gn.Input((1, 4, 4))
    h = gn.layers.Add()([gn.nn.Conv2D(1, 1, 3, padding=1, seed=0)(x), x])
    model = gn.Model(x, gn.nn.Dense(16, 2, seed=1)(gn.nn.Flatten()(h)))
    model.compile(gn.optim.SGD(lr=0.1), "cross_entropy")
    model.save(tmp_path / "residual.gn")
    pixels = ",".join(str(v / 16) for v in range(16))  # read as the (1, 4, 4) of gn.Input
    args = ["explain", str(tmp_path / "residual.gn"), "--input", pixels, "--target", "1"]
    assert main([*args, "--weight", "0.w[0, 0, 1, 1]", "--trace"]) == 0
    out = capsys.readouterr().out
    assert "h1 = layer 1 Add() applied to h0, x" in out
    assert "h0 reaches the loss along 1 path" in out and "(equal: checked)" in out
    assert "forward Add" in out and "backward Add" in out
