"""History: what ``Model.fit`` returns, the record of one training run."""

from __future__ import annotations

from glassnet.notebook import history_png
from glassnet.training.callbacks import Callback

__all__ = ["History"]


class History(Callback):
    """Per-epoch and per-batch numbers of one ``fit`` call.

    - ``history["loss"]``, ``history["val_loss"]``, ``history["accuracy"]``, ... : one
      value per epoch (``history.history`` is the same dict, as in Keras);
    - ``epoch``: the epoch numbers, counted from 0;
    - ``batch_loss``: the loss of every update in order, and ``batch_size`` the number of
      samples in each (the curves that tell full-batch GD, SGD and mini-batch apart);
    - ``params``: the run's settings (epochs, steps, samples, batch_size, verbose);
    - ``diverged``: None, or the message that explains how training diverged (see
      :mod:`glassnet.training.divergence`);
    - ``stopped_early``: True when a callback ended training before the last epoch.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.batch_loss: list[float] = []
        self.batch_size: list[int] = []
        self.diverged: str | None = None
        self.stopped_early = False

    def on_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        self.batch_loss.append(float(logs["loss"]))
        self.batch_size.append(int(logs["size"]))

    def on_batches_end(self, first: int, losses: list[float], sizes: list[int]) -> None:
        """``on_batch_end`` for several batches at once (fit's quick epoch loop)."""
        self.batch_loss += losses
        self.batch_size += sizes

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History(epochs={len(self.epoch)}, {last})"

    def _repr_png_(self) -> bytes | None:  # Jupyter: the loss and metric curves
        return history_png(self)
