"""The readable reference versions (glassnet.ops.reference) equal the fast image ops:
values and gradients, on random shapes with stride, padding and dilation, in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn.functional as F
from optable import OpCase, cases_with_shapes, check_gradcheck, check_torch_parity

import glassnet as gn
from glassnet.ops import reference


def _random_conv(rng):
    N, C, O = rng.integers(1, 4), rng.integers(1, 4), rng.integers(1, 5)
    KH, KW = rng.integers(1, 4, size=2)
    stride = tuple(int(s) for s in rng.integers(1, 3, size=2))
    dilation = tuple(int(d) for d in rng.integers(1, 3, size=2))
    padding = [0, 1, (1, 2), "same", "valid"][rng.integers(5)]
    H, W = rng.integers(dilation[0] * (KH - 1) + 1, 9), rng.integers(dilation[1] * (KW - 1) + 1, 9)
    shapes = (int(N), int(C), int(H), int(W)), (int(O), int(C), int(KH), int(KW))
    return shapes, dict(stride=stride, padding=padding, dilation=dilation)


def _values_and_gradients(fn, arrays, grad_y_seed=1):
    xs = [gn.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*xs)
    grad_y = np.random.default_rng(grad_y_seed).standard_normal(y.shape)
    y.backward(grad_y)
    return y.data, [x.grad for x in xs]


def _assert_same(fast, slow):
    np.testing.assert_allclose(fast[0], slow[0], rtol=1e-10, atol=1e-12)
    for a, b in zip(fast[1], slow[1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_conv2d_reference_equals_conv2d(seed):
    rng = np.random.default_rng(seed)
    (x_shape, w_shape), settings = _random_conv(rng)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
    arrays.append(rng.standard_normal(w_shape[0]))
    fast = _values_and_gradients(lambda x, w, b: gn.ops.conv2d(x, w, b, **settings), arrays)
    slow = _values_and_gradients(
        lambda x, w, b: reference.conv2d_reference(x, w, b, **settings), arrays
    )
    _assert_same(fast, slow)


def _random_pool(rng):
    kernel = tuple(int(k) for k in rng.integers(1, 4, size=2))
    stride = [None, tuple(int(s) for s in rng.integers(1, 4, size=2))][rng.integers(2)]
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4)), *rng.integers(4, 9, size=2))
    return tuple(int(s) for s in shape), dict(kernel_size=kernel, stride=stride, padding=padding)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_references_equal_the_fast_pools(seed, kind):
    rng = np.random.default_rng(100 + seed)
    shape, settings = _random_pool(rng)
    x = rng.standard_normal(shape)
    fast_op = getattr(gn.ops, f"{kind}_pool2d")
    slow_op = getattr(reference, f"{kind}_pool2d_reference")
    fast = _values_and_gradients(lambda t: fast_op(t, **settings), [x])
    slow = _values_and_gradients(lambda t: slow_op(t, **settings), [x])
    _assert_same(fast, slow)


@pytest.mark.parametrize("stride", [None, 1])
def test_max_pool2d_reference_routes_ties_to_the_first_maximum_like_the_fast_op(stride):
    x = np.zeros((1, 1, 4, 4))  # every window is a tie (after a ReLU this is common)
    x[0, 0, 3, 3] = -1.0
    fast = _values_and_gradients(lambda t: gn.ops.max_pool2d(t, 2, stride), [x])
    slow = _values_and_gradients(lambda t: reference.max_pool2d_reference(t, 2, stride), [x])
    _assert_same(fast, slow)
    assert set(np.unique(slow[1][0])) != {0.0}  # the gradient reached the inputs


def test_the_references_check_their_arguments_like_the_fast_ops():
    with pytest.raises(gn.ShapeError, match=r"conv2d_reference: x must be a 4-D image batch"):
        reference.conv2d_reference(np.ones((3, 5, 5)), np.ones((2, 3, 3, 3)))
    with pytest.raises(gn.ConfigError, match=r"max_pool2d: padding may be at most half"):
        reference.max_pool2d_reference(np.ones((1, 1, 4, 4)), 2, padding=2)


# The references as rows of the op table: gradcheck and PyTorch parity, like every op.
IMAGES = "images are 4-D (N, C, H, W); there is no scalar case"
REFERENCE_OPS = [
    OpCase(
        "conv2d_reference s2 p1 d1",
        "conv2d",
        lambda x, w, b: reference.conv2d_reference(x, w, b, stride=2, padding=1),
        lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
        shapes=(((1, 2, 5, 4), (3, 2, 3, 2), (3,)),),
        no_scalar=IMAGES,
    ),
    OpCase(
        "conv2d_reference s1 p2 d2",
        "conv2d",
        lambda x, w, b: reference.conv2d_reference(x, w, b, padding=2, dilation=2),
        lambda x, w, b: F.conv2d(x, w, b, padding=2, dilation=2),
        shapes=(((2, 1, 4, 4), (2, 1, 2, 3), (2,)),),
        no_scalar=IMAGES,
    ),
    OpCase(
        "max_pool2d_reference k3 s2 p1",
        "max_pool2d",
        lambda x: reference.max_pool2d_reference(x, 3, 2, 1),
        lambda x: F.max_pool2d(x, 3, 2, 1),
        shapes=(((2, 2, 5, 6),),),
        distinct=True,
        no_scalar=IMAGES,
    ),
    OpCase(
        "avg_pool2d_reference k(2, 3) s1 p1",
        "avg_pool2d",
        lambda x: reference.avg_pool2d_reference(x, (2, 3), 1, 1),
        lambda x: F.avg_pool2d(x, (2, 3), 1, 1),
        shapes=(((1, 2, 4, 5),),),
        no_scalar=IMAGES,
    ),
]


@pytest.mark.parametrize("case, shapes", cases_with_shapes(REFERENCE_OPS))
def test_reference_gradcheck(case, shapes):
    check_gradcheck(case, shapes)


@pytest.mark.parametrize("case, shapes", cases_with_shapes(REFERENCE_OPS))
def test_reference_matches_torch(case, shapes):
    check_torch_parity(case, shapes)
