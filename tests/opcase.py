"""The op table's row type and its two checks: gradcheck and PyTorch parity, in float64.

:class:`OpCase` describes one op: a glassnet callable, its torch twin, the input shapes to
try and where to sample inputs (domain, kinks). :func:`sample` draws those inputs;
:func:`check_gradcheck` and :func:`check_torch_parity` run the checks on one row and one
shape set. The rows themselves are in tests/optable_cases.py; import everything from
tests/optable.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

import glassnet as gn

torch.set_num_threads(1)

Shapes = tuple[tuple[int, ...], ...]

UNARY: tuple[Shapes, ...] = (((),), ((3, 4),), ((2, 3, 4),))
BINARY: tuple[Shapes, ...] = (
    ((), ()),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (3, 1)),
    ((4,), (2, 3, 4)),
    ((2, 3, 4), ()),
)
MATRIX: tuple[Shapes, ...] = (((3, 4),), ((2, 3, 4),))  # ops that need an axis to act on


@dataclass(frozen=True)
class OpCase:
    """One row: an op, its torch twin and where to sample its inputs.

    ``fn`` takes glassnet tensors, ``torch_fn`` torch tensors (None: the same callable,
    for lambdas that only use methods both libraries share). ``domain`` is one
    (low, high) for every input or one per input. Sampled elements stay ``margin`` away
    from each value in ``kinks``; ``distinct`` spreads all elements of all inputs at
    least ``margin``/n apart (for max, min and ties).
    """

    name: str
    op: str
    fn: Callable
    torch_fn: Callable | None = None
    shapes: tuple[Shapes, ...] = UNARY
    domain: tuple = (-2.0, 2.0)
    kinks: tuple[float, ...] = ()
    margin: float = 0.1
    distinct: bool = False
    broadcasts: bool = False
    no_scalar: str = ""
    gradcheck: dict = field(default_factory=dict)

    @property
    def twin(self) -> Callable:
        return self.fn if self.torch_fn is None else self.torch_fn

    def __repr__(self) -> str:
        return self.name


def sample(case: OpCase, shapes: Shapes, seed: int = 0) -> list[np.ndarray]:
    """float64 inputs of the given shapes inside the case's domain and off its kinks."""
    rng = np.random.default_rng(seed)
    domains = case.domain if isinstance(case.domain[0], tuple) else (case.domain,) * len(shapes)
    if case.distinct:
        (low, high), sizes = domains[0], [int(np.prod(s)) for s in shapes]
        n = sum(sizes)
        grid = low + (high - low) * (rng.permutation(n) + rng.uniform(0.3, 0.7, n)) / n
        parts = np.split(grid, np.cumsum(sizes)[:-1])
        return [part.reshape(s) for part, s in zip(parts, shapes)]
    arrays = []
    for (low, high), s in zip(domains, shapes):
        x = rng.uniform(low, high, s)
        for kink in case.kinks:
            near = np.abs(x - kink) < case.margin
            x = np.where(near, kink + np.where(x >= kink, 1, -1) * case.margin, x)
        arrays.append(np.asarray(x, dtype=np.float64))
    return arrays


def cases_with_shapes(cases: list[OpCase]) -> list:
    """pytest params ``(case, shapes)``, one per case and shape set, with readable ids."""
    import pytest

    return [
        pytest.param(case, shapes, id=f"{case.name}-{'·'.join(map(str, shapes))}")
        for case in cases
        for shapes in case.shapes
    ]


def check_gradcheck(case: OpCase, shapes: Shapes, seed: int = 0) -> gn.opcheck.GradcheckReport:
    """Central differences in float64 with a random upstream gradient (gn.gradcheck)."""
    report = gn.gradcheck(case.fn, *sample(case, shapes, seed), seed=seed, **case.gradcheck)
    assert report.ok and len(report.max_abs) == len(shapes)
    return report


def check_torch_parity(case: OpCase, shapes: Shapes, seed: int = 0, rtol: float = 1e-10) -> None:
    """Forward values and input gradients equal torch's in float64 (random upstream)."""
    arrays = sample(case, shapes, seed)
    xs = [gn.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, ty = case.fn(*xs), case.twin(*ts)
    assert y.dtype == np.float64 and y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=rtol, atol=1e-12)
    grad_y = np.random.default_rng(seed + 1).standard_normal(y.shape)
    y.backward(grad_y)
    ty.backward(torch.from_numpy(grad_y))
    for i, (x, t) in enumerate(zip(xs, ts)):
        expected = np.zeros(x.shape) if t.grad is None else t.grad.numpy()
        assert x.grad is not None and x.grad.shape == x.shape, f"input {i}"
        np.testing.assert_allclose(x.grad, expected, rtol=rtol, atol=1e-12, err_msg=f"input {i}")


def pattern(shape: tuple) -> np.ndarray:
    """A fixed boolean mask with True and False in every shape larger than one element."""
    return np.asarray(np.arange(int(np.prod(shape))).reshape(shape) % 3 != 1)
