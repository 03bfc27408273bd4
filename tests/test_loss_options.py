"""PyTorch's loss options, each compared with torch in float64 (forward, and the gradient
of a random upstream for the prediction AND a target that requires one) and gradchecked."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from optable import OpCase, cases_with_shapes, check_gradcheck, check_torch_parity

import glassnet as gn
from glassnet.errors import ConfigError, ShapeError

LOSS = "a loss of a batch; 'none' keeps one value per element"
LABELS = np.array([2, 0, -100, 1, 2])  # -100: ignored
LABELS_ND = np.random.default_rng(3).integers(0, 3, (2, 4, 5))
LABELS_ND[0, 1, 2] = -1
POS_WEIGHT = np.array([0.5, 2.0, 3.0])
UNIT = (0.1, 0.9)


def _ce(reduction, smoothing=0.0, labels=LABELS, ignore=-100):
    def gn_fn(z):
        loss = gn.losses.CrossEntropy(
            reduction=reduction, label_smoothing=smoothing, ignore_index=ignore
        )
        return loss(z, labels)

    def torch_fn(z):
        return F.cross_entropy(
            z, torch.from_numpy(labels), reduction=reduction, label_smoothing=smoothing,
            ignore_index=ignore,
        )  # fmt: skip

    return OpCase(
        f"cross_entropy {reduction} ls={smoothing} labels{labels.shape}",
        "cross_entropy",
        gn_fn,
        torch_fn,
        shapes=(((*labels.shape[:1], 3, *labels.shape[1:]),),),
        no_scalar=LOSS,
    )


def _elementwise(name, gn_loss, torch_fn, shapes=(((5, 3), (5, 3)),), domain=(UNIT, UNIT)):
    return OpCase(
        name, name.split()[0], lambda a, y: gn_loss(a, y), torch_fn, shapes=shapes,
        domain=domain, no_scalar=LOSS,
    )  # fmt: skip


LOSS_OPS = [_ce(red, smoothing) for red in ("mean", "sum", "none") for smoothing in (0.0, 0.2)] + [
    _ce("mean", 0.1, LABELS_ND, ignore=-1),
    _ce("none", 0.0, LABELS_ND, ignore=-1),
    OpCase(
        "cross_entropy probabilities (N, C, d1, d2) with a target gradient",
        "cross_entropy",
        # t / Σ꜀ t: sampled numbers made into probability rows, differentiably
        lambda z, t: gn.losses.CrossEntropy(label_smoothing=0.1)(z, t / t.sum(1, keepdims=True)),
        lambda z, t: F.cross_entropy(z, t / t.sum(1, keepdim=True), label_smoothing=0.1),
        shapes=(((2, 3, 4, 5), (2, 3, 4, 5)),),
        domain=((-2.0, 2.0), UNIT),
        no_scalar=LOSS,
    ),
]
for red in ("mean", "sum", "none"):
    LOSS_OPS += [
        _elementwise(
            f"bce_logits pos_weight {red}",
            gn.losses.BinaryCrossEntropy(from_logits=True, reduction=red, pos_weight=POS_WEIGHT),
            lambda z, y, r=red: F.binary_cross_entropy_with_logits(
                z, y, reduction=r, pos_weight=torch.from_numpy(POS_WEIGHT)
            ),
            domain=((-3.0, 3.0), UNIT),
        ),
        _elementwise(
            f"bce {red}",
            gn.losses.BinaryCrossEntropy(reduction=red),
            lambda p, y, r=red: F.binary_cross_entropy(p, y, reduction=r),
        ),
        _elementwise(
            f"mse {red}",
            gn.losses.MSE(reduction=red),
            lambda a, y, r=red: F.mse_loss(a, y, reduction=r),
            shapes=(((5, 3), (5, 3)), ((2, 3, 4), (2, 3, 4))),
        ),
        _elementwise(
            f"mae {red}",
            gn.losses.MAE(reduction=red),
            lambda a, y, r=red: F.l1_loss(a, y, reduction=r),
            domain=((-2.0, 0.0), (0.1, 2.0)),  # off the kink a = y
        ),
    ]


@pytest.mark.parametrize("case, shapes", cases_with_shapes(LOSS_OPS))
def test_loss_option_matches_torch(case, shapes):
    check_torch_parity(case, shapes)  # every float input requires a gradient: targets too


@pytest.mark.parametrize("case, shapes", cases_with_shapes(LOSS_OPS))
def test_loss_option_gradcheck(case, shapes):
    check_gradcheck(case, shapes)


def test_option_errors():
    with pytest.raises(ConfigError, match=r"CrossEntropy: unknown reduction 'avg'\. Got 'avg'"):
        gn.losses.CrossEntropy(reduction="avg")
    with pytest.raises(ConfigError, match="label_smoothing"):
        gn.losses.CrossEntropy(label_smoothing=1.5)
    with pytest.raises(ConfigError, match="ignore_index must be an int"):
        gn.losses.CrossEntropy(ignore_index="pad")
    with pytest.raises(ConfigError, match=r"pos_weight must be positive.*\n  hint: as PyTorch"):
        gn.losses.BinaryCrossEntropy(pos_weight=2.0)  # probabilities: no pos_weight
    with pytest.raises(ConfigError, match="pos_weight must be positive"):
        gn.losses.BinaryCrossEntropy(from_logits=True, pos_weight=[1.0, -1.0])
    z = gn.zeros((2, 3, 4))
    with pytest.raises(ShapeError, match=r"labels do not match the prediction.*expected \(2, 4\)"):
        gn.losses.CrossEntropy()(z, np.zeros((2, 3), int))
    with pytest.raises(ShapeError, match=r"labels must lie in \[0, 3\)"):
        gn.losses.CrossEntropy(ignore_index=-1)(z, np.full((2, 4), 3))
    probs = np.full((2, 3, 4), 1 / 3)
    with pytest.raises(ConfigError, match="ignore_index applies to integer labels"):
        gn.losses.CrossEntropy(ignore_index=-1)(z, probs)
    with pytest.raises(ShapeError, match="one-hot or probability rows"):
        gn.losses.CrossEntropy()(z, probs * 2)
    with pytest.raises(ShapeError, match="class scores on axis 1"):
        gn.losses.CrossEntropy(reduction="sum")(gn.zeros(3), np.zeros(3))

    class Plain(gn.losses.Loss):
        def forward(self, prediction, target):
            return (prediction * 0).sum()

    with pytest.raises(ConfigError, match="the target cannot receive a gradient"):
        Plain()(gn.zeros(2), gn.zeros(2, requires_grad=True))


def test_target_gradient_reaches_a_generator():
    """A target computed by another network (distillation) is trained through the loss."""
    teacher = gn.nn.Dense(2, 1, seed=0)
    target = teacher(np.ones((4, 2), np.float32))
    loss = gn.losses.MSE()(gn.zeros((4, 1)), target)
    loss.backward()
    np.testing.assert_allclose(teacher.b.grad, [2 * target.numpy().mean()], rtol=1e-6)
    quad = gn.tensor([[1.0], [2.0]], requires_grad=True)
    gn.losses.QuadraticCost()(gn.zeros((2, 1)), quad).backward()
    np.testing.assert_allclose(quad.grad, [[0.5], [1.0]])  # d/dy of (y − a)² / (2n)


def test_options_keep_the_default_config_and_round_trip():
    assert gn.losses.CrossEntropy().get_config() == {"from_logits": True, "eps": 1e-7}
    ce = gn.losses.CrossEntropy(reduction="sum", label_smoothing=0.1, ignore_index=-100)
    assert gn.losses.get("cross_entropy", **ce.get_config()).get_config() == ce.get_config()
    bce = gn.losses.BinaryCrossEntropy(from_logits=True, pos_weight=[1.0, 2.0])
    assert bce.get_config()["pos_weight"] == [1.0, 2.0]
    assert repr(gn.losses.MSE(reduction="none")) == "MSE(reduction='none')"


def test_segmentation_cross_entropy_trains_in_fit():
    """Per-pixel classes: a 1×1 convolution learns to label each pixel by its sign."""
    x = np.random.default_rng(0).standard_normal((32, 1, 4, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    model = gn.Sequential(gn.nn.Conv2D(1, 2, 1, seed=0))
    model.compile(gn.optim.Adam(lr=0.1), gn.losses.CrossEntropy())
    history = model.fit(x, y, epochs=20, batch_size=32, verbose=0, seed=0)
    assert history.history["loss"][-1] < 0.3 * history.history["loss"][0]


def test_slope_follows_the_options():
    """The explanations' dC/da is autograd's whenever an option changes the formula."""
    rng = np.random.default_rng(0)
    z, labels = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    for loss in (
        gn.losses.CrossEntropy(label_smoothing=0.2),
        gn.losses.CrossEntropy(reduction="sum"),
        gn.losses.BinaryCrossEntropy(from_logits=True, pos_weight=2.0),
        gn.losses.MSE(reduction="sum"),
    ):
        y = labels if isinstance(loss, gn.losses.CrossEntropy) else rng.uniform(0, 1, (4, 3))
        zt = torch.tensor(z, requires_grad=True)
        if isinstance(loss, gn.losses.CrossEntropy):
            F.cross_entropy(zt, torch.from_numpy(y), reduction=loss.reduction,
                            label_smoothing=loss.label_smoothing).backward()  # fmt: skip
        elif isinstance(loss, gn.losses.MSE):
            F.mse_loss(zt, torch.from_numpy(y), reduction="sum").backward()
        else:
            F.binary_cross_entropy_with_logits(
                zt, torch.from_numpy(y), pos_weight=torch.tensor(2.0)
            ).backward()
        np.testing.assert_allclose(loss.slope(z, y), zt.grad.numpy(), rtol=1e-10)
