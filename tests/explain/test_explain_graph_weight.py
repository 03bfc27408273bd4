"""explain.weight inside a graph (a functional model): the slope at the weight's node is the
sum over the paths to the loss, and the product equals PyTorch's gradient in float64."""

from __future__ import annotations

import re

import numpy as np
import pytest
from explain_graphs import GRAPHS, sample, spec, stem_residual_mlp, target, torch_grads

import glassnet as gn
from glassnet.explain.render import num


@pytest.mark.parametrize("build", GRAPHS, ids=lambda b: b.__name__)
def test_every_weight_agrees_with_torch_in_float64(build):
    model, loss, x_shape, y_shape = build()
    x, y = sample(x_shape, 0), target(loss, y_shape, 0)
    expected = torch_grads(model, x, y, loss)
    rng = np.random.default_rng(1)
    for name, p in model.named_parameters():
        for _ in range(2):
            index = tuple(int(rng.integers(0, s)) for s in p.shape)
            e = gn.explain.weight(model, x, y, spec(name, index), loss=loss, lr=0.1)
            want = float(expected[name][index])
            assert e.gradient == pytest.approx(want, rel=1e-6, abs=1e-12), spec(name, index)
            assert e.gradient == pytest.approx(e.autograd, rel=1e-9, abs=1e-12)
            assert e.new_value == pytest.approx(e.value - 0.1 * e.gradient, rel=1e-12)


def test_the_skip_is_its_own_path_and_the_shares_add_up():
    model, _, _, _ = stem_residual_mlp()
    x, y = sample((3,), 2), sample((2,), 3)
    e = gn.explain.weight(model, x, y, "0.w[2, 1]")
    text = str(e)
    assert "h1 reaches the loss along 2 paths" in text  # h1 = tanh of the stem
    block = "path 1: h1 → 2 Dense(4 → 5) → 3 ReLU() → 4 Dense(5 → 4) → 5 Add() → 6 Dense"
    assert block in text
    assert "path 2: h1 → 5 Add() → 6 Dense(4 → 2) → loss   (the skip connection)" in text
    shares = [float(v) for v in re.findall(r"back: .* dL/dh1\[1\] = (\S+)", text)]
    total = re.search(r"dL/dh1\[1\] = \(?(\S+?)\)? \+ \(?(\S+?)\)? = (\S+)", text)
    assert len(shares) == 2 and [float(total.group(1)), float(total.group(2))] == shares
    assert [num(p["share"]) for p in e.paths] == [num(v) for v in shares]
    assert e.paths[1]["route"].endswith("(the skip connection)")
    assert float(total.group(3)) == pytest.approx(sum(shares), rel=1e-5)
    assert float(total.group(3)) == pytest.approx(e.factors[0], rel=1e-5)
    # the skip's share by hand: dL/dy through the head's weights, w_head[1, :]·dL/dy
    twin = gn.explain.slopes.float64_copy(model)
    out = twin(x[None]).data[0]
    skip = float((2 * (out - y) / 2) @ twin.layers[6].w.data[1])
    assert shares[1] == pytest.approx(skip, rel=1e-5)


def test_a_weight_writing_the_prediction_shows_the_losss_slope():
    model, _, _, _ = stem_residual_mlp()
    e = gn.explain.weight(model, sample((3,), 0), [1.0, -1.0], "6.b[0]")
    assert "h6 is the prediction: dL/dprediction = 2·(prediction − actual) / m" in str(e)
    assert e.factors[1:] == (1.0, 1.0)


def test_each_path_is_walked_back_node_by_node():
    model, _, _, _ = stem_residual_mlp()
    e = gn.explain.weight(model, sample((3,), 0), [1.0, -1.0], "2.w[0, 3]")
    text = str(e)
    assert "path 1: h3 → 4 Dense(5 → 4) → 5 Add() → 6 Dense(4 → 2) → loss\n" in text
    walk = next(line for line in text.splitlines() if "back:" in line)
    assert walk.index("dL/dh6") < walk.index("dL/dh5") < walk.index("dL/dh4")
    assert walk.rstrip().endswith(f"dL/dh3[3] = {num(e.factors[0])}")
    assert "dL/dh3[3] = Σₘ dL/dz′[m]·w′[3, m]" in text
    assert "Dense: dL/dx = dL/dz·wᵀ" in text and "Add: dL/dxᵢ = dL/dy" in text


def test_conv_weights_sum_positions_and_paths():
    from explain_graphs import residual_cnn

    model, _, _, _ = residual_cnn()
    e = gn.explain.weight(model, sample((1, 5, 5), 0), 2, "0.w[1, 0, 2, 2]", loss="cross_entropy")
    text = str(e)
    assert "h1 reaches the loss along 2 paths" in text and "(the skip connection)" in text
    assert len(e.terms) == 25 and "the weight is used at every position" in text
    assert re.search(r"dL/dh1\[1, \d, \d\] = ", text)
    assert "Flatten (op Reshape): dL/dx = dL/dy laid out as x's shape" in text  # its op's rule
    assert "Conv2D (op Conv2D): [dL/dw₂ | dL/db]" in text


def test_keras_style_activation_is_its_own_node():
    x = gn.Input((2,))
    h = gn.nn.Dense(2, 3, activation="tanh", seed=0)(x)
    model = gn.Model(x, gn.layers.Add()([gn.nn.Dense(3, 2, seed=1)(h), x]))
    e = gn.explain.weight(model, [0.5, -1.0], [0.0, 1.0], "0.w[1, 2]")
    assert e.gradient == pytest.approx(e.autograd, rel=1e-9)
    text = str(e)
    assert "the layer writes z0, its activation h0" in text
    assert "tanh: f′(z) = 1 − tanh²(z)" in text
    assert model.layers[0].activation == "tanh"  # the model's own layer keeps it


def test_a_layer_used_twice_adds_the_terms_of_both_uses():
    x = gn.Input((2,))
    shared = gn.nn.Dense(2, 2, seed=0)
    y = shared(gn.nn.Tanh()(shared(x)))
    model = gn.Model(x, y)
    e = gn.explain.weight(model, [0.3, -0.7], [1.0, 0.0], "0.w[0, 1]")
    assert e.gradient == pytest.approx(e.autograd, rel=1e-9)
    assert [t[0] for t in e.terms] == ["call 1, z[1]", "call 2, z[1]"]
    text = str(e)
    assert "used at 2 nodes" in text and "(use 2 of 2)" in text
    expected = torch_grads_shared(model, np.array([0.3, -0.7]), np.array([1.0, 0.0]))
    assert e.gradient == pytest.approx(expected[0, 1], rel=1e-6)


def torch_grads_shared(model, x, y):
    import torch

    w = torch.tensor(model.layers[0].w.data, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(model.layers[0].b.data, dtype=torch.float64)
    xt = torch.tensor(x[None])
    out = torch.tanh(xt @ w + b) @ w + b
    torch.nn.functional.mse_loss(out, torch.tensor(y[None])).backward()
    return w.grad.numpy()


def test_many_paths_are_shown_edge_by_edge():
    x = gn.Input((2,))
    h = gn.nn.Dense(2, 2, seed=0)(x)
    for k in range(4):  # four residual blocks: 2⁴ = 16 paths from h0
        h = gn.layers.Add()([gn.nn.Tanh()(gn.nn.Dense(2, 2, seed=k + 1)(h)), h])
    model = gn.Model(x, h)
    e = gn.explain.weight(model, [1.0, 2.0], [0.0, 0.0], "0.w[1, 0]")
    assert e.gradient == pytest.approx(e.autograd, rel=1e-9)
    text = str(e)
    assert "h0 reaches the loss along more than 8 paths; it feeds 2 node(s)" in text
    assert e.paths is None
    assert re.search(r"dL/dh0\[0\] = \S+ \+ \S+ = " + re.escape(num(e.factors[0])), text)


def test_two_inputs_take_a_list_of_samples():
    a, b = gn.Input((2,)), gn.Input((3,))
    h = gn.layers.Concatenate()([gn.nn.Dense(2, 2, seed=0)(a), b])
    model = gn.Model([a, b], gn.nn.Dense(5, 1, seed=1)(h))
    e = gn.explain.weight(model, [[1.0, 2.0], [0.1, 0.2, 0.3]], [1.0], "0.w[1, 1]")
    assert e.gradient == pytest.approx(e.autograd, rel=1e-9) and e.gradient != 0
    with pytest.raises(gn.ConfigError, match=r"explain: this model has 2 inputs\. Got 1 array"):
        gn.explain.weight(model, [1.0, 2.0], [1.0], "0.w[1, 1]")
    with pytest.raises(gn.ShapeError, match=r"explain: explanations walk one data point"):
        gn.explain.weight(model, [np.ones((4, 2)), np.ones((4, 3))], [1.0], "0.w[1, 1]")


def test_a_weight_nested_in_a_graph_layer_is_refused():
    x = gn.Input((2,))
    inner = gn.Sequential([gn.nn.Dense(2, 2, seed=0)])
    model = gn.Model(x, gn.layers.Add()([inner(x), x]))
    with pytest.raises(gn.ConfigError, match="0.0.w is not the weight of a top-level layer"):
        gn.explain.weight(model, [1.0, 2.0], [0.0, 0.0], "0.0.w[0, 0]")


def test_the_model_is_not_changed_and_markdown_renders():
    model, _, _, _ = stem_residual_mlp()
    before = {n: p.data.copy() for n, p in model.named_parameters()}
    e = gn.explain.weight(model, sample((3,), 0), [1.0, -1.0], "2.w[0, 0]", optimizer="adam")
    assert all(np.array_equal(p.data, before[n]) for n, p in model.named_parameters())
    assert all(p.grad is None for p in model.parameters()) and model.training
    md = e.markdown()
    assert md.startswith("## The chain rule for 2.w[0, 0]") and "path 1: h3 → " in md
    assert "m̂ = m / (1 − β₁ᵗ)" in md


def test_a_chain_has_no_path_list():
    net = gn.Sequential([gn.nn.Dense(2, 1, seed=0)])
    assert gn.explain.weight(net, [1.0, 2.0], [0.0], "0.w[1, 0]").paths is None
