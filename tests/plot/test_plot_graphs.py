"""gn.plot.graph (layers and connections, as Keras's plot_model) and gn.plot.network on
functional graph models: a residual MLP, a residual CNN, a Concatenate branch and a
Multiply gate. The drawings are checked through their artists against the models."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main

Dense, Conv2D, layers = gn.nn.Dense, gn.nn.Conv2D, gn.layers


def residual_mlp():
    x = gn.Input((3,))
    h = Dense(5, 3, seed=1)(gn.nn.ReLU()(Dense(3, 5, seed=0)(x)))
    return gn.Model(x, layers.Add()([h, x]))


def residual_cnn(side: int = 5):
    x = gn.Input((1, side, side))
    stem = gn.nn.ReLU()(Conv2D(1, 2, 3, padding=1, seed=0)(x))
    h = gn.nn.Flatten()(layers.Add()([Conv2D(2, 2, 3, padding=1, seed=1)(stem), stem]))
    return gn.Model(x, Dense(2 * side * side, 10 if side == 28 else 3, seed=2)(h))


def concat_branches():
    x = gn.Input((3,))
    a = gn.nn.Tanh()(Dense(3, 2, seed=0)(x))
    b = Dense(3, 3, seed=1)(x)
    return gn.Model(x, Dense(5, 2, seed=2)(layers.Concatenate()([a, b])))


def multiply_gate():
    x = gn.Input((3,))
    gate = Dense(3, 4, activation="sigmoid", seed=1)(x)
    return gn.Model(x, Dense(4, 1, seed=2)(layers.Multiply()([Dense(3, 4, seed=0)(x), gate])))


def _nodes(fig) -> list[tuple]:
    return [(n["name"], n["label"], n["shape"], n["depth"]) for n in fig.glassnet_graph["nodes"]]


# ---- gn.plot.graph ----------------------------------------------------------------------------
def test_graph_of_a_residual_mlp_draws_the_skip_connection_around_the_block(tmp_path):
    fig = gn.plot.graph(residual_mlp(), tmp_path / "g.png")
    assert fig.glassnet_path == str(tmp_path / "g.png")
    assert _nodes(fig) == [
        ("input 0", "Input", "(3,)", 0),
        ("0", "Dense(3 → 5)", "(5,)", 1),
        ("1", "ReLU()", "(5,)", 2),
        ("2", "Dense(5 → 3)", "(3,)", 3),
        ("3", "Add()", "(3,)", 4),
    ]
    assert fig.glassnet_graph["edges"] == [(0, 1), (1, 2), (2, 3), (3, 4), (0, 4)]
    boxes, arrows = fig.glassnet_boxes, fig.glassnet_arrows
    assert [b.get_text() for b in boxes][3:] == ["2  Dense(5 → 3)\n(3,)", "3  Add()\n(3,)"]
    assert [b.get_position()[1] for b in boxes] == [0, -1, -2, -3, -4]
    for (a, b), arrow in zip(fig.glassnet_graph["edges"], arrows):
        assert arrow.anncoords is boxes[a] and arrow.xycoords is boxes[b]
    colours = [arrow.arrowprops["color"] for arrow in arrows]
    assert colours == ["black"] * 4 + ["tab:gray"]  # the skip bends around the block
    assert arrows[-1].arrowprops["connectionstyle"] == "arc3,rad=-0.3"


def test_graph_of_a_residual_cnn_shows_image_shapes():
    fig = gn.plot.graph(residual_cnn())
    assert [n[2] for n in _nodes(fig)] == [
        "(1, 5, 5)", "(2, 5, 5)", "(2, 5, 5)", "(2, 5, 5)", "(2, 5, 5)", "(50,)", "(3,)",
    ]  # fmt: skip
    assert (2, 4) in fig.glassnet_graph["edges"] and (3, 4) in fig.glassnet_graph["edges"]


def test_graph_puts_branches_side_by_side_and_merges_below_both():
    fig = gn.plot.graph(concat_branches())
    assert [(n[0], n[3]) for n in _nodes(fig)] == [
        ("input 0", 0), ("0", 1), ("1", 2), ("2", 1), ("3", 3), ("4", 4),
    ]  # fmt: skip
    xy = [b.get_position() for b in fig.glassnet_boxes]
    assert xy[1][1] == xy[3][1] == -1 and xy[1][0] == xy[2][0] == -0.5 and xy[3][0] == 0.5
    into_concat = [a for a, b in fig.glassnet_graph["edges"] if b == 4]
    assert into_concat == [2, 3]


def test_graph_of_a_gate_names_its_keras_activation_and_a_second_call():
    fig = gn.plot.graph(multiply_gate())
    assert [n[1] for n in _nodes(fig)][1:3] == ["Dense(3 → 4), sigmoid", "Dense(3 → 4)"]
    x = gn.Input((2,))
    shared = Dense(2, 2, seed=0)
    twice = gn.plot.graph(gn.Model(x, layers.Add()([shared(shared(x)), x])))
    assert [n[0] for n in _nodes(twice)] == ["input 0", "0", "0 (call 2)", "1"]


def test_graph_of_a_sequential_is_one_column_with_its_shapes():
    model = gn.Sequential([Dense(2, 4), gn.nn.ReLU(), Dense(4, 1)])
    fig = gn.plot.graph(model)
    assert _nodes(fig) == [
        ("input 0", "Input", "(2,)", 0),
        ("0", "Dense(2 → 4)", "(4,)", 1),
        ("1", "ReLU()", "(4,)", 2),
        ("2", "Dense(4 → 1)", "(1,)", 3),
    ]
    assert {b.get_position()[0] for b in fig.glassnet_boxes} == {0}
    unknown = gn.plot.graph(gn.Sequential([gn.nn.Flatten(), Dense(4, 1)]))
    assert [n[2] for n in _nodes(unknown)] == ["?", "?", "?"]


# ---- gn.plot.network on graphs -----------------------------------------------------------------
def _columns(fig) -> list[tuple]:
    return [(c.name, c.size, c.label, c.depth) for c in fig.glassnet_columns]


def test_network_of_a_residual_mlp_draws_weights_and_the_skip_unit_by_unit(tmp_path):
    model = residual_mlp()
    fig = gn.plot.network(model, tmp_path / "net.png")
    assert _columns(fig) == [
        ("input x", 3, ["input x", "3 values"], 0),
        ("0", 5, ["0 Dense(3 → 5)", "relu"], 1),  # the ReLU written under its Dense
        ("2", 3, ["2 Dense(5 → 3)", "linear"], 2),
        ("3", 3, ["3 Add()", "elementwise sum"], 3),
    ]
    links = fig.glassnet_links
    assert [(k["kind"], k["from"], k["to"]) for k in links] == [
        ("weights", [0], 1), ("weights", [1], 2), ("merge", [2, 0], 3),
    ]  # fmt: skip
    w = model.layers[0].w.data.ravel()
    blue = [c[2] > c[0] for c in links[0]["lines"].get_colors()]
    assert len(links[0]["lines"].get_segments()) == 15 and blue == (w >= 0).tolist()
    segments = links[2]["lines"].get_segments()
    add, x = fig.glassnet_columns[3], fig.glassnet_columns[0]
    straight, skip = segments[:3], segments[3:]
    assert [s[-1][1] for s in straight] == add.ys.tolist() == [s[-1][1] for s in skip]
    assert all(len(s) == 2 for s in straight) and all(len(s) == 4 for s in skip)
    assert [s[0][1] for s in skip] == x.ys.tolist() and min(s[1][1] for s in skip) > 3
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["positive weight", "negative weight", "value passed on"]


def test_network_of_a_concatenate_fills_the_units_in_order():
    fig = gn.plot.network(concat_branches())
    assert [(c[0], c[1], c[3]) for c in _columns(fig)] == [
        ("input x", 3, 0), ("0", 2, 1), ("2", 3, 1), ("3", 5, 2), ("4", 2, 3),
    ]  # fmt: skip
    tanh, plain, joined = fig.glassnet_columns[1:4]
    assert tanh.label[1] == "tanh" and joined.label[1] == "side by side"
    merge = next(k for k in fig.glassnet_links if k["kind"] == "merge")
    ends = [(s[0][1], s[-1][1]) for s in merge["lines"].get_segments()]
    assert ends == list(zip([*tanh.ys, *plain.ys], joined.ys))
    assert tanh.ys.min() > plain.ys.max()  # the branches stand one above the other


def test_network_of_a_multiply_gate():
    fig = gn.plot.network(multiply_gate())
    assert [c[2] for c in _columns(fig)][1:4] == [
        ["0 Dense(3 → 4)", "sigmoid"],  # the gate, a Keras-style activation, is called first
        ["1 Dense(3 → 4)", "linear"],
        ["2 Multiply()", "elementwise product"],
    ]
    merge = fig.glassnet_links[2]
    assert merge["kind"] == "merge" and merge["from"] == [2, 1]
    assert len(merge["lines"].get_segments()) == 8


def test_network_keeps_an_activation_column_when_its_input_is_read_twice():
    x = gn.Input((2,))
    z = Dense(2, 2, seed=0)(x)
    fig = gn.plot.network(gn.Model(x, layers.Add()([gn.nn.ReLU()(z), z])))
    assert [(c[0], c[2][1]) for c in _columns(fig)] == [
        ("input x", "2 values"), ("0", "linear"), ("1", "relu"), ("2", "elementwise sum"),
    ]  # fmt: skip
    assert [k["kind"] for k in fig.glassnet_links] == ["weights", "copy", "merge"]


def test_network_of_a_functional_chain_names_its_keras_activations_as_a_sequential_does():
    def chain():  # the same weights each call (seeded); Sequential splits the activations off
        return [Dense(3, 4, activation="relu", seed=0), Dense(4, 2, activation="sigmoid", seed=1)]

    x, (first, second) = gn.Input((3,)), chain()
    functional = gn.Model(x, second(first(x)))
    assert not functional.is_graph  # a plain chain: drawn layer by layer, as a Sequential

    def labels(model):
        return [t.get_text() for t in gn.plot.network(model).axes[0].texts if "\n" in t.get_text()]

    expected = ["Dense(3 → 4)\nrelu", "Dense(4 → 2)\nsigmoid", "input\n3 values"]
    assert labels(functional) == labels(gn.Sequential(chain())) == expected


def test_network_names_a_softmax_output_in_a_chain_as_in_a_graph():
    x = gn.Input((2,))
    out = Dense(3, 2, activation="softmax", seed=1)
    graph = gn.Model(x, layers.Add()([out(Dense(2, 3, seed=0)(x)), x]))
    assert gn.plot.network(graph).glassnet_columns[2].label == ["1 Dense(3 → 2)", "softmax"]
    chain = gn.Sequential([Dense(2, 3, seed=0), Dense(3, 2, activation="softmax", seed=1)])
    texts = [t.get_text() for t in gn.plot.network(chain).axes[0].texts]
    assert "Dense(3 → 2)\nsoftmax" in texts


def test_network_refuses_what_has_no_units_and_points_to_graph():
    images = r"plot.network: input x is not a vector of units\. Got one sample of shape \(1, 5"
    with pytest.raises(gn.ConfigError, match=images):
        gn.plot.network(residual_cnn())
    x = gn.Input((3,))
    h = gn.nn.BatchNorm(3)(Dense(3, 3, seed=0)(x))
    normed = gn.Model(x, layers.Add()([h, x]))
    hint = r"\n  hint: draw the layers and their connections with gn\.plot\.graph\(model\)"
    with pytest.raises(gn.ConfigError, match=r"layer 1 BatchNorm.* has no units .*" + hint):
        gn.plot.network(normed)
    assert gn.plot.graph(normed).glassnet_graph["edges"][-1] == (0, 3)
    with pytest.raises(gn.ConfigError, match="plot.network: a value has 5 units, too many"):
        gn.plot.network(residual_mlp(), max_units=4)


# ---- the command line ---------------------------------------------------------------------------
def test_glassnet_plot_graph_network_and_mnist_read_a_saved_graph(tmp_path, capsys):
    residual_mlp().save(tmp_path / "mlp.gn")
    residual_cnn(side=28).save(tmp_path / "cnn.gn")
    for figure, name in [("graph", "mlp"), ("network", "mlp"), ("graph", "cnn"), ("mnist", "cnn")]:
        out = tmp_path / f"{figure}-{name}.png"
        argv = ["plot", figure, "--model", str(tmp_path / f"{name}.gn"), "--out", str(out)]
        assert main(argv) == 0 and out.read_bytes()[:4] == b"\x89PNG"
    assert f"glassnet plot mnist: wrote {tmp_path / 'mnist-cnn.png'}" in capsys.readouterr().out


# ---- the other model figures take a graph as they take a chain ---------------------------------
def test_decision_boundary_and_model_surface_of_a_graph():
    x = gn.Input((2,))
    joined = layers.Concatenate()([gn.nn.Tanh()(Dense(2, 3, seed=0)(x)), x])  # a skip of x
    model = gn.Model(x, Dense(5, 2, seed=1)(joined))
    points, labels = gn.data.make_circles(60, seed=0)
    fig = gn.plot.decision_boundary(model, points, labels, resolution=20)
    x0, x1, y0, y1 = fig.axes[0].images[0].get_extent()
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, 20), np.linspace(y0, y1, 20)), -1)
    scores = model.predict(grid.reshape(-1, 2)).argmax(axis=1).reshape(20, 20)
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), scores)
    weights = ("0.w[0, 0]", "3.w[4, 1]")  # one in the branch, one reading the skipped x
    surface = gn.plot.model_surface(model, points, labels, "cross_entropy", weights, steps=3)
    start = [model.layers[0].w.data[0, 0], model.layers[3].w.data[4, 1]]
    np.testing.assert_allclose(surface.glassnet_path_points[0], start, rtol=1e-6)
    assert not np.allclose(surface.glassnet_path_points[-1], start)  # it descended
