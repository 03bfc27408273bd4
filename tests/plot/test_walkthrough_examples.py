"""The numbered walkthrough examples/01_… to 12_… run in smoke mode (GLASSNET_SMOKE=1):
each finishes, prints what it shows and saves its figure."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WALKTHROUGH = sorted(p for p in EXAMPLES.glob("[01][0-9]_*.py") if p.name[:2] != "00")


def test_the_walkthrough_has_twelve_lessons_in_order():
    assert [p.name[:2] for p in WALKTHROUGH] == [f"{i:02d}" for i in range(1, 13)]


@pytest.mark.parametrize("script", WALKTHROUGH, ids=lambda p: p.stem)
def test_example_runs_in_smoke_mode(script, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GLASSNET_SMOKE", "1")
    monkeypatch.setenv("GLASSNET_FIGURES", str(tmp_path))
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(script), run_name="__main__")
    printed = capsys.readouterr().out
    figures = sorted(tmp_path.glob("*.png"))
    assert figures, f"{script.name} saved no figure"
    assert all(f.read_bytes()[:4] == b"\x89PNG" for f in figures)
    assert all(str(f) in printed for f in figures)  # each figure's path is printed
