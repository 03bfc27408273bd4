"""What each loss states about itself: its slope dC/da (equal to autograd's), the cost of the
best constant prediction (equal to the loss at that prediction, and lowest nearby), what its
prediction must be; and a loss written in a test reaching explain and the doctor."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import losses

RNG = np.random.default_rng(0)
N, K = 12, 3
LABELS = np.arange(N) % K  # every class present
VALUES = RNG.normal(size=(N, K))
BITS = (RNG.random((N, K)) > 0.4).astype(np.float64)
ONE_HOT = np.eye(K)[LABELS]


def probability_rows(n: int, k: int) -> np.ndarray:
    e = np.exp(RNG.normal(size=(n, k)))
    return e / e.sum(axis=1, keepdims=True)


CASES = [  # (loss, prediction a, targets y)
    (losses.MSE(), RNG.normal(size=(N, K)), VALUES),
    (losses.QuadraticCost(), RNG.normal(size=(N, K)), VALUES),
    (losses.MAE(), RNG.normal(size=(N, K)), VALUES),
    (losses.BinaryCrossEntropy(), RNG.uniform(0.05, 0.95, (N, K)), BITS),
    (losses.BinaryCrossEntropy(from_logits=True), RNG.normal(size=(N, K)), BITS),
    (losses.CrossEntropy(), RNG.normal(size=(N, K)), LABELS),
    (losses.CrossEntropy(), RNG.normal(size=(N, K)), ONE_HOT),
    (losses.CrossEntropy(from_logits=False), probability_rows(N, K), LABELS),
]
IDS = ["mse", "quadratic", "mae", "bce", "bce-logits", "ce-labels", "ce-one-hot", "ce-probs"]


@pytest.mark.parametrize("loss, a, y", CASES, ids=IDS)
def test_the_written_slope_equals_autograd(loss, a, y):
    np.testing.assert_allclose(loss.slope(a, y), losses.autograd_slope(loss, a, y), rtol=1e-10)
    assert loss.slope_formula and "autograd" not in loss.slope_formula


def _constant(loss, y) -> np.ndarray:
    """The best constant prediction, row by row: mean, median, frequencies (or their logits)."""
    if isinstance(loss, losses.MAE):
        row = np.median(y, axis=0)
    elif isinstance(loss, losses.CrossEntropy):
        row = (y if y.ndim == 2 else np.eye(K)[y]).mean(axis=0)
        row = np.log(row) if loss.from_logits else row
    else:
        row = y.mean(axis=0)
        if isinstance(loss, losses.BinaryCrossEntropy) and loss.from_logits:
            row = np.log(row / (1 - row))
    return np.broadcast_to(row, (len(y), K)).copy()


@pytest.mark.parametrize("loss, a, y", CASES, ids=IDS)
def test_the_constant_baseline_is_the_loss_of_the_best_constant(loss, a, y):
    best = _constant(loss, y)
    baseline = loss.constant_baseline(y)
    value = lambda p: loss(gn.tensor(p, dtype=np.float64), y).item()  # noqa: E731
    assert baseline == pytest.approx(value(best), rel=1e-9)
    for step in (-0.05, 0.05):  # another constant (rows still summing to 1) costs more
        nudged = best.copy()
        nudged[:, 0] += step
        nudged[:, 1] -= step
        assert value(nudged) > baseline


def test_what_each_loss_takes_and_which_activation_it_applies_itself():
    table = {
        repr(loss): (loss.takes, loss.fused_activation, loss.class_labels) for loss, _, _ in CASES
    }
    assert table == {
        "MSE()": ("values", None, False),
        "QuadraticCost()": ("values", None, False),
        "MAE()": ("values", None, False),
        "BinaryCrossEntropy(from_logits=False, eps=1e-07)": ("probabilities", None, False),
        "BinaryCrossEntropy(from_logits=True, eps=1e-07)": ("logits", "sigmoid", False),
        "CrossEntropy(from_logits=True, eps=1e-07)": ("logits", "softmax", True),
        "CrossEntropy(from_logits=False, eps=1e-07)": ("probabilities", None, True),
    }
    assert {n for cls in losses.LOSSES for n in (cls.name, *cls.aliases)} == set(losses._BY_NAME)


# ---- a loss written in a test: one class, read by explain and the doctor ----------------------
class HalfSquares(losses.Loss):
    """C = 1/(2m) Σᵢ (aᵢ − yᵢ)²."""

    name = "half_squares"
    slope_formula = "(prediction − actual) / m   (half squares)"

    def forward(self, prediction, target):
        error = prediction - target.reshape(prediction.shape)
        return (error * error).mean() * 0.5

    def slope(self, a, y):
        return (a - y.reshape(a.shape)) / a.size

    def constant_baseline(self, y):
        return float(np.mean((y - y.mean(axis=0)) ** 2) / 2)


def net():
    return gn.Sequential([gn.nn.Dense(2, 3, seed=0), gn.nn.Tanh(), gn.nn.Dense(3, 1, seed=1)])


def test_a_new_loss_is_explained_with_its_own_slope_formula():
    e = gn.explain.weight(net(), [0.5, -1.0], [2.0], "2.w[1, 0]", loss=HalfSquares())
    assert "dL/dprediction = (prediction − actual) / m   (half squares)" in str(e)
    assert e.gradient == pytest.approx(e.autograd, rel=1e-12)  # explain checks it as well


def test_the_doctor_judges_underfitting_by_the_losss_own_baseline():
    y = RNG.normal(size=(40, 1))
    b = HalfSquares().constant_baseline(y)
    settled = {"loss": [2 * b, 1.2 * b, 0.9 * b, 0.895 * b, 0.894 * b]}
    report = gn.doctor(history=settled, y=y, loss=HalfSquares())
    assert report.kinds == ["underfitting"]
    assert report["underfitting"].numbers["baseline"] == b


def test_a_loss_that_states_nothing_gets_autograd_slopes_and_no_underfitting_check():
    class Plain(losses.Loss):
        def forward(self, prediction, target):
            return ((prediction - target.reshape(prediction.shape)) ** 2).sum()

    a, y = RNG.normal(size=(4, 1)), RNG.normal(size=(4, 1))
    np.testing.assert_allclose(Plain().slope(a, y), 2 * (a - y), rtol=1e-12)
    e = gn.explain.weight(net(), [0.5, -1.0], [2.0], "2.b[0]", loss=Plain())
    assert "from autograd (no written formula for this loss)" in " ".join(str(e).split())
    report = gn.doctor(history={"loss": [4.0, 2.0, 1.9, 1.89]}, y=y, loss=Plain())
    assert report.kinds == [] and "underfitting" not in report.checked
