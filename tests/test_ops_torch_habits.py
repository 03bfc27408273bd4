"""The ops PyTorch users reach for, in the shared op table format (tests/optable.py):
float64 gradcheck and PyTorch parity (forward and backward, random upstream gradient).

pad modes reflect/replicate/circular and negative widths, flatten(start, end),
softplus(beta); the image ops' new settings are in tests/cnn/test_cnn_torch_habits.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn.functional as F
from optable import OpCase, cases_with_shapes, check_gradcheck, check_torch_parity

import glassnet as gn
from glassnet.errors import ConfigError, ShapeError

NO_AXIS = "a scalar has no axis to pad or flatten"


def _pad_case(widths, mode, value=0.0) -> OpCase:
    """widths for the last two axes of a 4-D input, NumPy order (first axis first)."""
    flat = [w for pair in widths[::-1] for w in pair]  # F.pad: last axis first

    def torch_fn(x):
        if mode == "constant":
            return F.pad(x, flat, mode=mode, value=value)
        return F.pad(x, flat, mode=mode)

    return OpCase(
        f"pad {mode} {widths}".replace(" ", "_"),
        "pad",
        lambda x: gn.ops.pad(x, ((0, 0), (0, 0), *widths), value=value, mode=mode),
        torch_fn,
        shapes=(((2, 3, 4, 5),), ((1, 1, 3, 3),)),
        no_scalar=NO_AXIS,
    )


PAD_OPS = [_pad_case(((1, 2), (2, 0)), mode) for mode in ("reflect", "replicate", "circular")] + [
    _pad_case(((2, 2), (0, 1)), "reflect"),
    _pad_case(((-1, 2), (1, -2)), "constant", value=0.5),
    _pad_case(((-1, -1), (0, -1)), "constant"),
]

FLATTEN_OPS = [
    OpCase(
        f"flatten {start} {end}".replace(" ", "_"),
        "flatten",
        lambda x, s=start, e=end: x.flatten(s, e),
        lambda x, s=start, e=end: x.flatten(s, e),
        shapes=(((2, 3, 4, 5),), ((1, 2, 1, 3),)),
        no_scalar=NO_AXIS,
    )
    for start, end in ((1, 2), (0, -2), (2, 2), (-3, -1))
]

SOFTPLUS_OPS = [
    OpCase(
        f"softplus beta={beta}",
        "softplus",
        lambda x, b=beta: gn.ops.softplus(x, beta=b),
        lambda x, b=beta: F.softplus(x, beta=b),
        domain=(-6.0, 6.0),
    )
    for beta in (0.5, 2.0, 3)
]

HABIT_OPS = PAD_OPS + FLATTEN_OPS + SOFTPLUS_OPS


@pytest.mark.parametrize("case, shapes", cases_with_shapes(HABIT_OPS))
def test_habit_op_matches_torch(case, shapes):
    check_torch_parity(case, shapes)


@pytest.mark.parametrize("case, shapes", cases_with_shapes(HABIT_OPS))
def test_habit_op_gradcheck(case, shapes):
    check_gradcheck(case, shapes)


def test_pad_errors():
    x = gn.zeros((2, 3))
    with pytest.raises(ConfigError, match=r"pad: unknown mode 'mirror'\. Got 'mirror'"):
        gn.ops.pad(x, 1, mode="mirror")
    with pytest.raises(ShapeError, match=r"mode='reflect' can add at most 2 elements"):
        gn.ops.pad(x, ((0, 0), (3, 0)), mode="reflect")
    with pytest.raises(ConfigError, match=r"negative widths \(crops\) need mode='constant'"):
        gn.ops.pad(x, ((0, 0), (-1, 1)), mode="replicate")
    with pytest.raises(ShapeError, match="may not remove more than the axis holds"):
        gn.ops.pad(x, ((0, 0), (-2, -2)))
    with pytest.raises(ShapeError, match="integer widths"):
        gn.ops.pad(x, 1.5)


def test_flatten_and_softplus_settings():
    assert gn.ops.flatten(gn.zeros((2, 3, 4)), 1, 1).shape == (2, 3, 4)
    assert gn.nn.Flatten(0, 1)(np.zeros((2, 3, 4))).shape == (6, 4)
    assert gn.nn.Flatten().get_config() == {}
    assert gn.nn.Flatten(0, 1).get_config() == {"start_axis": 0, "end_axis": 1}
    with pytest.raises(ShapeError, match=r"flatten: end_axis comes before start_axis"):
        gn.ops.flatten(gn.zeros((2, 3, 4)), 2, 1)
    layer = gn.nn.Softplus(beta=2)
    np.testing.assert_allclose(layer(np.array([0.0])).numpy(), [np.log(2) / 2])
    assert repr(layer) == "Softplus(beta=2.0)" and layer.get_config() == {"beta": 2.0}
    with pytest.raises(ConfigError, match=r"softplus: beta must be a positive number\. Got 0"):
        gn.ops.softplus(gn.zeros(2), beta=0)
    with pytest.raises(ConfigError, match=r"Softplus: beta must be a positive number"):
        gn.nn.Softplus(beta=-1)
