"""Every op in the table matches PyTorch in float64: forward values and input gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from optable import OPS, cases_with_shapes, check_torch_parity

import glassnet as gn


@pytest.mark.parametrize("case, shapes", cases_with_shapes(OPS))
def test_torch_parity(case, shapes):
    check_torch_parity(case, shapes)


KINKS = [
    ("abs at 0", lambda x: abs(x), torch.abs, [[-1.0, 0.0, 2.0]]),
    ("relu at 0", lambda x: x.relu(), torch.relu, [[-1.0, 0.0, 2.0]]),
    (
        "leaky_relu at 0",
        lambda x: gn.ops.leaky_relu(x, 0.1),
        lambda x: F.leaky_relu(x, 0.1),
        [[-1.0, 0.0, 2.0]],
    ),
    (
        "clip at its bounds",
        lambda x: x.clip(-0.5, 0.5),
        lambda x: x.clamp(-0.5, 0.5),
        [[-1.0, -0.5, 0.0, 0.5, 1.0]],
    ),
    ("maximum tie", gn.ops.maximum, torch.maximum, [[1.0, 2.0, 3.0], [1.0, 5.0, 3.0]]),
    ("minimum tie", gn.ops.minimum, torch.minimum, [[1.0, 2.0, 3.0], [1.0, 5.0, 3.0]]),
    ("max tie", lambda x: x.max(1), lambda x: x.amax(1), [[[3.0, 1.0, 3.0], [0.0, 2.0, 2.0]]]),
    ("min tie all", lambda x: x.min(), lambda x: x.amin(), [[[1.0, 1.0, 3.0], [1.0, 2.0, 2.0]]]),
]


@pytest.mark.parametrize("name, fn, twin, values", KINKS, ids=[k[0] for k in KINKS])
def test_kinks_and_ties_follow_torch(name, fn, twin, values):
    xs = [gn.tensor(v, dtype=np.float64, requires_grad=True) for v in values]
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    y, ty = fn(*xs), twin(*ts)
    grad_y = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(grad_y)
    ty.backward(torch.from_numpy(grad_y))
    np.testing.assert_allclose(y.data, ty.detach().numpy())
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)
