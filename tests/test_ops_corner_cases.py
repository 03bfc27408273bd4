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


@pytest.mark.parametrize(
    "name, fn",
    [
        ("int * python float", lambda t: t * 0.5),
        ("python float - int", lambda t: 1.5 - t),
        ("int + float32 scalar", lambda t: t + np.float32(2.0)),
        ("int / int", lambda t: t / 2),
        ("int ** python float", lambda t: t**2.5),
        ("int + python int", lambda t: t + 1),
        ("int ** python int", lambda t: t**2),
    ],
)
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_an_integer_tensor_with_a_scalar_gets_torchs_dtype(name, fn, dtype):
    ours = fn(gn.tensor(np.array([1, 2, 3], dtype)))
    theirs = fn(torch.tensor([1, 2, 3], dtype=getattr(torch, dtype)))
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), name
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


def test_an_integer_tensor_meets_a_float_tensor_in_the_float_dtype():
    ours = gn.tensor(np.array([1, 2])) * gn.tensor([0.5, 0.25])  # float32
    theirs = torch.tensor([1, 2]) * torch.tensor([0.5, 0.25])
    assert ours.dtype == np.float32 and theirs.dtype == torch.float32


def test_clip_needs_at_least_one_bound_as_torch_does():
    x = gn.tensor([1.0, 2.0])
    with pytest.raises(gn.ConfigError, match=r"clip: at least one bound is needed\. Got low=None"):
        x.clip()
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        torch.tensor([1.0, 2.0]).clamp()
    np.testing.assert_array_equal(x.clip(None, 1.5).data, [1.0, 1.5])


@pytest.mark.parametrize("index", [5, (0, 7), (0, 0, 0)])
def test_an_index_out_of_range_is_both_a_shape_error_and_an_index_error(index):
    x = gn.tensor(np.zeros((3, 4)))
    with pytest.raises(gn.errors.TensorIndexError, match=r"getitem: the index does not fit"):
        x[index]
    with pytest.raises(gn.ShapeError):
        x[index]
    with pytest.raises(IndexError):
        x[index]
    with pytest.raises(IndexError):
        torch.zeros(3, 4)[index]
