"""The training doctor: plain-language diagnoses of a training run, each with the numbers
it measured and one fix.

``gn.doctor(history=..., model=..., x=..., y=...)`` reads whatever it is given:

- from the loss curves (history): learning rate too high (diverged as
  :mod:`glassnet.training.divergence` defines it, rising or oscillating),
  learning rate too low (barely moving), overfitting onset (validation loss rising while
  the training loss falls; the epoch is named), underfitting (with y: the training loss
  stuck near that of the best constant prediction);
- from the inputs x: unscaled features (a feature spanning more than 10 units next to one
  whose range is 10× or more smaller, as age in years beside a 0/1 flag; or any |x| ≥ 100,
  as raw 0–255 pixels);
- from the model run on x: dead units (a ReLU never active) and saturated units (a
  sigmoid/tanh slope below 0.01 on most inputs), layer by layer in a chain and node by node
  in a functional model's graph; which activations can die or saturate is each one's
  ``stalls`` in :mod:`glassnet.activations`;
- from the model and its loss: a mismatched output/loss pair, from what the loss says it
  takes (values, probabilities or logits) and which activation it applies itself.

The loss's own :meth:`~glassnet.losses.Loss.constant_baseline` is the yardstick of
underfitting.

The checks live in :mod:`glassnet.explain.doctor_checks` (curves, inputs, output vs loss)
and :mod:`glassnet.explain.doctor_units` (inside the model); what a finding is and how the
report renders, in :mod:`glassnet.explain.doctor_report`. The :class:`Doctor` callback
runs the same checks when ``fit`` ends. Epochs are counted from 1 in the messages, as
``fit``'s progress bar counts them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet import losses
from glassnet.explain.doctor_checks import (
    baseline,
    curves_of,
    lr_too_high,
    lr_too_low,
    mismatch,
    overfitting,
    overfitting_onset,
    underfitting,
    unscaled,
)
from glassnet.explain.doctor_report import LIMITS, SLOPE_FLOOR, Diagnosis, DoctorReport
from glassnet.explain.doctor_units import output_layer, units
from glassnet.training.callbacks import Callback

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from glassnet.training.history import History
    from glassnet.training.model import Model


__all__ = [
    "doctor",
    "Doctor",
    "Diagnosis",
    "DoctorReport",
    "overfitting_onset",
    "LIMITS",
    "SLOPE_FLOOR",
]


def doctor(
    history: History | dict | None = None,
    model: Model | None = None,
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
    loss: str | losses.Loss | None = None,
) -> DoctorReport:
    """Diagnose a training run from any of: ``history`` (a History or a dict of per-epoch
    lists), ``model``, inputs ``x``, targets ``y`` and ``loss`` (default: the model's
    compiled loss). Checks that lack their inputs are skipped; underfitting is judged only
    when the curves show no other problem (a too-high or too-low rate also leaves the loss
    high), and a barely moving loss is put down to dead or saturated units when there are
    such (a larger learning rate would not revive them)."""
    loss = losses.get(loss) if loss is not None else getattr(model, "loss", None)
    curves = curves_of(history)
    found, checked = [], []  # Diagnosis | None each; the names of the checks that ran
    if "loss" in curves:
        optimizer = getattr(model, "optimizer", None)
        high = lr_too_high(curves, history, getattr(optimizer, "lr", None))
        low = None if high else lr_too_low(curves, optimizer)
        found += [high, low, overfitting(curves)]
        checked += ["learning rate", "overfitting" if "val_loss" in curves else None]
        constant = baseline(loss, y) if not any(found) else None
        if constant is not None:
            found.append(underfitting(curves, constant))
            checked.append("underfitting")
    if x is not None:
        x = _as_rows(model, x)
        found.append(unscaled(x))
        checked.append("input scales")
        if model is not None:
            stalled = [d for d in units(model, x) if d is not None]
            if stalled:  # they, not the learning rate, stall the loss
                found = [d for d in found if d is None or d.kind != "lr_too_low"]
            found += stalled
            checked.append("dead and saturated units")
    if model is not None and loss is not None:
        found.append(mismatch(output_layer(model), loss, y))
        checked.append("output layer vs loss")
    return DoctorReport([d for d in found if d is not None], [c for c in checked if c])


def _as_rows(model, x) -> np.ndarray:
    """x as one float64 array; a functional model's several inputs ``[x0, x1]`` packed side
    by side as ``fit`` packs them."""
    pack = getattr(model, "pack", None)
    return np.asarray(pack(x) if pack is not None else x, dtype=np.float64)


class Doctor(Callback):
    """Run :func:`doctor` when ``fit`` ends; the report is kept in ``self.report`` and
    printed when ``verbose``. ``x``/``y`` (e.g. the training data) enable the checks of
    inputs and units."""

    def __init__(
        self, x: ArrayLike | None = None, y: ArrayLike | None = None, verbose: bool = True
    ) -> None:
        self.x, self.y, self.verbose, self.report = x, y, verbose, None

    def on_train_end(self, logs: dict | None = None) -> None:
        self.report = doctor(history=self.model.history, model=self.model, x=self.x, y=self.y)
        if self.verbose:
            print(self.report)
