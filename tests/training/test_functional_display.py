"""A functional model shows its graph wherever a model is shown: summary() prints the table
with the values each call reads (Keras's "Connected to"), and Jupyter's HTML is that table."""

from __future__ import annotations

import glassnet as gn


def residual_mlp():
    x = gn.Input((3,))
    h = gn.nn.Dense(5, 3, seed=1)(gn.nn.ReLU()(gn.nn.Dense(3, 5, seed=0)(x)))
    return gn.Model(x, gn.layers.Add()([h, x]))


def test_summary_prints_the_graph_table_once_and_returns_it(capsys):
    text = residual_mlp().summary()
    assert capsys.readouterr().out == text + "\n"
    rows = text.splitlines()
    assert rows[1].split() == ["Layer", "Output", "shape", "Params", "Trainable", "Reads"]
    assert rows[7].split() == ["3", "Add()", "(None,", "3)", "0", "-", "2,", "input", "0"]


def test_the_notebook_html_is_the_graph_table_with_shapes_and_reads():
    model = residual_mlp()
    html = model._repr_html_()
    assert "<b>Functional</b>" in html and "Reads" in html
    rows = html.split("<pre", 1)[1].splitlines()
    assert rows[7].split() == ["3", "Add()", "(None,", "3)", "0", "-", "2,", "input", "0"]
    assert "?" not in html  # every output shape is known from the graph
