"""``LivePlot``: the loss and metric curves, redrawn while ``fit`` runs (livelossplot's idea).

In a Jupyter notebook the figure sits under the cell and is redrawn in place after every
``every`` epochs, so you watch training and validation loss part ways as it happens.
Outside a notebook (a script, a terminal) nothing is drawn during training; when it ends,
one static figure of the whole run is saved (to ``path``, by default
``runs/liveplot.png``) and its path printed. Either way the last figure is kept in
``callback.figure``. The figure is :func:`glassnet.plot.history`'s: loss on the left,
the first metric (or ``metric``) on the right, validation curves when there are any.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from glassnet.errors import ConfigError, message
from glassnet.monitor import Callback
from glassnet.notebook import in_notebook

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["LivePlot"]

DEFAULT_PATH = os.path.join("runs", "liveplot.png")


class LivePlot(Callback):
    """Draw the training curves during ``fit`` (in place in Jupyter; one figure at the end
    elsewhere).

    ``path``: where the final figure is saved (outside a notebook: ``runs/liveplot.png``
    when None; inside one: not saved when None). ``metric``: the metric drawn beside the
    loss (default: the first one). ``every``: redraw after every ``every`` epochs.
    """

    def __init__(
        self, path: str | os.PathLike | None = None, metric: str | None = None, every: int = 1
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ConfigError(
                message("LivePlot", "every must be a whole number of epochs", repr(every), "≥ 1")
            )
        self.path, self.metric, self.every = path, metric, every
        self.figure = None
        self._cell = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.curves: dict[str, list[float]] = {}
        self.notebook = in_notebook()
        self._cell = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for key, value in (logs or {}).items():
            self.curves.setdefault(key, []).append(float(value))
        if self.notebook and (epoch + 1) % self.every == 0:
            self._show(self._draw(None))

    def on_train_end(self, logs: dict | None = None) -> None:
        if "loss" not in self.curves:  # stopped before the first epoch ended
            return
        if self.notebook:
            self._show(self._draw(self.path))
            return
        path = self.path if self.path is not None else DEFAULT_PATH
        self._draw(path)
        print(f"LivePlot: saved {path}", flush=True)

    def _draw(self, path: str | os.PathLike | None) -> Figure:
        from glassnet.plot import history

        epochs = len(self.curves["loss"])
        title = f"Training, epoch {epochs}/{self.params.get('epochs', epochs)}"
        self.figure = history(self.curves, path, metric=self.metric, title=title)
        return self.figure

    def _show(self, figure: Figure) -> None:
        from IPython.display import display

        if self._cell is None:
            self._cell = display(figure, display_id=True)
        else:
            self._cell.update(figure)
