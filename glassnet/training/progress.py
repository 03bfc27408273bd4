"""The progress display of ``Model.fit``: one line per epoch, as in Keras.

- ``verbose=0``: silent.
- ``verbose=1``: in a Jupyter notebook, one progress bar per epoch that updates in place
  after each batch (an HTML ``<progress>`` bar with batches done, time and running loss;
  its last state stays as that epoch's line); in a terminal, a rich progress bar per epoch
  that updates in place (batches done, ETA, running loss) and stays as that epoch's
  summary line; when the output is neither (a log file, CI) a plain line per epoch.
- ``verbose=2``: a plain line per epoch.

A plain line reads ``Epoch 3/5 - 4.1s - loss: 0.1234 - accuracy: 0.9650 - val_loss: ...``.
"""

from __future__ import annotations

import html
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from glassnet.notebook import in_notebook
from glassnet.training.callbacks import Callback

__all__ = ["EpochBar", "ProgressBar", "format_logs"]

NOTEBOOK_REFRESH_S = 0.1  # at most ten redraws a second: each one is a message to Jupyter


def format_logs(logs: dict) -> str:
    """``loss: 0.1234 - accuracy: 0.9650`` (4 significant decimals, as Keras prints)."""
    return " - ".join(f"{key}: {value:.4f}" for key, value in logs.items())


class EpochBar:
    """One epoch's progress as Jupyter shows it: ``_repr_html_`` draws a ``<progress>``
    bar, ``__repr__`` the same line as text (what a plain-text frontend shows)."""

    def __init__(self, title: str, done: int, total: int, seconds: float, logs: str) -> None:
        self.title, self.done, self.total = title, done, total
        self.seconds, self.logs = seconds, logs

    def __repr__(self) -> str:
        filled = 30 * self.done // max(self.total, 1)
        bar = "=" * filled + (">" if filled < 30 else "") + "." * max(29 - filled, 0)
        return f"{self.title} [{bar}] {self.done}/{self.total} - {self.seconds:.1f}s - {self.logs}"

    def _repr_html_(self) -> str:
        return (
            f'<div style="font-family:monospace">{html.escape(self.title)} '
            f'<progress value="{self.done}" max="{self.total}" style="width:16em"></progress> '
            f"{self.done}/{self.total} - {self.seconds:.1f}s - {html.escape(self.logs)}</div>"
        )


class ProgressBar(Callback):
    """Shows training progress (see the module docstring for what each verbose level does)."""

    def __init__(self, verbose: int = 1, console: Console | None = None) -> None:
        self.verbose, self.console = verbose, console
        self._bar = None
        self._cell = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.notebook = self.verbose == 1 and self.console is None and in_notebook()
        self.console = self.console or Console()
        self.live = self.verbose == 1 and not self.notebook and self.console.is_terminal

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.started, self.loss_sum, self.seen = time.perf_counter(), 0.0, 0
        self.title = f"Epoch {epoch + 1}/{self.params['epochs']}"
        self.done, self.drawn = 0, 0.0
        if self.notebook:
            from IPython.display import display

            self._cell = display(self._epoch_bar(""), display_id=True)
        elif self.live:
            self._start_rich_bar()

    def _start_rich_bar(self) -> None:
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

    def _epoch_bar(self, logs: str) -> EpochBar:
        seconds = time.perf_counter() - self.started
        return EpochBar(self.title, self.done, self.params["steps"], seconds, logs)

    def _running(self) -> str:
        """The running loss as the bar shows it (formatted only when a bar is drawn)."""
        return f"loss: {self.loss_sum / self.seen:.4f}"

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.loss_sum += logs["loss"] * logs["size"]
        self.seen += logs["size"]
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, logs=self._running())
        elif self._cell is not None and time.perf_counter() - self.drawn >= NOTEBOOK_REFRESH_S:
            self._cell.update(self._epoch_bar(self._running()))
            self.drawn = time.perf_counter()

    def on_batches_end(self, first: int, losses: list[float], sizes: list[int]) -> None:
        """``on_batch_end`` for several batches at once, when nothing is drawn per batch
        (fit's quick epoch loop): the same sums, in the same order."""
        loss_sum, seen = self.loss_sum, self.seen
        for loss, size in zip(losses, sizes):
            loss_sum += loss * size
            seen += size
        self.loss_sum, self.seen, self.done = loss_sum, seen, self.done + len(losses)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self._cell is not None:
            self._cell.update(self._epoch_bar(format_logs(logs)))
            self._cell = None
        elif self._bar is not None:
            self._bar.update(self._task, logs=format_logs(logs))
            self._bar.stop()
            self._bar = None
        elif self.verbose:
            seconds = time.perf_counter() - self.started
            print(f"{self.title} - {seconds:.1f}s - {format_logs(logs)}", flush=True)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._bar is not None:  # training stopped inside an epoch
            self._bar.stop()
            self._bar = None
        self._cell = None
