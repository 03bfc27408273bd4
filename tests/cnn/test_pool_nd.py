"""The N-d pools in the op table format (tests/optable.py): max_pool1d/3d, avg_pool1d/3d,
four-side (asymmetric, wide, negative) padding and the average's dilation, each with a
float64 gradcheck and PyTorch parity (forward and backward, random upstream gradient).

PyTorch's twins: F.max_poolNd / F.avg_poolNd; the explicit sides are F.pad (with −∞ for
max, zeros for the average: count_include_pad's meaning) and then an unpadded pool; the
dilated average is a dilated convolution with a ones kernel divided by the window size.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from optable import OpCase, cases_with_shapes, check_gradcheck, check_torch_parity

import glassnet as gn
from glassnet.errors import ConfigError, ShapeError

NO_SCALAR = "pools read (N, C, *spatial) batches; there is no scalar case"
SIGNALS = (((2, 3, 11),), ((1, 2, 6),))
VOLUMES = (((2, 2, 5, 6, 4),), ((1, 1, 4, 4, 5),))
IMAGES = (((2, 3, 7, 6),), ((1, 2, 6, 6),))


def _case(name, gn_fn, torch_fn, shapes, kind) -> OpCase:
    return OpCase(name, name.split()[0], gn_fn, torch_fn, shapes=shapes,
                  distinct=kind == "max", no_scalar=NO_SCALAR)  # fmt: skip


def _native(rank, kind, shapes, **settings) -> OpCase:
    gn_op = getattr(gn.ops, f"{kind}_pool{rank}d")
    torch_op = getattr(F, f"{kind}_pool{rank}d")
    name = f"{kind}_pool{rank}d " + " ".join(f"{k}={v}" for k, v in settings.items())
    return _case(name, lambda x: gn_op(x, **settings), lambda x: torch_op(x, **settings),
                 shapes, kind)  # fmt: skip


def _sides(rank, kind, shapes, padding, **settings) -> OpCase:
    """Explicit sides (F.pad's order): torch pads, then pools without padding."""
    gn_op = getattr(gn.ops, f"{kind}_pool{rank}d")
    torch_op = getattr(F, f"{kind}_pool{rank}d")
    fill = -np.inf if kind == "max" else 0.0

    def torch_fn(x):
        return torch_op(F.pad(x, padding, value=fill), **settings)

    name = f"{kind}_pool{rank}d padding={padding} " + " ".join(f"{k}={v}" for k, v in
                                                              settings.items())  # fmt: skip
    return _case(name, lambda x: gn_op(x, padding=padding, **settings), torch_fn, shapes, kind)


def _dilated_avg(kernel, stride, dilation, padding=0) -> OpCase:
    def torch_fn(x):
        n, c = x.shape[:2]
        ones = torch.ones((1, 1, *kernel), dtype=x.dtype) / float(np.prod(kernel))
        y = F.conv2d(x.reshape(n * c, 1, *x.shape[2:]), ones, None, stride, padding, dilation)
        return y.reshape(n, c, *y.shape[2:])

    name = f"avg_pool2d kernel={kernel} stride={stride} dilation={dilation} padding={padding}"
    return _case(name, lambda x: gn.ops.avg_pool2d(x, kernel, stride, padding, dilation=dilation),
                 torch_fn, IMAGES, "avg")  # fmt: skip


POOL_ND_OPS = [
    _native(1, "max", SIGNALS, kernel_size=3, stride=2, padding=1, ceil_mode=True),
    _native(1, "max", SIGNALS, kernel_size=2, dilation=2, stride=1),
    _native(1, "avg", SIGNALS, kernel_size=3, stride=2, padding=1, ceil_mode=True,
            count_include_pad=False),
    _native(1, "avg", SIGNALS, kernel_size=2),
    _native(3, "max", VOLUMES, kernel_size=2),
    _native(3, "max", VOLUMES, kernel_size=(3, 2, 2), stride=(2, 1, 2), padding=(1, 0, 1),
            dilation=(1, 2, 1), ceil_mode=True),
    _native(3, "avg", VOLUMES, kernel_size=(2, 3, 2), stride=2, padding=(1, 1, 0)),
    _native(3, "avg", VOLUMES, kernel_size=2, stride=1, padding=1, count_include_pad=False,
            ceil_mode=True),
    _sides(1, "max", SIGNALS, (2, 0), kernel_size=3, stride=2),
    _sides(1, "avg", SIGNALS, (-1, 2), kernel_size=3, stride=1),
    _sides(2, "max", IMAGES, (0, 2, 1, 2), kernel_size=3, stride=2),
    _sides(2, "max", IMAGES, (-1, 1, 2, -2), kernel_size=(3, 2), stride=1),
    _sides(2, "avg", IMAGES, (2, 0, 1, 2), kernel_size=3, stride=(2, 1)),
    _sides(3, "avg", VOLUMES, (1, 0, -1, 1, 0, 1), kernel_size=2, stride=1),
    _sides(3, "max", VOLUMES, (0, 1, 1, 0, 1, 1), kernel_size=2, stride=2),
    _dilated_avg((2, 2), 1, 2),
    _dilated_avg((3, 2), (2, 1), (1, 2), padding=(1, 1)),
]  # fmt: skip


@pytest.mark.parametrize("case, shapes", cases_with_shapes(POOL_ND_OPS))
def test_pool_nd_matches_torch(case, shapes):
    check_torch_parity(case, shapes)


@pytest.mark.parametrize("case, shapes", cases_with_shapes(POOL_ND_OPS))
def test_pool_nd_gradcheck(case, shapes):
    check_gradcheck(case, shapes)


@pytest.mark.parametrize("rank", [1, 3])
def test_max_pool_nd_return_indices_match_torch(rank):
    shape = (2, 3, 9) if rank == 1 else (2, 2, 5, 6, 5)
    x = np.random.default_rng(0).integers(0, 3, shape).astype(np.float64)  # ties
    settings = {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}
    y, index = getattr(gn.ops, f"max_pool{rank}d")(x, **settings, return_indices=True)
    ty, tindex = getattr(F, f"max_pool{rank}d")(torch.from_numpy(x), **settings,
                                                 return_indices=True)  # fmt: skip
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    np.testing.assert_array_equal(index.numpy(), tindex.numpy())


def test_pool_nd_layers_match_torch_modules_and_save(tmp_path):
    rng = np.random.default_rng(1)
    x1, x3 = rng.standard_normal((2, 3, 10)), rng.standard_normal((2, 2, 5, 6, 5))
    pairs = [
        (gn.nn.MaxPool1D(3, 2, 1, ceil_mode=True),
         torch.nn.MaxPool1d(3, 2, 1, ceil_mode=True), x1),
        (gn.nn.AvgPool1D(2), torch.nn.AvgPool1d(2), x1),
        (gn.nn.MaxPool3D(2, 1, dilation=2), torch.nn.MaxPool3d(2, 1, dilation=2), x3),
        (gn.nn.AvgPool3D(3, 2, 1, count_include_pad=False),
         torch.nn.AvgPool3d(3, 2, 1, count_include_pad=False), x3),
    ]  # fmt: skip
    for mine, theirs, x in pairs:
        np.testing.assert_allclose(mine(x).numpy(), theirs(torch.from_numpy(x)).numpy())
    model = gn.Sequential(gn.nn.MaxPool3D(2, padding=(0, 1, 1, 0, 0, 0)), gn.nn.Flatten(),
                          gn.nn.Dense(2 * 2 * 3 * 3, 2, seed=0))  # fmt: skip
    x = rng.standard_normal((4, 2, 5, 6, 5)).astype(np.float32)
    model.save(tmp_path / "m.gn")
    np.testing.assert_array_equal(gn.load_model(tmp_path / "m.gn").predict(x), model.predict(x))
    assert "MaxPool3D(2×2×2)" in str(model.layers[0])


def test_pool_nd_errors():
    with pytest.raises(ConfigError, match=r"max_pool1d: padding may be at most half the kernel"):
        gn.ops.max_pool1d(gn.zeros((1, 1, 8)), 2, padding=2)
    with pytest.raises(ConfigError, match=r"a side's padding may be at most the dilated window"):
        gn.ops.max_pool2d(gn.zeros((1, 1, 8, 8)), 2, padding=(2, 0, 0, 0))
    with pytest.raises(ConfigError, match=r"avg_pool3d: padding must be an int, 3 ints"):
        gn.ops.avg_pool3d(gn.zeros((1, 1, 4, 4, 4)), 2, padding=(1, 1))
    with pytest.raises(ShapeError, match=r"max_pool3d: input must be \(N, C\) and 3 spatial"):
        gn.ops.max_pool3d(gn.zeros((1, 4, 4, 4)), 2)
    with pytest.raises(ShapeError, match=r"avg_pool1d: the negative padding crops a whole axis"):
        gn.ops.avg_pool1d(gn.zeros((1, 1, 3)), 1, padding=(-2, -1))
    with pytest.raises(ShapeError, match=r"max_pool1d: the 4 window does not fit"):
        gn.ops.max_pool1d(gn.zeros((1, 1, 3)), 4)
    with pytest.raises(ConfigError, match=r"MaxPool3D: kernel_size must be an int ≥ 1 or 3"):
        gn.nn.MaxPool3D((2, 2))
    with pytest.raises(ConfigError, match=r"AvgPool1D: unknown option\. Got return_indices"):
        gn.nn.AvgPool1D(2, return_indices=True)


def test_integer_max_pool_keeps_the_dtype():
    x = np.arange(25, dtype=np.uint8).reshape(1, 1, 5, 5)
    y = gn.ops.max_pool2d(x, 3, 1, 1)
    assert y.dtype == np.uint8
    np.testing.assert_array_equal(y.numpy(), F.max_pool2d(torch.from_numpy(x.astype(np.float32)),
                                                          3, 1, 1).numpy())  # fmt: skip
