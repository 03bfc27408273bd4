"""explain.forward, trace and check_gradients on graphs (functional models): the walk goes
node by node in topological order with the merge nodes' numbers, and the trace and the
gradient check see the whole graph."""

from __future__ import annotations

import numpy as np
import pytest
from explain_graphs import GRAPHS, concat_branches, multiply_gate, residual_mlp, sample, target

import glassnet as gn


@pytest.mark.parametrize("build", GRAPHS, ids=lambda b: b.__name__)
def test_the_walk_ends_at_the_models_output(build):
    model, _, x_shape, _ = build()
    x = sample(x_shape, 0).astype(np.float32)
    e = gn.explain.forward(model, x)
    np.testing.assert_allclose(e.output, model(x[None]).data[0], rtol=1e-6)
    assert [s["node"] for s in e.steps] == [f"h{i}" for i in range(len(e.steps))]
    made = {"x"}
    for step in e.steps:  # topological: every value a node reads was made before it
        assert set(step["reads"]) <= made
        made.add(step["node"])


def test_residual_add_shows_each_element_with_numbers():
    model, _, _, _ = residual_mlp()
    x = np.array([1.0, -2.0, 0.5], np.float32)
    e = gn.explain.forward(model, x)
    text = str(e)
    assert "h3 = layer 3 Add() applied to h2, x" in text
    h2, out = e.steps[2]["output"], e.output
    line = f"h3[1] = h2[1] + x[1] = {gn.explain.render.factor(h2[1])} + (-2) = "
    assert line + gn.explain.render.num(out[1]) in text
    assert "y = x₁ + x₂ + … + xₖ" in text  # the Add layer's Forward line
    assert e.steps[3]["input"][1].tolist() == x.tolist() and e.steps[3]["reads"] == ["h2", "x"]


def test_multiply_and_concatenate_nodes():
    gate, _, _, _ = multiply_gate()
    walk = gn.explain.forward(gate, [0.2, -0.4, 1.0])
    text = str(walk)
    value, sigmoid, product = (walk.steps[k]["output"] for k in (0, 2, 3))
    np.testing.assert_allclose(product, value * sigmoid, rtol=1e-6)
    assert "h3 = layer 3 Multiply() applied to h0, h2" in text
    assert "h3[0] = h0[0]·h2[0] = " in text and "y = x₁ ⊙ x₂ ⊙ … ⊙ xₖ" in text
    branches, _, _, _ = concat_branches()
    e = gn.explain.forward(branches, [0.2, -0.4, 1.0])
    text = str(e)
    assert "h3 = [h1, h2] along axis -1" in text and "shapes: (2,) and (3,) → (5,)" in text
    assert e.steps[3]["output"].tolist() == [*e.steps[1]["output"], *e.steps[2]["output"]]


def test_two_inputs_and_a_keras_activation_node():
    a, b = gn.Input((2,)), gn.Input((2,))
    h = gn.layers.Add()([gn.nn.Dense(2, 2, activation="relu", seed=0)(a), b])
    model = gn.Model([a, b], h)
    e = gn.explain.forward(model, [[1.0, 2.0], [0.5, -0.5]])
    text = str(e)
    assert "input x0 = [1, 2]" in text and "input x1 = [0.5, -0.5]" in text
    assert "z0 = layer 0 Dense(2 → 2) applied to x0" in text
    assert "h0 = layer 0 ReLU() (the activation of layer 0) applied to z0" in text
    expected = model([np.array([[1.0, 2.0]]), np.array([[0.5, -0.5]])]).data[0]
    np.testing.assert_allclose(e.output, expected, rtol=1e-6)
    assert model.layers[0].activation == "relu"  # split on a copy: the model keeps its own


def test_a_graph_models_mode_is_kept_and_a_batch_refused():
    x = gn.Input((3,))
    model = gn.Model(x, gn.layers.Add()([gn.nn.Dropout(0.9, seed=0)(x), x]))
    e = gn.explain.forward(model, np.ones(3))
    np.testing.assert_allclose(e.output, 2 * np.ones(3))  # Dropout is off while explaining
    assert model.training
    with pytest.raises(gn.ShapeError, match=r"explain: explanations walk one data point"):
        gn.explain.forward(model, np.ones((4, 3)))


def test_a_chain_built_with_the_functional_api_reads_like_a_sequential():
    x = gn.Input((2,))
    model = gn.Model(x, gn.nn.Dense(3, 1, seed=1)(gn.nn.Tanh()(gn.nn.Dense(2, 3, seed=0)(x))))
    text = str(gn.explain.forward(model, [1.0, 2.0]))
    assert text.startswith("─") and "Forward propagation of one data point ─" in text
    assert "through a graph" not in text and "layer 0 Dense(2 → 3)" in text


@pytest.mark.parametrize("build", GRAPHS, ids=lambda b: b.__name__)
def test_check_gradients_passes_on_every_graph(build):
    model, loss, x_shape, y_shape = build()
    xs = np.stack([sample(x_shape, s) for s in range(3)])
    ys = np.array([target(loss, y_shape, s) for s in range(3)])
    report = gn.check_gradients(model, xs, ys, loss=loss)
    assert report.ok and [r["name"] for r in report.rows] == [
        n for n, _ in model.named_parameters()
    ]


class Cube(gn.Function):
    """A custom op with a deliberately wrong backward.

    Forward:   y = x³
    Backward:  dL/dx = dL/dy ⊙ 2x²   (wrong on purpose: the slope of x³ is 3x²)
    """

    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, grad_y):
        return (grad_y * 2 * self.x**2,)


class CubeLayer(gn.nn.Module):
    def forward(self, x):
        return Cube.apply(gn.as_tensor(x))


def test_a_wrong_backward_inside_a_graph_is_caught_and_explained(rng):
    x = gn.Input((3,))
    h = gn.nn.Dense(3, 3, seed=0)(x)
    model = gn.Model(x, gn.nn.Dense(3, 2, seed=1)(gn.layers.Add()([CubeLayer()(h), h])))
    report = gn.check_gradients(model, rng.normal(size=(4, 3)), rng.normal(size=(4, 2)))
    assert not report.ok and report.worst["name"].startswith("0.")
    assert "h0 reaches the loss along 2 paths" in str(report.explanation)


def test_trace_records_the_graph_and_its_accumulated_gradients():
    model, _, _, _ = residual_mlp()
    x = np.array([[0.5, -1.0, 2.0]], np.float32)
    with gn.trace(model) as t:
        gn.losses.MSE()(model(x), np.zeros((1, 3))).backward()
    ops = [e["op"] for e in t.of_kind("forward")]
    assert ops == ["Linear", "ReLU", "Linear", "Add", "SquaredError"]
    add = t.of_kind("forward")[3]
    assert add["inputs"][1][0] == t.of_kind("forward")[0]["inputs"][0][0]  # x read twice
    backward_add = next(e for e in t.of_kind("backward") if e["op"] == "Add")
    assert len(backward_add["grads"]) == 2  # the residual sends the gradient down both paths
    totals = {e["tensor"]: e["total"] for e in t.of_kind("accumulate")}
    for name, p in model.named_parameters():
        assert totals[name] == gn.explain.render.excerpt(p.grad, limit=t.limit)


MERGE_OPS = {
    "residual_mlp": "Add",
    "stem_residual_mlp": "Add",
    "residual_cnn": "Add",
    "concat_branches": "Concatenate",
    "multiply_gate": "Mul",
}


@pytest.mark.parametrize("build", GRAPHS, ids=lambda b: b.__name__)
def test_trace_of_every_graph_ends_in_autograds_gradients(build):
    model, loss, x_shape, y_shape = build()
    x = sample(x_shape, 0)[None].astype(np.float32)
    y = np.array([target(loss, y_shape, 0)])
    with gn.trace(model) as t:
        gn.losses.get(loss)(model(x), y if loss != "mse" else y.astype(np.float32)).backward()
    ops = [e["op"] for e in t.of_kind("forward")]
    assert MERGE_OPS[build.__name__] in ops and len(t.of_kind("backward")) >= len(ops) - 1
    totals = {e["tensor"]: e["total"] for e in t.of_kind("accumulate")}
    assert set(totals) == {n for n, _ in model.named_parameters()}
    for name, p in model.named_parameters():
        assert totals[name] == gn.explain.render.excerpt(p.grad, limit=t.limit)
