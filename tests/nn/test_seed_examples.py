"""The seeds' worked examples, computed with glassnet's layers, losses and optimizers."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn


def _network(hidden_w, output_w, activation):
    """input (2) → hidden (2, no bias) → activation → output (1, no bias, linear)."""
    hidden = nn.Dense(2, 2, use_bias=False, dtype=np.float64)
    output = nn.Dense(2, 1, use_bias=False, dtype=np.float64)
    hidden.w.data[:] = np.array(hidden_w, dtype=float).T  # one column per hidden node
    output.w.data[:] = np.array(output_w, dtype=float)[:, None]
    return nn.Sequential([hidden, activation, output])


def test_bank_transactions_forward_pass():
    model = _network([[1, 1], [-1, 1]], [2, -1], nn.Identity())
    x = np.array([2.0, 3.0])  # children, existing accounts
    np.testing.assert_array_equal(model[0](x).data, [5, 1])
    assert model(x).item() == 9  # 2·5 − 1·1 transactions


def test_bank_transactions_tanh_variant():
    model = _network([[3, 3], [1, 5]], [2, -1], nn.Tanh())
    x = np.array([-1.0, 2.0])
    np.testing.assert_array_equal(model[0](x).data, [3, 9])
    assert model(x).item() == pytest.approx(2 * math.tanh(3) - math.tanh(9), rel=1e-15)
    assert model(x).item() == pytest.approx(0.99010, abs=1e-5)


def test_bank_transactions_relu_variant():
    model = _network([[3, 3], [1, 5]], [2, -1], nn.ReLU())
    assert model(np.array([-1.0, 2.0])).item() == 2 * 3 - 9
    negative = _network([[1, 1], [-1, -1]], [2, -1], nn.ReLU())
    np.testing.assert_array_equal(negative[1](negative[0](np.array([2.0, 3.0]))).data, [5, 0])


def test_slope_example_with_autograd_and_sgd():
    """Node value 3, weight 2, target 10: prediction 6, error −4, slope 2·(−4)·3 = −24."""
    node_value = gn.tensor([[3.0]], dtype=np.float64)
    w = gn.tensor([[2.0]], dtype=np.float64, requires_grad=True)
    prediction = node_value @ w
    assert prediction.item() == 6
    gn.losses.MSE()(prediction, [[10.0]]).backward()  # (prediction − target)²
    assert w.grad.item() == 2 * (6 - 10) * 3 == -24
    gn.optim.SGD([w], lr=0.01).step()
    assert w.item() == pytest.approx(2.24, abs=1e-15)


X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float32)
Y = np.array([[0], [1], [1], [0]], dtype=np.float32)


def _three_layer(dtype=np.float32):
    """3 inputs → 4 sigmoid → 1 sigmoid, no biases, weights drawn from U(−1, 1)."""
    return nn.Sequential(
        [
            nn.Dense(3, 4, use_bias=False, init="uniform", seed=1, dtype=dtype),
            nn.Sigmoid(),
            nn.Dense(4, 1, use_bias=False, init="uniform", seed=2, dtype=dtype),
            nn.Sigmoid(),
        ]
    )


def test_one_step_equals_the_seeds_hand_written_backpropagation():
    """The seeds' update w += layerᵀ·(error ⊙ σ′) is gradient descent with step 1 on
    ½ Σ (y − a)²; QuadraticCost averages over n = 4 examples, so lr = 4 is the same step."""
    model = _three_layer(np.float64)
    w0, w1 = model[0].w.data.copy(), model[2].w.data.copy()

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    l1 = sigmoid(X @ w0)
    l2 = sigmoid(l1 @ w1)
    l2_delta = (Y - l2) * l2 * (1 - l2)
    l1_delta = (l2_delta @ w1.T) * l1 * (1 - l1)
    w1 += l1.T @ l2_delta
    w0 += X.T @ l1_delta

    gn.losses.QuadraticCost()(model(X), Y).backward()
    gn.optim.SGD(model.parameters(), lr=4.0).step()
    np.testing.assert_allclose(model[0].w.data, w0, rtol=1e-14)
    np.testing.assert_allclose(model[2].w.data, w1, rtol=1e-14)


def test_three_layer_sigmoid_network_learns_its_targets_in_60000_iterations():
    model = _three_layer()
    opt = gn.optim.SGD(model.parameters(), lr=4.0)
    cost = gn.losses.QuadraticCost()
    for _ in range(60_000):  # full batch: all four examples at once
        cost(model(X), Y).backward()
        opt.step()
        opt.zero_grad()
    prediction = model(X).data
    np.testing.assert_array_equal(prediction.round(), Y)
    assert np.abs(prediction - Y).max() < 0.01
