"""The image-op settings PyTorch users reach for, in the op table format (tests/optable.py):
grouped and depthwise convolution, asymmetric (4-tuple) and negative padding,
conv_transpose2d; float64 gradcheck and PyTorch parity with a random upstream gradient.
The reference convolution is kept equal to the fast one for groups."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from optable import OpCase, cases_with_shapes, check_gradcheck, check_torch_parity

import glassnet as gn
from glassnet.errors import ConfigError, ShapeError

IMAGES = "images are 4-D (N, C, H, W); there is no scalar case"


def _conv(padding=0, stride=1, groups=1, dilation=1):
    """conv2d; a 4-tuple padding (left, right, top, bottom) is F.pad's, then a valid conv."""

    def gn_fn(x, w, b):
        return gn.ops.conv2d(x, w, b, stride, padding, dilation, groups)

    def torch_fn(x, w, b):
        if isinstance(padding, tuple):
            return F.conv2d(F.pad(x, padding), w, b, stride, 0, dilation, groups)
        return F.conv2d(x, w, b, stride, padding, dilation, groups)

    return gn_fn, torch_fn


def _conv_case(shapes, **settings) -> OpCase:
    name = "conv2d " + " ".join(f"{k}={v}" for k, v in settings.items())
    return OpCase(name, "conv2d", *_conv(**settings), shapes=shapes, no_scalar=IMAGES)


GROUPED = (((2, 4, 6, 5), (6, 2, 3, 3), (6,)), ((1, 6, 5, 5), (8, 3, 3, 2), (8,)))
DEPTHWISE = (((2, 3, 6, 5), (6, 1, 3, 3), (6,)),)  # groups = C, two kernels per channel
PLAIN = (((2, 3, 7, 6), (4, 3, 3, 3), (4,)),)
CONV_OPS = [
    _conv_case(GROUPED, groups=2, padding=1),
    _conv_case(GROUPED, groups=2, stride=2, dilation=1),
    _conv_case((((1, 6, 5, 5), (6, 2, 3, 3), (6,)),), groups=3),
    _conv_case(DEPTHWISE, groups=3, padding=1),
    _conv_case(DEPTHWISE, groups=3, stride=2, dilation=2, padding=2),
    _conv_case(PLAIN, padding=(1, 2, 0, 3)),
    _conv_case(PLAIN, padding=(-1, 2, 1, -2), stride=2),
    _conv_case(GROUPED, padding=(0, 1, -1, 0), groups=2),
]


def _transpose_case(shapes, **settings) -> OpCase:
    return OpCase(
        "conv_transpose2d " + " ".join(f"{k}={v}" for k, v in settings.items()),
        "conv_transpose2d",
        lambda x, w, b: gn.ops.conv_transpose2d(x, w, b, **settings),
        lambda x, w, b: F.conv_transpose2d(x, w, b, **settings),
        shapes=shapes,
        no_scalar=IMAGES,
    )


TRANSPOSE = (((2, 3, 4, 5), (3, 4, 3, 3), (4,)), ((1, 2, 3, 3), (2, 3, 2, 3), (3,)))
TRANSPOSE_OPS = [
    _transpose_case(TRANSPOSE),
    _transpose_case(TRANSPOSE, stride=2, padding=1, output_padding=1),
    _transpose_case(TRANSPOSE, stride=(2, 3), dilation=2, output_padding=(1, 0)),
    _transpose_case((((2, 4, 3, 4), (4, 3, 3, 2), (6,)),), stride=2, groups=2),
]

HABIT_CNN_OPS = CONV_OPS + TRANSPOSE_OPS


@pytest.mark.parametrize("case, shapes", cases_with_shapes(HABIT_CNN_OPS))
def test_image_op_setting_matches_torch(case, shapes):
    check_torch_parity(case, shapes)


@pytest.mark.parametrize("case, shapes", cases_with_shapes(HABIT_CNN_OPS))
def test_image_op_setting_gradcheck(case, shapes):
    check_gradcheck(case, shapes)


@pytest.mark.parametrize(
    "shapes, settings",
    [
        (GROUPED[0], {"groups": 2, "padding": 1}),
        (DEPTHWISE[0], {"groups": 3, "stride": 2}),
        (PLAIN[0], {"padding": (-1, 2, 1, -2)}),
    ],
)
def test_reference_conv_equals_the_fast_one(shapes, settings):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    fast = [gn.tensor(a, requires_grad=True) for a in arrays]
    slow = [gn.tensor(a, requires_grad=True) for a in arrays]
    y, y_ref = gn.ops.conv2d(*fast, **settings), gn.ops.conv2d_reference(*slow, **settings)
    grad_y = rng.standard_normal(y.shape)
    y.backward(grad_y)
    y_ref.backward(grad_y)
    np.testing.assert_allclose(y.numpy(), y_ref.numpy(), atol=1e-12)
    for u, v in zip(fast, slow):
        np.testing.assert_allclose(u.grad, v.grad, atol=1e-12)


def test_conv_transpose_is_the_adjoint_of_conv():
    """⟨conv2d(x, w), g⟩ = ⟨x, conv_transpose2d(g, w)⟩ for every x and g."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3))
    y = gn.ops.conv2d(x, w, stride=2, padding=1)
    g = rng.standard_normal(y.shape)
    back = gn.ops.conv_transpose2d(g, w, stride=2, padding=1, output_padding=(0, 1))
    assert back.shape == x.shape
    np.testing.assert_allclose(np.vdot(y.numpy(), g), np.vdot(x, back.numpy()), rtol=1e-12)


def test_layers_match_torch_modules():
    torch.manual_seed(0)
    tconv = torch.nn.Conv2d(4, 6, 3, padding=1, groups=2).double()
    tup = torch.nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
    tup = tup.double()
    conv = gn.nn.Conv2D(4, 6, 3, padding=1, groups=2, dtype=np.float64)
    up = gn.nn.Conv2DTranspose(6, 4, 3, 2, 1, 1, groups=2, dtype=np.float64)
    for mine, theirs in ((conv, tconv), (up, tup)):
        assert mine.w.shape == tuple(theirs.weight.shape)
        mine.load_state_dict(
            {"w": theirs.weight.detach().numpy(), "b": theirs.bias.detach().numpy()}
        )
    x = np.random.default_rng(2).standard_normal((2, 4, 5, 5))
    y = up(conv(x))
    assert y.shape == (2, 4, 10, 10)
    np.testing.assert_allclose(
        y.numpy(), tup(tconv(torch.from_numpy(x))).detach().numpy(), atol=1e-12
    )


def test_an_autoencoder_with_conv_transpose_trains_and_saves(tmp_path):
    x = np.random.default_rng(0).random((16, 1, 8, 8)).astype(np.float32)
    model = gn.Sequential(
        gn.nn.Conv2D(1, 4, 3, stride=2, padding=1, seed=0), gn.nn.ReLU(),
        gn.nn.Conv2DTranspose(4, 1, 3, stride=2, padding=1, output_padding=1, seed=1),
    )  # fmt: skip
    model.compile(gn.optim.Adam(lr=0.02), "mse")
    history = model.fit(x, x, epochs=15, batch_size=8, verbose=0, seed=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    model.save(tmp_path / "ae.gn")
    np.testing.assert_array_equal(gn.load_model(tmp_path / "ae.gn").predict(x), model.predict(x))


def test_setting_errors():
    x, w = gn.zeros((1, 4, 5, 5)), gn.zeros((6, 2, 3, 3))
    with pytest.raises(ConfigError, match=r"conv2d: groups must divide both.*Got groups=3"):
        gn.ops.conv2d(x, w, groups=3)
    with pytest.raises(ShapeError, match=r"kernels expect 8 \(4 groups of 2\)"):
        gn.ops.conv2d(x, gn.zeros((8, 2, 3, 3)), groups=4)
    with pytest.raises(ConfigError, match="padding must be 'valid', 'same', an int, a pair"):
        gn.ops.conv2d(x, w, padding=(1, 2, 3), groups=2)
    with pytest.raises(ConfigError, match="Conv2D: groups must divide"):
        gn.nn.Conv2D(4, 5, 3, groups=2)
    with pytest.raises(ConfigError, match="output_padding must be smaller than the stride"):
        gn.ops.conv_transpose2d(x, gn.zeros((4, 2, 3, 3)), stride=2, output_padding=2)
    with pytest.raises(ShapeError, match=r"x has 4 channels but w holds kernels for 3"):
        gn.ops.conv_transpose2d(x, gn.zeros((3, 2, 3, 3)))
    with pytest.raises(ShapeError, match="the padding removes the whole output"):
        gn.ops.conv_transpose2d(gn.zeros((1, 4, 1, 1)), gn.zeros((4, 2, 1, 1)), padding=1)
    with pytest.raises(ShapeError, match="one value per output channel"):
        gn.ops.conv_transpose2d(x, gn.zeros((4, 2, 3, 3)), gn.zeros(3))


def _pool_case(kind, shapes=(((2, 3, 7, 6),), ((1, 2, 5, 5),)), **settings) -> OpCase:
    gn_op = {"max": gn.ops.max_pool2d, "avg": gn.ops.avg_pool2d}[kind]
    torch_op = {"max": F.max_pool2d, "avg": F.avg_pool2d}[kind]
    return OpCase(
        f"{kind}_pool2d " + " ".join(f"{k}={v}" for k, v in settings.items()),
        f"{kind}_pool2d",
        lambda x: gn_op(x, **settings),
        lambda x: torch_op(x, **settings),
        shapes=shapes,
        distinct=kind == "max",
        no_scalar=IMAGES,
    )


POOL_OPS = [
    _pool_case("max", kernel_size=3, stride=2, padding=1, ceil_mode=True),
    _pool_case("max", kernel_size=2, ceil_mode=True),
    _pool_case("max", kernel_size=2, dilation=2),
    _pool_case("max", kernel_size=(3, 2), stride=1, padding=1, dilation=(2, 1), ceil_mode=True),
    _pool_case("avg", kernel_size=3, stride=2, padding=1, ceil_mode=True),
    _pool_case("avg", kernel_size=2, ceil_mode=True),
    _pool_case("avg", kernel_size=3, stride=2, padding=1, count_include_pad=False),
    _pool_case("avg", kernel_size=(3, 2), stride=2, padding=1, ceil_mode=True,
               count_include_pad=False),
]  # fmt: skip


@pytest.mark.parametrize("case, shapes", cases_with_shapes(POOL_OPS))
def test_pool_setting_matches_torch(case, shapes):
    check_torch_parity(case, shapes)


@pytest.mark.parametrize("case, shapes", cases_with_shapes(POOL_OPS))
def test_pool_setting_gradcheck(case, shapes):
    check_gradcheck(case, shapes)


@pytest.mark.parametrize(
    "settings",
    [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
     {"kernel_size": 2, "dilation": 2, "stride": 1}],
)  # fmt: skip
def test_max_pool_return_indices_match_torch(settings):
    # integers: many ties, which must pick the same (first) element as torch
    x = np.random.default_rng(0).integers(0, 3, (2, 3, 7, 6)).astype(np.float64)
    y, index = gn.ops.max_pool2d(x, **settings, return_indices=True)
    ty, tindex = F.max_pool2d(torch.from_numpy(x), **settings, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    assert index.dtype == np.int64 and not index.requires_grad
    np.testing.assert_array_equal(index.numpy(), tindex.numpy())


def test_pool_layers_take_the_options_like_torch():
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    pairs = [
        (gn.nn.MaxPool2D(3, 2, 1, dilation=1, ceil_mode=True),
         torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
        (gn.nn.MaxPool2D(2, 1, dilation=2), torch.nn.MaxPool2d(2, 1, dilation=2)),
        (gn.nn.AvgPool2D(3, 2, 1, ceil_mode=True, count_include_pad=False),
         torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)),
    ]  # fmt: skip
    for mine, theirs in pairs:
        np.testing.assert_allclose(mine(x).numpy(), theirs(torch.from_numpy(x)).numpy())
    with pytest.raises(ConfigError, match=r"AvgPool2D: unknown option\. Got return_indices"):
        gn.nn.AvgPool2D(2, return_indices=True)
