"""Activations at the edges of the float range: ±∞, NaN and 0 give torch's values and slopes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn

EDGES = np.array([-np.inf, -1e30, -1.0, 0.0, 1.0, 1e30, np.inf, np.nan])


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activation_values_and_slopes_at_the_edges_match_torch(name):
    x = gn.Tensor(EDGES.copy(), requires_grad=True)
    y = getattr(gn.ops, name)(x)
    y.backward(np.ones_like(EDGES))
    xt = torch.tensor(EDGES, requires_grad=True)
    yt = getattr(torch, name)(xt)
    yt.backward(torch.ones_like(xt))
    np.testing.assert_array_equal(y.data, yt.detach().numpy())
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())


def test_relu_of_minus_infinity_is_zero_not_nan():
    y = gn.ops.relu(gn.Tensor(np.array([-np.inf], np.float32)))
    assert y.data.tolist() == [0.0]
