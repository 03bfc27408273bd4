"""Layers against their torch.nn twins in float64: forward values and input/parameter
gradients under a random upstream gradient."""

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn

RNG = np.random.default_rng(0)


def _backward_both(ours_out, theirs_out):
    upstream = RNG.normal(size=ours_out.shape)
    ours_out.backward(upstream)
    theirs_out.backward(torch.from_numpy(upstream))


def _input(shape):
    x = RNG.normal(size=shape)
    return gn.tensor(x, dtype=np.float64, requires_grad=True), torch.tensor(x, requires_grad=True)


@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_matches_linear(use_bias):
    layer = nn.Dense(5, 3, use_bias=use_bias, seed=0, dtype=np.float64)
    twin = torch.nn.Linear(5, 3, bias=use_bias, dtype=torch.float64)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.w.data.T))  # torch stores (out, in)
        if use_bias:
            layer.b.data[:] = RNG.normal(size=3)
            twin.bias.copy_(torch.from_numpy(layer.b.data))
    x, tx = _input((4, 5))
    y, ty = layer(x), twin(tx)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-13, atol=1e-14)
    _backward_both(y, ty)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.w.grad, twin.weight.grad.numpy().T, rtol=1e-12, atol=1e-14)
    if use_bias:
        np.testing.assert_allclose(layer.b.grad, twin.bias.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (nn.ReLU(), torch.nn.ReLU()),
        (nn.LeakyReLU(), torch.nn.LeakyReLU()),
        (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        (nn.Sigmoid(), torch.nn.Sigmoid()),
        (nn.Tanh(), torch.nn.Tanh()),
        (nn.Identity(), torch.nn.Identity()),
        (nn.Softmax(), torch.nn.Softmax(dim=-1)),
        (nn.Softmax(axis=0), torch.nn.Softmax(dim=0)),
        (nn.Flatten(), torch.nn.Flatten()),
    ],
    ids=lambda m: repr(m),
)
def test_parameter_free_layers_match_torch(ours, theirs):
    x, tx = _input((4, 3, 2))
    y, ty = ours(x), theirs(tx)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-13, atol=1e-15)
    _backward_both(y, ty)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_dropout_in_eval_is_the_identity_like_torch():
    layer, twin = nn.Dropout(0.3, seed=0).eval(), torch.nn.Dropout(0.3).eval()
    x, tx = _input((6, 4))
    y, ty = layer(x), twin(tx)
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    _backward_both(y, ty)
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())


def test_dropout_in_training_drops_p_and_rescales_like_torch():
    p = 0.25
    layer = nn.Dropout(p, seed=1)
    x = gn.tensor(np.ones((200, 500)), dtype=np.float64, requires_grad=True)
    y = layer(x)
    kept = y.data != 0
    assert abs(1 - kept.mean() - p) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / (1 - p))  # torch scales survivors the same
    torch_y = torch.nn.Dropout(p)(torch.ones(200, 500, dtype=torch.float64))
    assert set(np.unique(torch_y.numpy())) == set(np.unique(y.data))
    upstream = RNG.normal(size=y.shape)
    y.backward(upstream)
    np.testing.assert_allclose(x.grad, upstream * y.data)  # mask / (1 − p) times dL/dy


def test_dropout_is_reproducible_from_its_seed():
    x = np.ones((8, 8), np.float32)
    first = nn.Dropout(0.5, seed=3)(x).data
    np.testing.assert_array_equal(first, nn.Dropout(0.5, seed=3)(x).data)
    assert not np.array_equal(first, nn.Dropout(0.5, seed=4)(x).data)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x)


def test_a_small_mlp_matches_torch_end_to_end():
    ours = nn.Sequential(
        [
            nn.Dense(4, 6, seed=0, dtype=np.float64),
            nn.Tanh(),
            nn.Dense(6, 3, seed=1, dtype=np.float64),
        ]
    )
    twin = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3)
    ).double()
    with torch.no_grad():
        for ours_dense, theirs in ((ours[0], twin[0]), (ours[2], twin[2])):
            theirs.weight.copy_(torch.from_numpy(ours_dense.w.data.T))
            theirs.bias.copy_(torch.from_numpy(ours_dense.b.data))
    x = RNG.normal(size=(5, 4))
    labels = np.array([0, 2, 1, 1, 0])
    loss = gn.losses.CrossEntropy()(ours(x), labels)
    torch_loss = torch.nn.functional.cross_entropy(
        twin(torch.from_numpy(x)), torch.from_numpy(labels)
    )
    loss.backward()
    torch_loss.backward()
    assert loss.item() == pytest.approx(torch_loss.item(), rel=1e-13)
    for name, p in ours.named_parameters():
        index, kind = name.split(".")
        theirs = getattr(twin[int(index)], "weight" if kind == "w" else "bias").grad.numpy()
        np.testing.assert_allclose(
            p.grad, theirs.T if kind == "w" else theirs, rtol=1e-11, atol=1e-15
        )
