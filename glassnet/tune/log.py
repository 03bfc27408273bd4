"""The search log: one JSON object per line, written durably so that a killed search loses
no finished trial and a resumed one skips exactly what is done.

    line 1      {"type": "search", "seed": …, "space": {…}, "settings": {…}, "data": "…"}
    line 2 …    {"type": "trial", "trial": 3, "seed": …, "params": {…}, "status": "ok", …}

Each line is written with one ``write``, then ``flush`` and ``os.fsync``: once a trial's
line is in the file it survives the process being killed and the machine losing power.
A process killed in the middle of a write leaves at most one partial last line; reading
drops it (and cuts it off the file) since its trial is simply run again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from glassnet.errors import ConfigError, DataError, message

__all__ = ["LogWriter", "read_log", "check_header", "jsonable", "data_digest"]


def jsonable(value):
    """``json.dumps`` default: NumPy scalars and arrays as numbers and lists, else repr."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return repr(value)


def dumps(obj) -> str:
    return json.dumps(obj, default=jsonable, allow_nan=False)


def data_digest(*arrays) -> str:
    """A short SHA-256 of the training data (shapes, dtypes and bytes), stored in the header."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(np.asarray(array))
        digest.update(f"{array.shape}{array.dtype}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def read_log(path: Path) -> tuple[dict | None, dict[int, dict]]:
    """(header, {trial index: record}) of a log; an unfinished last line is cut off the file."""
    raw = path.read_bytes()
    complete = raw[: raw.rfind(b"\n") + 1]
    if len(complete) < len(raw):
        with open(path, "r+b") as file:
            file.truncate(len(complete))
            os.fsync(file.fileno())
    header, records = None, {}
    for number, line in enumerate(complete.decode("utf-8").splitlines(), start=1):
        try:
            entry = json.loads(line)
            kind = entry["type"]
        except (ValueError, TypeError, KeyError):
            raise DataError(
                message(
                    f"random_search log {str(path)!r}",
                    f"line {number} is not a search log entry",
                    repr(line[:80]),
                    "one JSON object per line written by random_search",
                    "pass another log_path, or resume=False with a new file",
                )
            ) from None
        if kind == "search" and number == 1:
            header = entry
        elif kind == "trial" and header is not None:
            records[int(entry["trial"])] = entry
        else:
            raise DataError(
                message(f"random_search log {str(path)!r}", f"line {number} is out of place")
            )
    return header, records


def check_header(path: Path, logged: dict, current: dict) -> None:
    """ConfigError unless a resumed search has the logged seed, space, settings and data."""
    for key in ("seed", "space", "settings", "data"):
        if logged.get(key) != current[key]:
            raise ConfigError(
                message(
                    f"random_search(resume=True, log_path={str(path)!r})",
                    f"the log was written by a search with another {key}",
                    f"{key}={current[key]!r} now",
                    f"{key}={logged.get(key)!r} as logged",
                    "resume with the same arguments, or start a new log_path",
                )
            )


class LogWriter:
    """Appends entries to the log, each one flushed and fsynced before ``append`` returns."""

    def __init__(self, path: Path, header: dict | None):
        self.path = path
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
        if header is not None:
            self.append({"type": "search", **header})

    def append(self, entry: dict) -> None:
        self.file.write(dumps(entry) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> LogWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
