"""The search log: one JSON object per line, written durably so that a killed search loses
no finished trial and a resumed one skips exactly what is done.

    line 1      {"type": "search", "seed": …, "space": {…}, "settings": {…}, "data": "…"}
    line 2 …    {"type": "trial", "trial": 3, "seed": …, "params": {…}, "status": "ok", …}

Each line is written with one ``write``, then ``flush`` and ``os.fsync``: once a trial's
line is in the file it survives the process being killed and the machine losing power.
A process killed in the middle of a write leaves at most one partial last line; reading
drops it (and cuts it off the file, with a warning) since its trial is simply run again.
Any other damage (bytes that are not UTF-8, a line that is not JSON, a record without
``trial`` or ``params``, an unknown status, ``best`` given as a string) is a DataError
naming the line: a resumed search never runs on a misread log.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np

from glassnet.errors import ConfigError, DataError, message

__all__ = ["LogWriter", "read_log", "check_header", "jsonable", "data_digest"]


def jsonable(value: object) -> object:
    """``json.dumps`` default: NumPy scalars and arrays as numbers and lists, else repr."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return repr(value)


def dumps(obj: object) -> str:
    return json.dumps(obj, default=jsonable, allow_nan=False)


def data_digest(*arrays) -> str:
    """A short SHA-256 of the training data (shapes, dtypes and bytes), stored in the header."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(np.asarray(array))
        digest.update(f"{array.shape}{array.dtype}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


_STATUSES = ("ok", "failed", "diverged")
# Each field of a trial line: what it must be, as a test and in words.
_TRIAL_FIELDS = {
    "trial": (lambda v: _is_int(v) and v >= 0, "an int ≥ 0"),
    "seed": (lambda v: _is_int(v) and v >= 0, "an int ≥ 0"),
    "params": (lambda v: isinstance(v, dict), "an object of hyperparameters"),
    "status": (lambda v: v in _STATUSES, " or ".join(map(repr, _STATUSES))),
    "best": (lambda v: v is None or _is_number(v), "a number or null"),
    "epochs": (lambda v: _is_int(v) and v >= 0, "an int ≥ 0"),
    "seconds": (lambda v: _is_number(v) and v >= 0, "a number ≥ 0"),
    "error": (lambda v: v is None or isinstance(v, str), "a string or null"),
}
_HEADER_FIELDS = {
    "seed": (lambda v: _is_int(v) and v >= 0, "an int ≥ 0"),
    "space": (lambda v: isinstance(v, dict), "an object"),
    "settings": (lambda v: isinstance(v, dict), "an object"),
    "data": (lambda v: isinstance(v, str), "a string"),
}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def read_log(path: Path) -> tuple[dict | None, dict[int, dict]]:
    """(header, {trial index: record}) of a log.

    Every line is checked: valid UTF-8 and JSON, the search header first, then trial
    records with every field of the right type. A damaged line is a DataError naming it.
    The one exception is a torn last line (no line end: the process was killed while
    writing it): it is cut off the file with a warning, and its trial simply runs again.
    """
    raw = path.read_bytes()
    complete = raw[: raw.rfind(b"\n") + 1]
    if len(complete) < len(raw):
        _cut_torn_line(path, len(complete), complete.count(b"\n") + 1)
    header, records = None, {}
    for number, line in enumerate(complete.split(b"\n")[:-1], start=1):
        if not line.strip():
            continue
        entry = _entry(path, number, line)
        if entry["type"] == "search" and number == 1:
            header = _checked(path, number, entry, _HEADER_FIELDS)
        elif entry["type"] == "trial" and header is not None:
            record = _checked(path, number, entry, _TRIAL_FIELDS)
            records[record["trial"]] = record
        else:
            raise _damaged(
                path,
                number,
                "is out of place",
                f"a {entry['type']!r} entry",
                "the search header on line 1, trial records after it",
            )
    return header, records


def _cut_torn_line(path: Path, keep: int, number: int) -> None:
    warnings.warn(
        message(
            f"random_search log {str(path)!r}",
            f"line {number} is torn (the search was stopped while writing it); "
            "it is dropped and its trial runs again",
        ),
        RuntimeWarning,
        stacklevel=4,
    )
    with open(path, "r+b") as file:
        file.truncate(keep)
        os.fsync(file.fileno())


def _entry(path: Path, number: int, line: bytes) -> dict:
    """One line as a JSON object with a string "type"; else a DataError naming the line."""
    try:
        entry = json.loads(line.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise _damaged(
            path, number, "is not UTF-8 text", f"byte {exc.start}: {line[:40]!r}"
        ) from None
    except ValueError as exc:
        raise _damaged(path, number, "is not valid JSON", f"{exc}: {line[:80]!r}") from None
    if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
        raise _damaged(path, number, "is not a search log entry", repr(line[:80]))
    return entry


def _checked(path: Path, number: int, entry: dict, fields: dict) -> dict:
    """``entry`` when each of ``fields`` is present and of its type."""
    for name, (valid, expected) in fields.items():
        if name not in entry:
            raise _damaged(path, number, f"has no {name!r}", f"keys {sorted(entry)}", expected)
        if not valid(entry[name]):
            raise _damaged(path, number, f"has a bad {name!r}", repr(entry[name]), expected)
    return entry


def _damaged(path: Path, number: int, what: str, got: str, expected: str | None = None):
    return DataError(
        message(
            f"random_search log {str(path)!r}",
            f"line {number} {what}",
            got,
            expected or "one JSON object per line, as random_search writes them",
            "repair or delete that line (its trial then runs again), or start a new log_path",
        )
    )


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

    def __init__(self, path: Path, header: dict | None) -> None:
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
