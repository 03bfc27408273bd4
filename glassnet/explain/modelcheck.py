"""The model gradient check (``gn.check_gradients``): a whole model's dL/dw from autograd
against central differences, in float64, for every parameter tensor.

It checks a model on a batch and a loss; :mod:`glassnet.opcheck` (``gn.gradcheck``) checks
one op's backward on its own. When a model fails here, gradcheck the ops of the layer the
report names.

For each checked weight w (every element of a small tensor, a seeded sample of a large one)

    numerical dL/dw ≈ (L(w + ε) − L(w − ε)) / (2ε)
    relative error  = |autograd − numerical| / max(|autograd|, |numerical|, 10⁻⁶)

The model is copied to float64 first (in float32 the rounding error of L alone is
~10⁻⁷·|L|, which swamps the difference), and put in evaluation mode so Dropout does not
redraw its mask between the two evaluations. A tensor passes when its largest relative
error is at most ``tol``. On a failure the report names the worst weight and carries the
chain-rule view of it (:func:`glassnet.explain.weight`) for the first data point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from glassnet import losses, nn
from glassnet._config import no_grad
from glassnet.errors import ConfigError, GradientCheckError, fmt_shape, message
from glassnet.explain import weight as explain_weight
from glassnet.explain.forward import evaluation_mode
from glassnet.explain.render import Document, Rendered, index_text, num
from glassnet.explain.slopes import float64_copy, resolve_loss
from glassnet.notebook import print_shown
from glassnet.tensor import Tensor, rng_from

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from glassnet.losses import Loss
    from glassnet.nn.module import Module

__all__ = ["check_gradients", "GradientReport"]


@dataclass
class GradientReport(Rendered):
    """One row per parameter tensor (``rows``: name, shape, checked, max_abs, max_rel, ok),
    ``ok`` when every tensor passes, and on failure ``worst`` (the weight's name, autograd's
    and the numerical slope) and ``explanation`` (its chain-rule view, or None); ``note``
    says why there is no view when the written-out chain rule itself disagrees with
    autograd (a wrong backward of a known layer such as Tanh)."""

    rows: list[dict]
    tol: float
    loss: str = "mse"
    worst: dict | None = None
    explanation: object = None
    note: str | None = None
    ok: bool = field(init=False)

    def __post_init__(self):
        self.ok = all(r["ok"] for r in self.rows)

    @property
    def document(self) -> Document:
        doc = Document("Gradient check (float64, central differences)")
        doc.table(
            ["parameter", "shape", "checked", "max abs error", "max rel error", "result"],
            [
                [
                    r["name"],
                    r["shape"],
                    str(r["checked"]),
                    f"{r['max_abs']:.2e}",
                    f"{r['max_rel']:.2e}",
                    "pass" if r["ok"] else "FAIL",
                ]
                for r in self.rows
            ],
        )
        doc.line(f"loss: {self.loss}")
        doc.line(
            f"tolerance: relative error ≤ {self.tol:g}.  " + ("all pass" if self.ok else "FAILED")
        )
        if not self.ok:
            w = self.worst
            doc.line(
                f"worst weight: {w['name']}: autograd {num(w['autograd'], 8)}, "
                f"numerical {num(w['numerical'], 8)} (relative error {w['rel']:.2e})"
            )
            if self.explanation is not None:
                doc.extend(self.explanation.document)
            if self.note:
                doc.line(self.note)
        return doc

    def __repr__(self) -> str:
        return str(self)


def check_gradients(
    model: Module,
    x: ArrayLike,
    y: ArrayLike,
    loss: str | Loss | None = None,
    eps: float = 1e-6,
    tol: float = 1e-4,
    max_checks: int = 64,
    seed: int | np.random.Generator | None = 0,
    verbose: bool = True,
) -> GradientReport:
    """Check every trainable parameter of ``model`` on the batch ``(x, y)`` and print the table.

    ``max_checks`` elements are sampled per tensor (all of a smaller tensor); the model
    itself is left untouched. Returns a :class:`GradientReport` (``report.ok``); its
    ``loss`` line says which loss was used: ``loss`` when given, else the model's compiled
    loss, else cross-entropy for integer class labels (binary cross-entropy when the model
    has one output) and MSE for real-valued targets.
    """
    _check_settings(eps, tol, max_checks)
    rng, twin = rng_from(seed), float64_copy(model)
    x64 = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    loss_fn, chosen = _choose_loss(model, twin, x64, y, loss)

    def evaluate() -> float:
        with no_grad():
            return float(loss_fn(twin(Tensor(x64)), y).item())

    rows, worst = [], None
    with evaluation_mode(twin):
        loss_fn(twin(Tensor(x64)), y).backward()
        for name, p in twin.named_parameters():
            if p.requires_grad:
                row, candidate = _check_tensor(name, p, evaluate, eps, max_checks, rng)
                rows.append({**row, "ok": row["max_rel"] <= tol})
                if worst is None or candidate["rel"] > worst["rel"]:
                    worst = candidate
    report = GradientReport(rows, tol, chosen, worst)
    if not report.ok:
        report.explanation, report.note = _explain(model, x64, y, loss_fn, worst)
    if verbose:
        print_shown(report)  # in a notebook, the returned report does not show it again
    return report


def _choose_loss(model, twin, x64: np.ndarray, y: np.ndarray, loss) -> tuple[object, str]:
    """(loss, how it was chosen) for check_gradients (see its docstring)."""
    if loss is not None:
        loss_fn = resolve_loss(loss)
        return loss_fn, f"{loss_fn.name} (given)"
    if getattr(model, "loss", None) is not None:
        return model.loss, f"{model.loss.name} (the model's compiled loss)"
    if y.dtype.kind in "iub" and y.ndim == 1:
        with no_grad(), evaluation_mode(twin):
            outputs = twin(Tensor(x64[:1])).shape[-1]
        if outputs > 1:
            return resolve_loss("cross_entropy"), "cross_entropy (inferred from integer labels)"
        layers = list(getattr(model, "layers", [None]))
        logits = not isinstance(layers[-1] if layers else None, nn.Sigmoid)
        return losses.get("binary_cross_entropy", from_logits=logits), (
            f"binary_cross_entropy{' from logits' if logits else ''} "
            "(inferred from integer labels and one output)"
        )
    return resolve_loss("mse"), "mse (inferred from real-valued targets)"


def _check_settings(eps: float, tol: float, max_checks: int) -> None:
    if not (eps > 0 and tol > 0 and max_checks >= 1):
        raise ConfigError(
            message(
                "check_gradients",
                "eps, tol and max_checks must be positive",
                f"eps={eps!r}, tol={tol!r}, max_checks={max_checks!r}",
                "e.g. eps=1e-6, tol=1e-4, max_checks=64",
            )
        )


def _check_tensor(name, p, loss, eps, max_checks, rng) -> tuple[dict, dict]:
    """Compare autograd with central differences on (a sample of) one tensor's elements."""
    flat = p.data.reshape(-1)  # a view: writing it perturbs the weight
    analytic = np.zeros(p.size) if p.grad is None else p.grad.reshape(-1)
    picks = (
        np.arange(p.size)
        if p.size <= max_checks
        else rng.choice(p.size, max_checks, replace=False)
    )
    errors = []
    for i in picks:
        original = flat[i]
        flat[i] = original + eps
        plus = loss()
        flat[i] = original - eps
        minus = loss()
        flat[i] = original
        numerical = (plus - minus) / (2 * eps)
        errors.append((abs(analytic[i] - numerical), analytic[i], numerical, i))
    rel = [e / max(abs(a), abs(n), 1e-6) for e, a, n, _ in errors]
    k = int(np.argmax(rel))
    _, a, n, i = errors[k]
    index = np.unravel_index(i, p.shape) if p.ndim else ()
    row = {
        "name": name,
        "shape": fmt_shape(p.shape),
        "checked": len(picks),
        "max_abs": max(e[0] for e in errors),
        "max_rel": rel[k],
    }
    worst = {
        "name": f"{name}{index_text(index)}",
        "autograd": float(a),
        "numerical": float(n),
        "rel": rel[k],
    }
    return row, worst


def _explain(model, x64, y, loss_fn, worst: dict) -> tuple[object, str | None]:
    """The chain-rule view of the worst weight for the first data point, and a note when
    there is none: the written-out chain rule (from the layers' formulas) disagreeing with
    autograd points at the wrong backward. A weight of a layer explain.weight cannot write
    out gets neither."""
    try:
        return explain_weight(model, x64[0], y[0], worst["name"], loss=loss_fn), None
    except GradientCheckError as exc:
        return None, str(exc).split("\n  hint:")[0] + " (a backward on its path is wrong)"
    except ConfigError:
        return None, None
