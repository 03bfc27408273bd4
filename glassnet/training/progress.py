"""The progress display of ``Model.fit``: one line per epoch, as in Keras.

- ``verbose=0``: silent.
- ``verbose=1``: in a terminal, a rich progress bar per epoch that updates in place
  (batches done, ETA, running loss) and stays as that epoch's summary line; when the
  output is not a terminal (a log file, a notebook capture, CI) a plain line per epoch.
- ``verbose=2``: a plain line per epoch.

A plain line reads ``Epoch 3/5 - 4.1s - loss: 0.1234 - accuracy: 0.9650 - val_loss: ...``.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from glassnet.training.callbacks import Callback

__all__ = ["ProgressBar", "format_logs"]


def format_logs(logs: dict) -> str:
    """``loss: 0.1234 - accuracy: 0.9650`` (4 significant decimals, as Keras prints)."""
    return " - ".join(f"{key}: {value:.4f}" for key, value in logs.items())


class ProgressBar(Callback):
    """Shows training progress (see the module docstring for what each verbose level does)."""

    def __init__(self, verbose: int = 1, console: Console | None = None):
        self.verbose, self.console = verbose, console
        self._bar = None

    def on_train_begin(self, logs=None):
        self.console = self.console or Console()
        self.live = self.verbose == 1 and self.console.is_terminal

    def on_epoch_begin(self, epoch, logs=None):
        self.started, self.loss_sum, self.seen = time.perf_counter(), 0.0, 0
        self.title = f"Epoch {epoch + 1}/{self.params['epochs']}"
        if not self.live:
            return
        self._bar = Progress(
            TextColumn(self.title),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TimeRemainingColumn(elapsed_when_finished=True),
            TextColumn("{task.fields[logs]}"),
            console=self.console,
        )
        self._task = self._bar.add_task("", total=self.params["steps"], logs="")
        self._bar.start()

    def on_batch_end(self, batch, logs=None):
        self.loss_sum += logs["loss"] * logs["size"]
        self.seen += logs["size"]
        if self._bar is not None:
            running = self.loss_sum / self.seen
            self._bar.update(self._task, advance=1, logs=f"loss: {running:.4f}")

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.update(self._task, logs=format_logs(logs))
            self._bar.stop()
            self._bar = None
        elif self.verbose:
            seconds = time.perf_counter() - self.started
            print(f"{self.title} - {seconds:.1f}s - {format_logs(logs)}", flush=True)

    def on_train_end(self, logs=None):
        if self._bar is not None:  # training stopped inside an epoch
            self._bar.stop()
            self._bar = None
