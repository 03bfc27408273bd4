"""The seeds' perceptron: learns AND and OR with its own rule, cannot learn XOR."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
AND, OR, XOR = np.array([0, 0, 0, 1]), np.array([0, 1, 1, 1]), np.array([0, 1, 1, 0])


@pytest.mark.parametrize("target", [AND, OR], ids=["AND", "OR"])
def test_learns_linearly_separable_gates(target):
    model = nn.Perceptron(2)
    mistakes = model.fit(X, target, epochs=50)
    assert mistakes[-1] == 0 and len(mistakes) < 10
    np.testing.assert_array_equal(model.predict(X), target)
    np.testing.assert_array_equal(model(X).data, target)


def test_learns_from_a_random_start_too():
    model = nn.Perceptron(2, lr=0.1, init="uniform", seed=0)
    assert model.fit(X, AND, epochs=200)[-1] == 0


def test_fails_on_xor_whatever_the_start():
    for seed in range(5):
        model = nn.Perceptron(2, init="uniform", seed=seed)
        mistakes = model.fit(X, XOR, epochs=200)
        assert len(mistakes) == 200 and min(mistakes) >= 1
        assert (model.predict(X) == XOR).sum() <= 3  # no line gets all four right


def test_the_rule_is_the_textbook_one():
    model = nn.Perceptron(2, lr=0.5)
    model.fit(X[3:], [1], epochs=1)  # z = 0 → ŷ = 0, a mistake on (1, 1) with y = 1
    np.testing.assert_array_equal(model.w.data, [0.5, 0.5])
    assert model.b.data == 0.5
    np.testing.assert_array_equal(model.decision(X), [0.5, 1.0, 1.0, 1.5])


def test_a_hidden_layer_of_sigmoid_neurons_learns_xor():
    model = nn.Sequential(
        [
            nn.Dense(2, 4, seed=0, dtype=np.float64),
            nn.Sigmoid(),
            nn.Dense(4, 1, seed=1, dtype=np.float64),
            nn.Sigmoid(),
        ]
    )
    opt = gn.optim.SGD(model.parameters(), lr=2.0)
    loss = gn.losses.QuadraticCost()
    for _ in range(3000):
        opt.zero_grad()
        loss(model(X), XOR[:, None]).backward()
        opt.step()
    np.testing.assert_array_equal((model(X).data.ravel() > 0.5).astype(int), XOR)


def test_errors():
    with pytest.raises(gn.ConfigError, match="Perceptron: in_features must be a positive int"):
        nn.Perceptron(0)
    with pytest.raises(gn.ConfigError, match="lr must be a positive number. Got -1"):
        nn.Perceptron(2, lr=-1)
    with pytest.raises(gn.ShapeError, match=r"rows of 2 features. Got x.shape=\(4, 3\)"):
        nn.Perceptron(2).predict(np.zeros((4, 3)))
    with pytest.raises(gn.ShapeError, match=r"one 0 or 1 per example.*values \[0, 2\]"):
        nn.Perceptron(2).fit(X, [0, 2, 0, 0])
    with pytest.raises(gn.ShapeError, match=r"expected shape \(4,\)"):
        nn.Perceptron(2).fit(X, [0, 1])
    with pytest.raises(gn.ConfigError, match="Perceptron.fit: epochs must be a positive int"):
        nn.Perceptron(2).fit(X, AND, epochs=0)
