"""Corner cases of single ops, each against torch: powers at 0, dtype promotion of an
integer tensor with a float scalar, clip without bounds, indices out of range."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn

XS = np.array([-1.5, 0.0, 0.0, 2.0])


def _both(fn, *arrays):
    """fn's values and input gradients in glassnet and torch (float64, random grad_y)."""
    xs = [gn.tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    y, ty = fn(*xs), fn(*ts)
    grad_y = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(grad_y)
    ty.backward(torch.from_numpy(grad_y))
    return (y.data, *[x.grad for x in xs]), (ty.detach().numpy(), *[t.grad.numpy() for t in ts])


@pytest.mark.parametrize(
    "name, fn, arrays",
    [
        ("x ** 0", lambda x: x**0, [XS]),
        ("x ** 0.0", lambda x: x**0.0, [XS]),
        ("0 ** e", lambda e: 0.0**e, [np.array([0.0, 0.5, 2.0])]),
        ("x ** y at x = 0", lambda x, y: x**y, [np.zeros(4), np.array([0.0, 1.0, 2.0, 3.5])]),
        ("x ** y at y = 0", lambda x, y: x**y, [np.array([0.0, 1.0, 3.0]), np.zeros(3)]),
        ("x ** 2 at 0", lambda x: x**2, [XS]),
    ],
)
def test_powers_at_zero_have_torchs_gradients_not_nan(name, fn, arrays):
    ours, theirs = _both(fn, *arrays)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert not any(np.isnan(a).any() for a in ours)
