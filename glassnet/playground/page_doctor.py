"""The doctor as the playground page shows it: the library's diagnoses, judged against the
live run and worded as the page's own controls.

:func:`glassnet.diagnostics.doctor` speaks to someone writing Python ("divide the learning
rate by 10", "use init='he_normal'"). On the page a learner has boxes and buttons, so each
finding's fix is rewritten in their names. Two findings are dropped when the run is
already doing well (its latest training loss below ``TINY_LOSS`` or at most
``FRACTION_OF_FIRST`` of the first epoch's, or a test accuracy of at least
``GOOD_ACCURACY``): "learning rate too high" from a loss that wobbles far below where it
started, and "overfitting" from a test loss that rose by a hair. A diverged run's NaNs are
summarised (the epoch where they began and how many), never listed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from glassnet.explain.doctor import Diagnosis
    from glassnet.playground.session import Session

__all__ = ["PAGE_FIXES", "page_findings"]

TINY_LOSS, GOOD_ACCURACY, FRACTION_OF_FIRST = 0.05, 0.97, 0.25

#: kind → the fix in the page's words
PAGE_FIXES = {
    "lr_too_high": "Lower the Learning rate box (try a tenth of it), then press ⟲ Reset.",
    "lr_too_low": "Raise the Learning rate box (try 10 times it), or choose Adam as Optimizer.",
    "overfitting": "Raise Dropout or L2, add Samples, or stop earlier (Pause when the test "
    "loss is lowest).",
    "underfitting": "Add neurons (+ above a layer) or a hidden layer (+), add input "
    "features, or keep playing.",
    "unscaled_inputs": "Pick input features with similar ranges (the plane's x₁, x₂ are "
    "already scaled).",
    "dead_relus": "Lower the Learning rate box, or choose leaky ReLU as Activation, then "
    "press ⟲ Reset.",
    "saturated_units": "Choose ReLU as Activation, or lower the Learning rate, then press "
    "⟲ Reset.",
    "output_loss_mismatch": "Pick the Loss that fits the data: cross-entropy for classes, "
    "squared error for numbers.",
}


def _doing_well(session, state: dict) -> bool:
    """Tiny loss, high test accuracy, or a loss at most a quarter of the first epoch's."""
    loss, accuracy = state.get("train_loss"), state.get("test_accuracy")
    first = next((v for v in session.history.get("loss", []) if math.isfinite(v)), None)
    if loss is None:
        return False
    return (
        loss < TINY_LOSS
        or (accuracy is not None and accuracy >= GOOD_ACCURACY)
        or (first is not None and loss <= FRACTION_OF_FIRST * first)
    )


def _nan_summary(history: dict) -> str:
    losses = history.get("loss", [])
    bad = [k for k, v in enumerate(losses) if not math.isfinite(v)]
    if not bad:
        return "the loss became NaN (not a number): the weights overflowed"
    return (
        f"the training loss became NaN (not a number) at epoch {bad[0] + 1} and stayed so "
        f"for {len(bad)} of {len(losses)} recorded epochs: the weights overflowed"
    )


def page_findings(entries: Iterable[Diagnosis], session: Session, state: dict) -> list[dict]:
    """``{"kind", "finding", "fix"}`` per diagnosis, judged and worded for the page."""
    well = _doing_well(session, state) and not state.get("diverged")
    found = []
    for entry in entries:
        if well and entry.kind in ("lr_too_high", "overfitting"):
            continue
        finding = entry.finding
        if "nan" in finding.lower():
            finding = _nan_summary(session.history)
        found.append(
            {"kind": entry.kind, "finding": finding, "fix": PAGE_FIXES.get(entry.kind, entry.fix)}
        )
    return found
