"""When has training diverged? One definition, read by fit's guard, the doctor and the search.

A run has **diverged** when either

1. a loss is not a finite number (NaN or ±inf), at any batch; or
2. the epoch loss stays above ``FACTOR`` × the starting loss for ``PATIENCE`` epochs in a
   row (100× for 2 epochs): the loss grew by two orders of magnitude and did not come
   back, even though the arithmetic never overflowed.

The **starting loss** is the loss of the very first batch, computed before the first
update: the untrained model's cost. (Without per-batch numbers, the first epoch's loss.)

Why these numbers: a learning rate that is merely too large makes the loss jump and
oscillate, often above its start for an epoch (Adam at lr = 1 on two-class circles: 0.66,
then 35.8 after one epoch, then back to 1.4), and such a run may still end well. A run
that diverges grows without bound: Adam at lr = 10⁶ on the same data goes from 0.66 to
2·10¹⁹ and is still 10⁵ after eight epochs. A rule of 100× for two epochs separates the two.
With a single epoch only rule 1 can apply.

>>> divergence([0.5, 0.3], start=0.7) is None
True
>>> divergence([2e19, 1e19], start=0.66).epoch
2
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["FACTOR", "PATIENCE", "Divergence", "divergence"]

FACTOR = 100.0
PATIENCE = 2


@dataclass(frozen=True)
class Divergence:
    """Which rule fired, at which epoch (counted from 1), with the numbers."""

    rule: str  # "non-finite" or "grew"
    epoch: int
    loss: float
    start: float

    def describe(self) -> str:
        """The finding in words, e.g. 'the loss rose from 0.66 to 1.1e+19 (…)'."""
        if self.rule == "non-finite":
            return f"the loss became {self.loss} at epoch {self.epoch}"
        return (
            f"the loss rose from {self.start:.4g} to {self.loss:.4g} and stayed above "
            f"{FACTOR:g}× its starting value for {PATIENCE} epochs in a row "
            f"(epochs {self.epoch - PATIENCE + 1}–{self.epoch})"
        )


def divergence(losses: Sequence[float], start: float | None = None) -> Divergence | None:
    """The first epoch at which the epoch ``losses`` meet the rule, or None.

    ``start`` is the starting loss (the first batch's, before any update); by default
    the first epoch's loss.
    """
    if not len(losses):
        return None
    start = float(losses[0] if start is None else start)
    if not math.isfinite(start):
        return Divergence("non-finite", 1, start, start)
    limit, run = FACTOR * max(start, 1e-12), 0
    for epoch, loss in enumerate(map(float, losses), start=1):
        if not math.isfinite(loss):
            return Divergence("non-finite", epoch, loss, start)
        run = run + 1 if loss > limit else 0
        if run >= PATIENCE:
            return Divergence("grew", epoch, loss, start)
    return None
