"""gn.doctor on functional graph models: every node checked and named by its layer, as a
Sequential's layers are, on the explain tests' residual MLP, residual CNN, Concatenate
branch and Multiply gate; the expected fractions are recomputed here with NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from explain_graphs import concat_branches, multiply_gate, residual_cnn, residual_mlp

import glassnet as gn
from glassnet.explain.doctor import Doctor

Dense, layers = gn.nn.Dense, gn.layers


def points(shape: tuple, n: int = 64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, *shape))


def test_dead_relus_in_a_residual_mlp_are_named_by_their_layer():
    model = residual_mlp()[0]
    model.layers[0].b.data[:3] = -100.0  # 3 of the 5 hidden units can never fire
    report = gn.doctor(model=model, x=points((3,)))
    assert report.kinds == ["dead_relus"]
    assert report["dead_relus"].numbers == {"dead_fraction": {"1": 0.6}}
    assert report["dead_relus"].finding.endswith("never fire on these inputs: layer 1: 60%")
    model.layers[0].b.data[:3] = 0.0
    assert gn.doctor(model=model, x=points((3,))).kinds == []


def test_dead_channels_in_a_residual_cnn_stem():
    model = residual_cnn()[0]
    model.layers[0].b.data[0] = -100.0  # channel 0 of the stem's 2 is off everywhere
    d = gn.doctor(model=model, x=points((1, 5, 5)))["dead_relus"]
    assert d.numbers == {"dead_fraction": {"1": 0.5}} and "layer 1: 50%" in d.finding


def _saturated(z: np.ndarray, slope) -> float:
    """The fraction of columns of z whose median slope is below the doctor's floor."""
    return float(np.mean(np.median(slope(z), axis=0) < 0.01))


def test_saturated_tanh_branch_beside_a_concatenate():
    model = concat_branches()[0]
    model.layers[0].w.data[:] = [[100.0, 0.01]] * 3  # unit 0 saturates, unit 1 stays linear
    x = points((3,))
    z = x @ model.layers[0].w.data.astype(np.float64) + model.layers[0].b.data
    expected = _saturated(z, lambda z: 1 - np.tanh(z) ** 2)
    d = gn.doctor(model=model, x=x)["saturated_units"]
    assert expected == 0.5 and d.numbers == {"saturated_fraction": {"1": expected}}
    assert d.finding.endswith("(they barely learn): layer 1: 50%")


def test_saturated_sigmoid_gate_of_a_multiply_and_not_its_dense():
    model = multiply_gate()[0]
    gate = model.layers[1]
    gate.w.data *= 200.0
    x = points((3,))
    z = x @ gate.w.data.astype(np.float64) + gate.b.data
    expected = _saturated(z, lambda z: (s := 0.5 + 0.5 * np.tanh(z / 2)) * (1 - s))
    d = gn.doctor(model=model, x=x)["saturated_units"]
    assert expected >= 0.5 and d.numbers == {"saturated_fraction": {"2": expected}}
    assert [type(layer).__name__ for layer in model.layers][1:4] == [
        "Dense",
        "Sigmoid",
        "Multiply",
    ]


def shared_relu_graph():
    """A Keras-style Dense(…, activation="relu") called twice, then a skip and a head."""
    x = gn.Input((3,))
    shared = Dense(3, 3, activation="relu", seed=0)
    h = layers.Add()([shared(shared(x)), x])
    return gn.Model(x, Dense(3, 1, seed=1)(h))


def test_a_keras_activation_and_a_second_call_are_nodes_of_their_own():
    model = shared_relu_graph()
    model.layers[0].b.data[:] = -100.0
    d = gn.doctor(model=model, x=points((3,)))["dead_relus"]
    assert d.numbers == {"dead_fraction": {"0": 1.0, "0 (call 2)": 1.0}}
    assert "layer 0: 100%, layer 0 (call 2): 100%" in d.finding
    assert model.layers[0].activation == "relu"  # the doctor split a copy, not the model


def test_the_output_node_is_not_checked_but_matched_against_the_loss():
    x = gn.Input((3,))
    h = layers.Add()([Dense(3, 2, seed=0)(x), Dense(3, 2, seed=1)(x)])
    softmax = gn.Model(x, gn.nn.Softmax()(h))
    loud = points((3,)) * 1000  # the softmax saturates: confident outputs are fine
    report = gn.doctor(model=softmax, x=loud, loss="cross_entropy")
    assert report.kinds == ["unscaled_inputs", "output_loss_mismatch"]
    finding = report["output_loss_mismatch"].finding
    assert "ends in Softmax but CrossEntropy(from_logits=True) applies softmax" in finding
    sigmoid = gn.Model(x, Dense(2, 1, activation="sigmoid", seed=2)(h))
    y = (points((1,)) > 0).astype(float)
    d = gn.doctor(model=sigmoid, x=points((3,)), y=y, loss="mse")["output_loss_mismatch"]
    assert d.finding.startswith("a Sigmoid output trained with MSE on 0/1 classes")
    assert d.numbers["last_layer"] == "Sigmoid"
    plain = gn.doctor(model=residual_mlp()[0], x=points((3,)), loss="mse")
    assert "output layer vs loss" in plain.checked and plain.kinds == []


def two_inputs():
    a, b = gn.Input((3,)), gn.Input((2,))
    ha = gn.nn.ReLU()(Dense(3, 4, seed=0)(a))
    hb = gn.nn.ReLU()(Dense(2, 4, seed=1)(b))
    return gn.Model([a, b], Dense(8, 1, seed=2)(layers.Concatenate()([ha, hb])))


def test_several_inputs_are_passed_as_fit_takes_them():
    model = two_inputs()
    model.layers[2].b.data[:] = -1e4  # layer 2 is b's Dense: its ReLU (layer 3) is dead
    xa, xb = points((3,)), points((2,), seed=1) * [1.0, 500.0]
    report = gn.doctor(model=model, x=[xa, xb])
    assert report.kinds == ["unscaled_inputs", "dead_relus"]
    assert report["dead_relus"].numbers == {"dead_fraction": {"3": 1.0}}
    assert report["unscaled_inputs"].numbers["max_abs"] == pytest.approx(np.abs(xb).max())
    with pytest.raises(gn.ShapeError, match=r"doctor: this model has 2 inputs\. Got x\.shape="):
        gn.doctor(model=model, x=np.ones((4, 4)))


def test_the_doctor_callback_on_a_graph_model():
    model, loss, _, _ = residual_mlp()
    model.layers[0].b.data[:] = -100.0
    x = points((3,))
    model.compile(gn.optim.Adam(lr=1e-3), loss)
    check = Doctor(x, verbose=False)
    model.fit(x, x, epochs=3, batch_size=16, verbose=0, seed=0, callbacks=[check])
    assert "dead_relus" in check.report.kinds
    assert check.report["dead_relus"].numbers == {"dead_fraction": {"1": 1.0}}


def test_a_functional_chain_is_checked_with_its_keras_style_activations():
    x = gn.Input((3,))
    h = Dense(3, 4, activation="sigmoid", seed=0)(x)
    model = gn.Model(x, Dense(4, 1, activation="sigmoid", seed=1)(h))
    assert not model.is_graph  # a chain, but its activations live inside Dense layers
    model.layers[0].w.data *= 500.0
    d = gn.doctor(model=model, x=points((3,)), y=np.ones((64, 1)), loss="mse")
    assert d.kinds == ["saturated_units", "output_loss_mismatch"]
    assert d["saturated_units"].numbers["saturated_fraction"].keys() == {"0"}
