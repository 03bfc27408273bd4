"""SearchResult: every trial's record, the ranking, the best configuration and its model.

A record is one dict per trial::

    {"trial": 3, "seed": 8214…, "params": {"lr": 0.0031, "layers": (64, 32)},
     "status": "ok" | "diverged" | "failed", "best": 0.412, "epochs": 5,
     "seconds": 0.84, "error": None}

``best`` is the best value of the monitored quantity over the trial's epochs (the
minimum for mode "min", the maximum for "max"); it is None when the trial never
produced a finite value. Ranking: ``ok`` trials by ``best``, then ``diverged``, then
``failed``; ties go to the lower trial number, so the ranking is deterministic.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.table import Table

from glassnet._files import write_text
from glassnet.errors import GlassnetError, message
from glassnet.notebook import search_html, text_console

if TYPE_CHECKING:
    import os

    from glassnet.nn.module import Module

__all__ = ["SearchResult", "SearchError", "SearchInterrupted", "format_value"]

_STATUS_ORDER = {"ok": 0, "diverged": 1, "failed": 2}


class SearchError(GlassnetError, RuntimeError):
    """A search could not give what was asked (no trial finished ``ok``)."""


class SearchInterrupted(SearchError):
    """Some trials never finished because the executor failed (a worker process died).

    ``result`` holds the trials that did finish (all of them are in the log, too);
    ``lost`` the indices of the trials that did not. Resume with the same ``log_path``
    and ``resume=True`` to run only those.
    """

    def __init__(self, text: str, result: SearchResult, lost: list[int]) -> None:
        super().__init__(text)
        self.result, self.lost = result, lost


def _number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_value(value: object) -> str:
    """A parameter value as text: numbers compactly, tuples as ``64,32``, the rest as str."""
    if isinstance(value, tuple | list):
        return ",".join(format_value(v) for v in value)
    return _number(value) if isinstance(value, float) else str(value)


class SearchResult:
    """The outcome of :func:`glassnet.tune.random_search`.

    ``records`` (sorted by trial number), ``ranked()``, ``best_params``, ``best_model``,
    ``table()`` (also what ``print(result)`` shows), ``to_csv(path)``; ``space``,
    ``monitor``, ``mode`` and ``seed`` (the master seed, enough to rerun the search).
    """

    def __init__(
        self,
        records: list[dict],
        space: dict,
        monitor: str,
        mode: str,
        seed: int,
        restore: Callable | None = None,
        best_state: tuple[int, dict] | None = None,
    ) -> None:
        self.records = sorted(records, key=lambda r: r["trial"])
        self.space, self.monitor, self.mode, self.seed = space, monitor, mode, seed
        self._restore, self._best_state, self._best_model = restore, best_state, None

    def ranked(self) -> list[dict]:
        """Records best first: ok by ``best``, then diverged, then failed."""
        sign = 1.0 if self.mode == "min" else -1.0

        def key(record):
            best = record["best"]
            value = sign * best if record["status"] == "ok" and best is not None else math.inf
            return (_STATUS_ORDER[record["status"]], value, record["trial"])

        return sorted(self.records, key=key)

    @property
    def best_record(self) -> dict:
        """The record of the best ``ok`` trial (SearchError when no trial finished ok)."""
        ranked = self.ranked()
        if not ranked or ranked[0]["status"] != "ok" or ranked[0]["best"] is None:
            counts = {s: sum(r["status"] == s for r in self.records) for s in _STATUS_ORDER}
            raise SearchError(
                message(
                    "SearchResult",
                    "no trial finished ok, so there is no best configuration",
                    ", ".join(f"{n} {s}" for s, n in counts.items()),
                    "at least one ok trial",
                    "read the errors in print(result); diverged trials want a smaller lr",
                )
            )
        return ranked[0]

    @property
    def best_params(self) -> dict:
        """The hyperparameters of the best trial."""
        return dict(self.best_record["params"])

    @property
    def best_model(self) -> Module:
        """The best trial's model, compiled, with the weights of its best epoch.

        Rebuilt from ``build(params, seed)`` plus the weights the trial sent back; a trial
        read from a resumed log is trained again with its seed (same result, by design).
        """
        if self._best_model is None:
            if self._restore is None:
                raise SearchError(message("SearchResult", "this result cannot rebuild models"))
            record = self.best_record
            state = None
            if self._best_state is not None and self._best_state[0] == record["trial"]:
                state = self._best_state[1]
            self._best_model = self._restore(record, state)
        return self._best_model

    def table(self, width: int = 110, limit: int | None = None) -> str:
        """The ranked trials as a text table (rank, params, best monitored value, status)."""
        names = list(self.space)
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for column in ("rank", "trial", *names, self.monitor, "epochs", "seconds", "status"):
            justify = "left" if column in ("status", *names) else "right"
            table.add_column(column, justify=justify, overflow="fold")
        for rank, record in enumerate(self.ranked()[:limit], start=1):
            status = record["status"]
            if record["error"]:
                status += ": " + record["error"].strip().splitlines()[0][:70]
            table.add_row(
                str(rank),
                str(record["trial"]),
                *(format_value(record["params"].get(name)) for name in names),
                _number(record["best"]),
                str(record["epochs"]),
                f"{record['seconds']:.2f}",
                status,
            )
        console = text_console(width)
        console.print(table)
        return console.export_text().rstrip() + "\n"

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write the ranked records as CSV (one column per hyperparameter); returns the path."""
        path = Path(path)
        names = list(self.space)
        columns = ["rank", "trial", "seed", *names, "status", self.monitor]
        columns += ["epochs", "seconds", "error"]
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(columns)
        for rank, r in enumerate(self.ranked(), start=1):
            params = [r["params"].get(name) for name in names]
            params = [json.dumps(list(v)) if isinstance(v, tuple | list) else v for v in params]
            writer.writerow(
                [rank, r["trial"], r["seed"], *params, r["status"], r["best"]]
                + [r["epochs"], r["seconds"], r["error"] or ""]
            )
        write_text(path, buffer.getvalue())  # whole or not at all (see glassnet._files)
        return path

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        counts = {s: sum(r["status"] == s for r in self.records) for s in _STATUS_ORDER}
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        best = ""
        if counts["ok"]:
            record = self.best_record
            best = f"; best {self.monitor}={record['best']:.4g} with {record['params']}"
        return f"SearchResult({len(self.records)} trials: {summary}{best})"

    def _repr_html_(self) -> str:  # Jupyter: the ranked table and the search figure
        return search_html(self)
