"""fit(sample_weight=..., class_weight=...): Keras's weighted loss (1/m) Σᵢ wᵢ ℓᵢ, checked
against torch in float64, against the unweighted fit, and between captured and eager steps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import glassnet as gn
from glassnet import nn
from glassnet.errors import ConfigError, DataError
from glassnet.tensor import rng_from

RNG = np.random.default_rng(7)
X = RNG.normal(size=(20, 4))
LABELS = RNG.integers(0, 3, 20)
W = RNG.uniform(0.0, 2.0, 20)


def model(loss="cross_entropy", outputs=3, optimizer="sgd", capture=True):
    net = gn.Sequential([nn.Dense(4, outputs, seed=0, dtype=np.float64)])
    opt = gn.optim.SGD(lr=0.1) if optimizer == "sgd" else optimizer
    return net.compile(opt, loss, capture=capture)


def torch_twin(net):
    """A torch Linear with the Dense layer's starting weights, and its SGD."""
    weight, bias = (p.data for p in net.parameters())
    linear = torch.nn.Linear(4, weight.shape[1]).double()
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(weight.T))
        linear.bias.copy_(torch.tensor(bias))
    return linear, torch.optim.SGD(linear.parameters(), lr=0.1)


def torch_fit(net, row_loss, y, w, epochs=3, batch=8, seed=None):
    """Keras's weighted mini-batch loop in torch; with a seed, fit's shuffle order."""
    linear, opt = torch_twin(net)
    rng = rng_from(seed) if seed is not None else None
    for _ in range(epochs):
        order = rng.permutation(len(X)) if rng is not None else np.arange(len(X))
        for start in range(0, len(X), batch):
            rows = order[start : start + batch]
            opt.zero_grad()
            xb, yb, wb = (torch.tensor(a[rows]) for a in (X, y, w))
            loss = (row_loss(linear(xb), yb) * wb).sum() / len(rows)
            loss.backward()
            opt.step()
    return linear


def assert_same_weights(net, linear, tol=1e-12):
    weight, bias = (p.data for p in net.parameters())
    np.testing.assert_allclose(weight, linear.weight.detach().numpy().T, rtol=0, atol=tol)
    np.testing.assert_allclose(bias, linear.bias.detach().numpy(), rtol=0, atol=tol)


def ce_rows(out, y):
    return F.cross_entropy(out, y, reduction="none")


def test_sample_weight_cross_entropy_matches_torch_with_shuffled_rows():
    net = model()
    linear = torch_fit(net, ce_rows, LABELS, W, seed=5)
    history = net.fit(X, LABELS, epochs=3, batch_size=8, verbose=0, seed=5, sample_weight=W)
    assert_same_weights(net, linear)
    assert np.isfinite(history["loss"]).all()


def test_sample_weight_mse_matches_a_manual_weighted_mse_in_torch():
    y = RNG.normal(size=(20, 2))
    net = model("mse", outputs=2)
    linear = torch_fit(net, lambda out, t: ((out - t) ** 2).mean(dim=1), y, W)
    net.fit(X, y, epochs=3, batch_size=8, shuffle=False, verbose=0, sample_weight=W)
    assert_same_weights(net, linear)


def test_class_weight_times_sample_weight_matches_torch_for_labels_and_one_hot():
    table = {0: 0.5, 1: 3.0, 2: 1.5}
    w = W * np.array([table[c] for c in LABELS])
    for y in (LABELS, np.eye(3)[LABELS]):
        net = model()
        linear = torch_fit(net, ce_rows, LABELS, w)
        fit = dict(epochs=3, batch_size=8, shuffle=False, verbose=0)
        net.fit(X, y, **fit, sample_weight=W, class_weight=table)
        assert_same_weights(net, linear)


def test_binary_class_weight_uses_the_0_1_label_of_a_single_output():
    y = (X[:, :1] > 0).astype(np.float64)
    w = np.where(y[:, 0] == 1, 4.0, 1.0)
    net = model(gn.losses.BinaryCrossEntropy(from_logits=True), outputs=1)
    rows = lambda out, t: F.binary_cross_entropy_with_logits(out, t, reduction="none")[:, 0]  # noqa: E731
    linear = torch_fit(net, rows, y, w)
    net.fit(X, y, epochs=3, batch_size=8, shuffle=False, verbose=0, class_weight={1: 4.0})
    assert_same_weights(net, linear)


def test_weights_of_one_give_the_unweighted_fit_bit_for_bit():
    plain, ones = model(), model()
    fit = dict(epochs=3, batch_size=8, verbose=0, seed=2, validation_split=0.2)
    expected = plain.fit(X, LABELS, **fit)
    got = ones.fit(X, LABELS, **fit, sample_weight=np.ones(20), class_weight={0: 1.0})
    assert got.history == expected.history
    for a, b in zip(plain.parameters(), ones.parameters(), strict=True):
        assert np.array_equal(a.data, b.data)


def test_the_weighted_step_with_weights_of_one_is_the_mean_loss():
    y = RNG.normal(size=(20, 3))
    plain, weighted = model("mse"), model("mse")
    loss, _ = plain.train_step(X, y)
    weighted_loss, _ = weighted.train_step(X, y, np.ones(20))
    assert weighted_loss == pytest.approx(loss, rel=1e-14)
    for a, b in zip(plain.parameters(), weighted.parameters(), strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=0, atol=1e-14)


def test_validation_split_holds_out_the_weights_of_the_last_rows():
    split, cut = model(), model()
    fit = dict(batch_size=None, shuffle=False, verbose=0)
    split.fit(X, LABELS, **fit, validation_split=0.2, sample_weight=W)
    cut.fit(X[:16], LABELS[:16], **fit, sample_weight=W[:16])
    for a, b in zip(split.parameters(), cut.parameters(), strict=True):
        assert np.array_equal(a.data, b.data)


@pytest.mark.parametrize("loss", ["mse", "cross_entropy", "binary_cross_entropy"])
def test_captured_weighted_steps_replay_and_match_eager_bit_for_bit(loss):
    y = np.eye(3)[LABELS] if loss != "mse" else RNG.normal(size=(20, 3))
    runs = []
    for capture in (True, False):
        net = model(loss, optimizer="adam", capture=capture)
        history = net.fit(X, y, epochs=4, batch_size=8, verbose=0, seed=3, sample_weight=W)
        runs.append((net, history))
    (captured, first), (eager, second) = runs
    assert captured._captured["weighted"].replays > 0
    assert first.history == second.history
    for a, b in zip(captured.parameters(), eager.parameters(), strict=True):
        assert np.array_equal(a.data, b.data)


def test_integer_labels_run_eagerly_and_match_the_uncaptured_fit():
    nets = [model(capture=capture) for capture in (True, False)]
    for net in nets:
        net.fit(X, LABELS, epochs=3, batch_size=8, verbose=0, seed=1, sample_weight=W)
    for a, b in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        assert np.array_equal(a.data, b.data)


@pytest.mark.parametrize(
    ("weights", "error", "match"),
    [
        (
            dict(sample_weight=np.ones(19)),
            DataError,
            r"one weight per row of x\. Got shape \(19,\)",
        ),
        (dict(sample_weight=np.ones((20, 1))), DataError, r"expected shape \(20,\)"),
        (dict(sample_weight=["a"] * 20), DataError, r"Got not numbers"),
        (dict(sample_weight=-W), DataError, r"sample_weight must be finite and non-negative"),
        (dict(sample_weight=np.r_[np.nan, W[1:]]), DataError, r"Got nan at position 0"),
        (dict(class_weight={3: 2.0}), ConfigError, r"not a class the model outputs\. Got 3"),
        (dict(class_weight={"1": 2.0}), ConfigError, r"Got '1'; expected an int from 0 to 2"),
        (dict(class_weight={0: np.inf}), DataError, r"class_weight must be finite"),
        (dict(class_weight=[1.0, 2.0, 3.0]), ConfigError, r"class_weight must be a dict"),
    ],
)
def test_bad_weights_are_refused_before_the_first_update(weights, error, match):
    net = model()
    before = [p.data.copy() for p in net.parameters()]
    with pytest.raises(error, match=match):
        net.fit(X, LABELS, verbose=0, **weights)
    for p, old in zip(net.parameters(), before, strict=True):
        assert np.array_equal(p.data, old)


def test_weights_with_a_loader_are_refused():
    loader = gn.data.DataLoader(X, LABELS, batch_size=8)
    with pytest.raises(ConfigError, match=r"not supported with fit\(loader\)"):
        model().fit(loader, verbose=0, sample_weight=W)


def test_weights_need_a_loss_with_a_reduction():
    def mean_loss(pred, target):
        return ((pred - target) ** 2).mean()

    net = model(mean_loss)
    with pytest.raises(ConfigError, match=r"need a loss with a reduction option\. Got function"):
        net.fit(X, RNG.normal(size=(20, 3)), verbose=0, sample_weight=W)


def test_compile_refuses_a_loss_with_reduction_none():
    with pytest.raises(ConfigError, match=r"compile: the loss has reduction='none'.*MSE"):
        model(gn.losses.MSE(reduction="none"))


def test_weights_in_a_distributed_fit_are_refused_with_a_clear_message():
    from glassnet.training import sample_weights

    with pytest.raises(ConfigError, match=r"not supported with a distributed fit"):
        sample_weights.check_supported(object(), loader=False)  # a running session
    sample_weights.check_supported(None, loader=False)  # one process, arrays: allowed
