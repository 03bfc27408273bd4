"""gradcheck: an op's (or any function's) autograd gradients against central differences.

The check every primitive op passes (tests/test_ops_gradcheck.py), and one a user can run
on a Function of their own: ``gn.gradcheck(lambda x: my_op(x), x0)``. For a whole model,
see :mod:`glassnet.explain.modelcheck`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glassnet import _config
from glassnet.errors import GradientCheckError, fmt_shape, message
from glassnet.tensor import Tensor, rng_from

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["GradcheckReport", "gradcheck"]


@dataclass
class GradcheckReport:
    """Per-input errors of a gradient check, one entry per input in call order.

    ``names``: each input's name (its ``.name``, else ``input i``) and shape;
    ``max_abs``: max |autograd − numerical|; ``max_rel``: max of that error divided by
    max(|numerical|, 1e-12); ``ok``: every element within ``atol + rtol·|numerical|``.
    """

    names: list[str]
    max_abs: list[float]
    max_rel: list[float]
    ok: bool

    def __str__(self) -> str:
        rows = [
            f"  {n}: max abs error {a:.3e}, max rel error {r:.3e}"
            for n, a, r in zip(self.names, self.max_abs, self.max_rel)
        ]
        return "\n".join([f"gradcheck {'passed' if self.ok else 'FAILED'}", *rows])


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    seed: int | np.random.Generator | None = 0,
    raise_on_error: bool = True,
) -> GradcheckReport:
    """Compare autograd's gradients of ``fn`` with central differences, in float64.

    With a random upstream gradient g (so a backward that ignores or transposes dL/dy is
    caught), the scalar L = Σ g ⊙ fn(inputs) has, for each input element xᵢ,

        dL/dxᵢ ≈ (L(xᵢ + ε) − L(xᵢ − ε)) / (2ε)       (error O(ε²))

    ``inputs`` are tensors, arrays or numbers; each is copied to a float64 leaf and checked.
    Returns a :class:`GradcheckReport`; unless ``raise_on_error`` is False, raises
    GradientCheckError naming every input whose gradient is off by more than
    ``atol + rtol·|numerical|`` somewhere, with the worst element.

    >>> import glassnet as gn
    >>> gn.gradcheck(lambda x: x * x, [1.0, 2.0]).ok
    True
    """
    xs = [Tensor(np.array(_data(x), dtype=np.float64), requires_grad=True) for x in inputs]
    labels = [_label(x, i) for i, x in enumerate(inputs)]
    out = fn(*xs)
    g = rng_from(seed).standard_normal(out.shape)
    out.backward(g)
    report = GradcheckReport([], [], [], True)
    failures = []
    for i, (x, label) in enumerate(zip(xs, labels)):
        analytic = np.zeros(x.shape) if x.grad is None else x.grad
        numeric = _numerical_gradient(fn, xs, i, g, eps)
        error = np.abs(analytic - numeric)
        report.names.append(f"{label} {fmt_shape(x.shape)}")
        report.max_abs.append(float(error.max(initial=0.0)))
        report.max_rel.append(float((error / np.maximum(np.abs(numeric), 1e-12)).max(initial=0)))
        if np.any(error > atol + rtol * np.abs(numeric)):
            worst = np.unravel_index(np.argmax(error), x.shape) if x.ndim else ()
            failures.append(
                message(
                    "gradcheck",
                    f"the gradient of {label} is wrong at index {worst}",
                    f"autograd {analytic[worst]:.10g}",
                    f"numerical {numeric[worst]:.10g}",
                    "check the backward of the ops this input flows through",
                )
            )
    report.ok = not failures
    if failures and raise_on_error:
        raise GradientCheckError("\n".join(failures))
    return report


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _label(x, index: int) -> str:
    name = x.name if isinstance(x, Tensor) else None
    return f"input {index}" + (f" '{name}'" if name else "")


def _numerical_gradient(fn, xs, i, g, eps) -> np.ndarray:
    """Central differences of L = Σ g ⊙ fn(xs) with respect to xs[i], element by element."""
    x = xs[i].data
    numeric = np.zeros_like(x)
    with _config.no_grad():
        for idx in np.ndindex(x.shape):
            original = x[idx]
            x[idx] = original + eps
            plus = np.sum(g * fn(*xs).data)
            x[idx] = original - eps
            minus = np.sum(g * fn(*xs).data)
            x[idx] = original
            numeric[idx] = (plus - minus) / (2 * eps)
    return numeric
