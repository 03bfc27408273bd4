"""A damaged search log is refused line by line; only a torn last line is forgiven."""

from __future__ import annotations

import json

import pytest

import glassnet as gn
from glassnet.tune.log import read_log

HEADER = {"type": "search", "seed": 0, "space": {}, "settings": {}, "data": "ab12"}
TRIAL = {
    "type": "trial",
    "trial": 0,
    "seed": 5,
    "params": {"lr": 0.01},
    "status": "ok",
    "best": 0.25,
    "epochs": 2,
    "seconds": 0.1,
    "error": None,
}


def write(tmp_path, *lines: bytes | str | dict) -> object:
    path = tmp_path / "search.jsonl"
    parts = [
        line if isinstance(line, bytes) else (json.dumps(line) if isinstance(line, dict) else line)
        for line in lines
    ]
    path.write_bytes(b"".join(p if isinstance(p, bytes) else p.encode() for p in parts))
    return path


def lines(*entries) -> list:
    return [part for entry in entries for part in (entry, "\n")]


def test_a_sound_log_reads_back(tmp_path):
    second = {**TRIAL, "trial": 1, "status": "failed", "best": None, "error": "fit: boom"}
    header, records = read_log(write(tmp_path, *lines(HEADER, TRIAL, "", second)))
    assert header == HEADER and records == {0: TRIAL, 1: second}  # blank lines are skipped


@pytest.mark.parametrize(
    ("line", "what"),
    [
        (b"\xff\xfe{}", r"line 2 is not UTF-8 text\. Got byte 0"),
        ('{"type": "trial"', r"line 2 is not valid JSON"),
        ("[1, 2]", r"line 2 is not a search log entry"),
        ({k: v for k, v in TRIAL.items() if k != "trial"}, r"line 2 has no 'trial'"),
        ({k: v for k, v in TRIAL.items() if k != "params"}, r"line 2 has no 'params'"),
        ({**TRIAL, "status": "great"}, r"line 2 has a bad 'status'\. Got 'great'; expected 'ok'"),
        ({**TRIAL, "best": "0.25"}, r"line 2 has a bad 'best'\. Got '0.25'; expected a number"),
        ({**TRIAL, "best": True}, r"line 2 has a bad 'best'\. Got True"),
        ({**TRIAL, "trial": -1}, r"line 2 has a bad 'trial'\. Got -1; expected an int ≥ 0"),
        ({**TRIAL, "params": [1]}, r"line 2 has a bad 'params'"),
        (json.dumps(TRIAL).replace("0.25", "NaN"), r"line 2 is not valid JSON.*NaN"),
        ({**HEADER}, r"line 2 is out of place\. Got a 'search' entry"),
    ],
)
def test_a_damaged_line_is_a_data_error_naming_it(tmp_path, line, what):
    path = write(tmp_path, *lines(HEADER, line, TRIAL))
    with pytest.raises(gn.DataError, match=rf"(?s)search.jsonl'?: {what}.*hint: repair or"):
        read_log(path)


def test_a_damaged_header_is_a_data_error(tmp_path):
    with pytest.raises(gn.DataError, match=r"line 1 has a bad 'seed'\. Got 'zero'"):
        read_log(write(tmp_path, *lines({**HEADER, "seed": "zero"}, TRIAL)))
    with pytest.raises(gn.DataError, match=r"line 1 is out of place\. Got a 'trial' entry"):
        read_log(write(tmp_path, *lines(TRIAL)))


def test_a_torn_last_line_is_dropped_with_a_warning(tmp_path):
    path = write(tmp_path, *lines(HEADER, TRIAL), json.dumps({**TRIAL, "trial": 1})[:30])
    with pytest.warns(RuntimeWarning, match=r"line 3 is torn"):
        header, records = read_log(path)
    assert header == HEADER and list(records) == [0]
    assert path.read_bytes().endswith(b"}\n")  # cut off the file: the next append is clean


def test_a_damaged_line_that_is_not_the_last_is_never_forgiven(tmp_path):
    torn = json.dumps({**TRIAL, "trial": 1})[:30]
    with pytest.raises(gn.DataError, match=r"line 2 is not valid JSON"):
        read_log(write(tmp_path, *lines(HEADER, torn, TRIAL)))
