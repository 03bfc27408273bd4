"""The README's Python examples run, and print what their comments say they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_python_examples():
    assert BLOCKS


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block {i}" for i in range(len(BLOCKS))])
def test_readme_block_runs_and_prints_what_it_claims(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks may save files (model.save("mnist.gn"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    claims = [c.strip() for c in re.findall(r"^print\(.*\)\s*#\s*(.+)$", code, re.M)]
    if claims:  # a block that annotates its prints annotates each one, in order
        assert out.getvalue().splitlines() == claims
