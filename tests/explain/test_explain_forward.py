"""explain.forward: the seeds' forward-propagation examples come out with their numbers."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def bank_network() -> gn.nn.Sequential:
    """The seeds' bank-transactions network: inputs (children, accounts) → 2 hidden → 1."""
    net = gn.nn.Sequential([gn.nn.Dense(2, 2, use_bias=False), gn.nn.Dense(2, 1, use_bias=False)])
    net[0].w.data[:] = [[1, -1], [1, 1]]  # node_0 weights (1, 1), node_1 weights (-1, 1)
    net[1].w.data[:] = [[2], [-1]]
    return net


def test_bank_transactions_network_gives_9():
    e = gn.explain.forward(bank_network(), np.array([2, 3]))
    assert e.output.tolist() == [9.0]
    assert [s["output"].tolist() for s in e.steps] == [[5.0, 1.0], [9.0]]
    text = str(e)
    assert "2·1 + 3·1 = 5" in text
    assert "2·(-1) + 3·1 = 1" in text
    assert "5·2 + 1·(-1) = 9" in text
    assert "+ b" not in text


def test_tanh_example_shows_each_activation():
    net = gn.nn.Sequential(
        [gn.nn.Dense(2, 2, use_bias=False), gn.nn.Tanh(), gn.nn.Dense(2, 1, use_bias=False)]
    )
    net[0].w.data[:] = [[3, 1], [3, 5]]
    net[2].w.data[:] = [[2], [-1]]
    e = gn.explain.forward(net, [-1.0, 2.0])
    expected = 2 * np.tanh(3.0) - np.tanh(9.0)
    assert e.output[0] == pytest.approx(expected, rel=1e-6)
    text = str(e)
    assert "a = tanh(z)" in text
    assert "a[0] = tanh(3) = 0.995055" in text


def test_large_layer_shows_shapes_formula_and_a_few_values():
    net = gn.nn.Sequential([gn.nn.Dense(30, 20, seed=0), gn.nn.ReLU(), gn.nn.Dense(20, 3, seed=1)])
    x = np.linspace(-1, 1, 30)
    e = gn.explain.forward(net, x)
    text = str(e)
    assert "shapes: x (30,) · w (30, 20) + b (20,) → z (20,)" in text
    assert "… (30 terms)" in text
    assert "(20 values)" in text
    np.testing.assert_allclose(e.output, net(x[None]).data[0], rtol=1e-6)


def test_other_layers_show_their_docstring_formula_and_markdown_renders():
    net = gn.nn.Sequential([gn.nn.Dense(3, 3, seed=0), gn.nn.Softmax()])
    e = gn.explain.forward(net, np.ones((1, 3)))
    assert np.isclose(e.output.sum(), 1.0)
    md = e.markdown()
    assert md.startswith("## Forward propagation of one data point")
    assert "### layer 1 Softmax()" in md
    assert "```" in md and "e^" in md


def test_dropout_is_off_while_explaining_and_mode_is_restored():
    net = gn.nn.Sequential([gn.nn.Dense(4, 4, seed=0), gn.nn.Dropout(0.9, seed=0)])
    e = gn.explain.forward(net, np.ones(4))
    np.testing.assert_allclose(e.output, e.steps[0]["output"])
    assert net.training and net[1].training


def test_a_whole_batch_is_refused_with_a_hint():
    with pytest.raises(
        gn.ShapeError, match=r"(?s)explain: explanations walk one data point.*x\[0\]"
    ):
        gn.explain.forward(bank_network(), np.ones((4, 2)))


def test_unknown_format_is_refused():
    e = gn.explain.forward(bank_network(), [2, 3])
    with pytest.raises(gn.ConfigError, match="render: unknown format 'html'"):
        e.render("html")


def test_a_flatten_first_model_takes_one_image():
    net = gn.Sequential([gn.nn.Flatten(), gn.nn.Dense(12, 2, seed=0)])
    image = np.arange(12.0).reshape(3, 4) / 12
    e = gn.explain.forward(net, image)
    np.testing.assert_allclose(e.output, net(image.reshape(1, 3, 4)).data[0], rtol=1e-6)
    assert e.steps[0]["output"].shape == (12,)
    w = gn.explain.weight(net, image[None], [0.0, 1.0], "1.w[5, 1]")
    assert w.gradient == pytest.approx(w.autograd, rel=1e-12)


def test_a_conv_layer_writes_out_the_sum_behind_one_output_pixel():
    import re

    net = gn.Sequential([gn.nn.Conv2D(1, 2, 3, seed=0), gn.nn.ReLU()])
    x = np.random.default_rng(0).random((1, 5, 5))
    text = str(gn.explain.forward(net, x))
    line = next(row for row in text.splitlines() if "z[0, 0, 0] =" in row)
    pairs = re.findall(r"\(?(-?[\d.]+)\)?·(-?[\d.]+)", line)
    assert len(pairs) == 9  # 1 channel × 3 × 3: every term shown
    w = net[0].w.data[0, 0].ravel()
    np.testing.assert_allclose([float(a) for a, _ in pairs], w, atol=1e-4)
    np.testing.assert_allclose([float(b) for _, b in pairs], x[0, :3, :3].ravel(), atol=1e-4)
    z00 = float((net[0].w.data[0, 0] * x[0, :3, :3]).sum() + net[0].b.data[0])
    assert line.rstrip().endswith(f"= {z00:.6g}")


def test_a_wide_conv_layer_shows_the_first_terms_and_the_count():
    net = gn.Sequential([gn.nn.Conv2D(4, 2, 3, padding="same", seed=0)])
    text = str(gn.explain.forward(net, np.ones((4, 6, 6))))
    assert "+ … (36 terms)" in text and "(x̃ = x zero-padded)" in text
