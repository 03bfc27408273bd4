"""Property tests: any broadcasting shapes give input-shaped gradients equal to torch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from optable import OPS, check_torch_parity

import glassnet as gn

BROADCASTING = [c for c in OPS if c.broadcasts and c.op != "matmul"]
MATMUL = next(c for c in OPS if c.op == "matmul")
PAIRS = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3)


@pytest.mark.parametrize("case", BROADCASTING, ids=repr)
@settings(max_examples=25, deadline=None)
@given(shapes=PAIRS, seed=st.integers(0, 2**16))
def test_binary_op_gradients_have_input_shapes_and_match_torch(case, shapes, seed):
    check_torch_parity(case, shapes.input_shapes, seed)


@settings(max_examples=40, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=3, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_matmul_with_broadcast_batches_matches_torch(shapes, seed):
    check_torch_parity(MATMUL, shapes.input_shapes, seed)


REDUCTIONS = {
    "sum": (gn.ops.sum, lambda t, axes, keep: t.sum(axes, keepdim=keep)),
    "mean": (gn.ops.mean, lambda t, axes, keep: t.mean(axes, keepdim=keep)),
    "max": (gn.ops.max, lambda t, axes, keep: t.amax(axes, keepdim=keep)),
    "var": (gn.ops.var, lambda t, axes, keep: t.var(axes, keepdim=keep, correction=0)),
}


@st.composite
def shape_and_axes(draw):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=4).map(tuple))
    axes = draw(
        st.lists(
            st.integers(-len(shape), len(shape) - 1),
            min_size=1,
            unique_by=lambda a: a % len(shape),
        )
    )
    return shape, tuple(axes)


@pytest.mark.parametrize("name", REDUCTIONS)
@settings(max_examples=25, deadline=None)
@given(shape_axes=shape_and_axes(), keepdims=st.booleans(), seed=st.integers(0, 2**16))
def test_reductions_over_any_axes_match_torch(name, shape_axes, keepdims, seed):
    (shape, axes), (fn, twin) = shape_axes, REDUCTIONS[name]
    data = np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) / 7.0
    x = gn.tensor(data, dtype=np.float64, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    y, ty = fn(x, axes, keepdims), twin(t, axes, keepdims)
    grad_y = np.random.default_rng(seed).standard_normal(y.shape)
    y.backward(grad_y)
    ty.backward(torch.from_numpy(grad_y))
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)
