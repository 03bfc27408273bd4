"""Losses: forward values and gradients against torch.nn.functional in float64, gradcheck
on the fused kernels, stability for huge logits, and every error message."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import glassnet as gn
from glassnet import losses

RNG = np.random.default_rng(0)


def _glassnet(loss, prediction, target, upstream):
    a = gn.tensor(prediction, dtype=np.float64, requires_grad=True)
    value = loss(a, target)
    value.backward(np.asarray(upstream))
    return value.item(), a.grad


def _torch(fn, prediction, target, upstream):
    a = torch.tensor(prediction, dtype=torch.float64, requires_grad=True)
    value = fn(a, target)
    (value * upstream).backward()
    return value.item(), a.grad.numpy()


def _compare(loss, fn, prediction, target, torch_target=None):
    upstream = float(RNG.normal())
    torch_target = torch.as_tensor(target) if torch_target is None else torch_target
    ours, grad = _glassnet(loss, prediction, target, upstream)
    theirs, torch_grad = _torch(fn, prediction, torch_target, upstream)
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(grad, torch_grad, rtol=1e-10, atol=1e-14)
    return abs(ours - theirs), float(np.abs(grad - torch_grad).max())


def _labels(n, c):
    return RNG.integers(0, c, n)


def test_mse_and_mae_match_torch():
    a, y = RNG.normal(size=(8, 3)), RNG.normal(size=(8, 3))
    _compare(losses.MSE(), F.mse_loss, a, y)
    _compare(losses.MAE(), F.l1_loss, a, y)


def test_quadratic_cost_is_half_the_squared_norm_over_batch_size():
    a, y = RNG.normal(size=(5, 4)), RNG.normal(size=(5, 4))
    _compare(losses.QuadraticCost(), lambda p, t: ((p - t) ** 2).sum() / (2 * 5), a, y)
    by_hand = sum(np.sum((y[i] - a[i]) ** 2) for i in range(5)) / (2 * 5)
    assert losses.QuadraticCost()(gn.tensor(a, dtype=np.float64), y).item() == pytest.approx(
        by_hand, rel=1e-13
    )


def test_binary_cross_entropy_matches_torch_from_probabilities_and_logits():
    z, y = RNG.normal(size=(6, 2)), RNG.integers(0, 2, (6, 2)).astype(float)
    p = 1 / (1 + np.exp(-z))
    _compare(losses.BinaryCrossEntropy(), F.binary_cross_entropy, p, y)
    _compare(losses.BinaryCrossEntropy(from_logits=True), F.binary_cross_entropy_with_logits, z, y)
    soft = RNG.uniform(size=(6, 2))
    _compare(
        losses.BinaryCrossEntropy(from_logits=True), F.binary_cross_entropy_with_logits, z, soft
    )


def test_cross_entropy_from_logits_matches_torch_for_labels_and_one_hot():
    z, y = RNG.normal(size=(7, 4)) * 3, _labels(7, 4)
    _compare(losses.CrossEntropy(), F.cross_entropy, z, y)
    one_hot = np.eye(4)[y]
    _compare(losses.CrossEntropy(), F.cross_entropy, z, one_hot)
    soft = RNG.dirichlet(np.ones(4), size=7)
    _compare(losses.CrossEntropy(), F.cross_entropy, z, soft)


def test_cross_entropy_from_probabilities_matches_torch_nll_of_log():
    z, y = RNG.normal(size=(7, 4)), _labels(7, 4)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    loss = losses.CrossEntropy(from_logits=False)
    _compare(loss, lambda q, t: F.nll_loss(torch.log(q), t), p, y)
    one_hot = np.eye(4)[y]
    _compare(loss, lambda q, t: F.nll_loss(torch.log(q), t.argmax(1)), p, one_hot)


@pytest.mark.parametrize(
    "loss, target",
    [
        (losses.MSE(), "same"),
        (losses.MAE(), "same"),
        (losses.QuadraticCost(), "same"),
        (losses.BinaryCrossEntropy(), "binary"),
        (losses.BinaryCrossEntropy(from_logits=True), "binary"),
        (losses.CrossEntropy(), "labels"),
        (losses.CrossEntropy(), "one_hot"),
    ],
    ids=["mse", "mae", "quadratic", "bce", "bce_logits", "ce_labels", "ce_one_hot"],
)
def test_fused_kernels_pass_gradcheck(loss, target):
    x = RNG.uniform(0.1, 0.9, size=(5, 3))
    y = {
        "same": RNG.normal(size=(5, 3)),
        "binary": RNG.integers(0, 2, (5, 3)).astype(float),
        "labels": _labels(5, 3),
        "one_hot": np.eye(3)[_labels(5, 3)],
    }[target]
    assert gn.gradcheck(lambda a: loss(a, y), x).ok


def test_huge_logits_stay_finite_and_match_torch():
    z = np.array([[1e4, -1e4, 0.0], [-5e3, 5e3, 2e3]])
    y = np.array([1, 1])
    _compare(losses.CrossEntropy(), F.cross_entropy, z, y)
    zb, yb = np.array([[1e4], [-1e4], [30.0]]), np.array([[0.0], [1.0], [1.0]])
    _compare(
        losses.BinaryCrossEntropy(from_logits=True), F.binary_cross_entropy_with_logits, zb, yb
    )


def test_saturated_probabilities_are_clipped_not_infinite():
    value = losses.BinaryCrossEntropy()(gn.tensor([[1.0], [0.0]]), [[0.0], [1.0]])
    assert np.isfinite(value.item()) and value.item() > 10


def test_float32_in_float32_out():
    z = gn.tensor(RNG.normal(size=(4, 3)), dtype=np.float32, requires_grad=True)
    value = losses.CrossEntropy()(z, np.array([0, 1, 2, 0]))
    value.backward()
    assert value.dtype == np.float32 and z.grad.dtype == np.float32


def test_targets_n_against_predictions_n_by_1_are_laid_out_as_a_column():
    a = gn.tensor([[1.0], [2.0], [4.0]])
    assert losses.MSE()(a, np.array([1.0, 2.0, 3.0])).item() == pytest.approx(1 / 3)


def test_cross_entropy_accepts_float_labels_with_integer_values():
    z = RNG.normal(size=(3, 4))
    as_float = losses.CrossEntropy()(gn.tensor(z, dtype=np.float64), np.array([0.0, 3.0, 1.0]))
    as_int = losses.CrossEntropy()(gn.tensor(z, dtype=np.float64), np.array([0, 3, 1]))
    assert as_float.item() == as_int.item()


@pytest.mark.parametrize(
    "target, pattern",
    [
        (np.array([[0], [1], [2]]), r"labels shaped \(N, 1\) are ambiguous.*hint: flatten them"),
        (np.array([0, 4, 1]), r"labels must lie in \[0, 4\).*labels from 0 to 4"),
        (np.array([-1, 0, 1]), r"labels must lie in \[0, 4\).*labels from -1 to 1"),
        (np.eye(3)[[0, 1, 2]], r"one-hot targets have 3 columns but the prediction has 4"),
        (np.array([0.5, 0.2, 0.3]), r"1-D target must hold integer class labels.*0.5"),
        (np.array([0, 1]), r"does not match the batch.*target.shape=\(2,\)"),
        (
            np.array([[0, 1, 2, 3]] * 3),
            r"2-D target must hold one-hot or probability rows.*row 0 = \[0, 1, 2, 3\] \(sum 6\)"
            r".*hint: integer class labels go in a 1-D array",
        ),
        (
            np.array([[1.5, -0.5, 0, 0]] * 3),
            r"probability rows.*row 0 = \[1\.5, -0\.5, 0, 0\] \(sum 1\)",
        ),
    ],
    ids=[
        "n_by_1",
        "too_large",
        "negative",
        "one_hot_width",
        "probabilities_1d",
        "batch",
        "labels_as_matrix",
        "negative_row",
    ],
)
def test_cross_entropy_target_errors_say_what_was_given_and_expected(target, pattern):
    with pytest.raises(gn.ShapeError, match=f"(?s){pattern}") as info:
        losses.CrossEntropy()(gn.tensor(np.zeros((3, 4))), target)
    assert "expected integer labels of shape (3,) with values in [0, 4)" in str(info.value)


def test_cross_entropy_rejects_string_labels_and_1d_predictions():
    with pytest.raises(gn.DTypeError, match="labels must be numbers. Got dtype <U1"):
        losses.CrossEntropy()(gn.zeros((2, 3)), np.array(["a", "b"]))
    with pytest.raises(
        gn.ShapeError, match=r"(?s)batch of class scores.*\(N, C\).*BinaryCrossEntropy"
    ):
        losses.CrossEntropy()(gn.zeros(3), np.array([0, 1, 1]))


def test_shape_mismatch_and_bad_binary_targets():
    with pytest.raises(
        gn.ShapeError, match=r"(?s)MSE: the target's shape.*\(3, 2\).*one value per network output"
    ):
        losses.MSE()(gn.zeros((3, 1)), np.zeros((3, 2)))
    with pytest.raises(gn.ShapeError, match=r"targets must be probabilities.*from 0 to 2"):
        losses.BinaryCrossEntropy()(gn.zeros((3, 1)), np.array([[0.0], [1.0], [2.0]]))
    with pytest.raises(gn.ConfigError, match=r"eps must be in \(0, 0.5\)"):
        losses.BinaryCrossEntropy(eps=0)
    with pytest.raises(gn.ConfigError, match=r"eps must be in \(0, 0.5\)"):
        losses.CrossEntropy(eps=1.0)


@pytest.mark.parametrize("loss", [losses.MSE(), losses.BinaryCrossEntropy(), losses.MAE()])
def test_integer_labels_given_to_a_loss_that_wants_one_hot_rows_get_a_hint(loss):
    pattern = (
        r"(?s)target.shape=\(3,\); expected \(3, 4\).*"
        r"hint: these look like integer class labels; use CrossEntropy.*one_hot\(y, 4\)"
    )
    with pytest.raises(gn.ShapeError, match=pattern):
        loss(gn.zeros((3, 4)), np.array([0, 3, 1]))
    with pytest.raises(gn.ShapeError, match="one value per network output"):
        loss(gn.zeros((3, 4)), np.array([0.5, 3, 1]))  # not labels: the generic hint


def test_get_resolves_names_classes_and_instances():
    for name, cls in [
        ("mse", losses.MSE),
        ("quadratic", losses.QuadraticCost),
        ("mae", losses.MAE),
        ("binary_cross_entropy", losses.BinaryCrossEntropy),
        ("cross_entropy", losses.CrossEntropy),
    ]:
        loss = losses.get(name)
        assert type(loss) is cls and loss.name == name
        assert type(losses.get(loss.name, **loss.get_config())) is cls
    ce = losses.CrossEntropy(from_logits=False)
    assert losses.get(ce) is ce
    assert losses.get("BCE", from_logits=True).from_logits
    assert isinstance(losses.get(losses.MAE), losses.MAE)
    with pytest.raises(gn.ConfigError, match=r"unknown loss 'hinge'.*one of"):
        losses.get("hinge")
    with pytest.raises(gn.ConfigError, match=r"cannot make a loss from this. Got int"):
        losses.get(3)


def test_docstring_examples_run():
    import doctest

    assert doctest.testmod(losses, raise_on_error=True).attempted >= 2
