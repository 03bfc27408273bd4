"""Convolution, pooling and batch-norm ops in the shared op table format (tests/optable.py):
float64 gradcheck and PyTorch parity (forward and backward, random upstream gradient).

Covered: strides 1 and 2; padding 'valid', 'same', an int and a pair; odd image sizes;
several channels; batch 1; dilation; max-pool ties (gradient to the first maximum).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from optable import OpCase, cases_with_shapes, check_gradcheck, check_torch_parity

import glassnet as gn
from glassnet import _fastpath

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

IMAGES = "images are 4-D (N, C, H, W); there is no scalar case"


def _conv(stride=1, padding=0, dilation=1):
    def gn_fn(x, w, b):
        return gn.ops.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)

    def torch_fn(x, w, b):
        if padding == "same" and stride != 1:  # torch only has 'same' for stride 1
            pad = gn.ops.conv.resolve_padding(
                "same", x.shape[2:], w.shape[2:], (stride,) * 2, (dilation,) * 2, "test"
            )
            x = F.pad(x, (*pad[1], *pad[0]))
            return F.conv2d(x, w, b, stride=stride, dilation=dilation)
        return F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)

    return gn_fn, torch_fn


def _conv_case(stride, padding, shapes, dilation=1) -> OpCase:
    name = f"conv2d s{stride} p{padding!r} d{dilation}".replace(" ", "_")
    return OpCase(
        name, "conv2d", *_conv(stride, padding, dilation), shapes=shapes, no_scalar=IMAGES
    )


# (x, w, b): odd sizes, several channels, batch 1, a non-square kernel.
CONV_SHAPES = (
    ((2, 3, 7, 6), (4, 3, 3, 3), (4,)),
    ((1, 2, 5, 7), (3, 2, 3, 2), (3,)),
)
CONV_OPS = [
    _conv_case(stride, padding, CONV_SHAPES)
    for stride in (1, 2)
    for padding in ("valid", "same", 1, (2, 1))
] + [_conv_case(1, 2, (((1, 2, 7, 7), (2, 2, 3, 3), (2,)),), dilation=2)]


def _pool_case(kind, kernel, stride, padding, shapes) -> OpCase:
    gn_op = {"max": gn.ops.max_pool2d, "avg": gn.ops.avg_pool2d}[kind]
    torch_op = {"max": F.max_pool2d, "avg": F.avg_pool2d}[kind]
    return OpCase(
        f"{kind}_pool2d k{kernel} s{stride} p{padding}".replace(" ", "_"),
        f"{kind}_pool2d",
        lambda x: gn_op(x, kernel, stride, padding),
        lambda x: torch_op(x, kernel, stride, padding),
        shapes=shapes,
        distinct=kind == "max",  # no ties: the ties test below pins their routing
        no_scalar=IMAGES,
    )


POOL_SHAPES = (((2, 3, 6, 6),), ((1, 2, 7, 5),))
POOL_OPS = [
    _pool_case(kind, kernel, stride, padding, POOL_SHAPES)
    for kind in ("max", "avg")
    for kernel, stride, padding in ((2, None, 0), (3, 2, 1), (3, 1, 0), ((2, 3), (1, 2), (1, 1)))
]

_RUNNING = {2: (np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.5, 2.0]))}


def _bn(training: bool, lib: str):
    def fn(x, gamma, beta):
        if training:
            mean = var = None
        else:
            mean, var = (np.array(a) for a in _RUNNING[2])
            if lib == "torch":
                mean, var = torch.from_numpy(mean), torch.from_numpy(var)
        if lib == "torch":
            return F.batch_norm(x, mean, var, gamma, beta, training=training)
        return gn.ops.batch_norm(x, gamma, beta, mean, var, training=training)

    return fn


BN_SHAPES = (((5, 3), (3,), (3,)), ((2, 3, 3, 5), (3,), (3,)), ((1, 3, 2, 3), (3,), (3,)))
BN_OPS = [
    OpCase(
        f"batch_norm {'train' if t else 'eval'}",
        "batch_norm",
        _bn(t, "gn"),
        _bn(t, "torch"),
        shapes=BN_SHAPES,
        domain=((-2.0, 2.0), (0.5, 1.5), (-1.0, 1.0)),
        no_scalar=IMAGES,
    )
    for t in (True, False)
]

GLOBAL_OPS = [
    OpCase(
        "global_avg_pool2d",
        "global_avg_pool2d",
        gn.ops.global_avg_pool2d,
        lambda x: x.mean(dim=(2, 3)),
        shapes=(((2, 3, 5, 4),), ((1, 1, 3, 3),)),
        no_scalar=IMAGES,
    )
]

CNN_OPS = CONV_OPS + POOL_OPS + BN_OPS + GLOBAL_OPS


@pytest.mark.parametrize("case, shapes", cases_with_shapes(CNN_OPS))
def test_cnn_op_matches_torch(case, shapes):
    check_torch_parity(case, shapes)


@pytest.mark.parametrize("case, shapes", cases_with_shapes(CNN_OPS))
def test_cnn_op_gradcheck(case, shapes):
    check_gradcheck(case, shapes)


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 2, 1), (2, 1, 0)])
def test_max_pool_ties_route_to_first_maximum_like_torch(kernel, stride, padding):
    # Integers in [0, 3): most windows hold a tied maximum.
    x = np.random.default_rng(0).integers(0, 3, (2, 3, 6, 7)).astype(np.float64)
    xg, xt = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = (
        gn.ops.max_pool2d(xg, kernel, stride, padding),
        F.max_pool2d(xt, kernel, stride, padding),
    )
    grad_y = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(grad_y)
    yt.backward(torch.from_numpy(grad_y))
    np.testing.assert_array_equal(y.data, yt.detach().numpy())
    np.testing.assert_allclose(xg.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_max_pool_tie_goes_to_first_element_of_window():
    x = gn.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    gn.ops.max_pool2d(x, 2).backward(np.array([[[[5.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], [[5.0, 0.0], [0.0, 0.0]])


def test_batch_norm_updates_running_statistics_like_torch():
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 2))
    mean, var = np.zeros(3), np.ones(3)
    tm, tv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for _ in range(3):
        gn.ops.batch_norm(x, np.ones(3), np.zeros(3), mean, var, momentum=0.2)
        F.batch_norm(torch.from_numpy(x), tm, tv, training=True, momentum=0.2)
    np.testing.assert_allclose(mean, tm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(var, tv.numpy(), rtol=1e-12)


def test_conv2d_float32_stays_float32_and_skips_unneeded_input_gradient():
    x = gn.randn((2, 1, 6, 6), seed=0)
    w = gn.randn((3, 1, 3, 3), seed=1, requires_grad=True)
    y = gn.ops.conv2d(x, w, padding="same")
    assert y.dtype == np.float32 and y.shape == (2, 3, 6, 6)
    y.sum().backward()
    assert x.grad is None and w.grad.dtype == np.float32


def test_recycled_column_buffers_never_alias_live_ones(monkeypatch):
    monkeypatch.setattr(_fastpath, "_RECYCLE_BYTES", 0)  # recycle even tiny arrays
    monkeypatch.setattr(_fastpath, "_SPARE", {})
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((2, 3, 6, 6)) for _ in range(2)]
    w, g = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal((2, 4, 4, 4))
    gx = [gn.tensor(x, requires_grad=True) for x in xs]
    gw = gn.tensor(w, requires_grad=True)
    loss = sum((gn.ops.conv2d(x, gw) * g).sum() for x in gx)  # two column matrices alive
    loss.backward(retain_graph=True)
    loss.backward()  # the saved columns survived the first backward
    tx = [torch.tensor(x, requires_grad=True) for x in xs]
    tw = torch.tensor(w, requires_grad=True)
    tloss = sum((F.conv2d(x, tw) * torch.from_numpy(g)).sum() for x in tx)
    tloss.backward(retain_graph=True)
    tloss.backward()
    np.testing.assert_allclose(gw.grad, tw.grad.numpy(), rtol=1e-10)
    for a, b in zip(gx, tx):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10)
