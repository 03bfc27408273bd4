"""The documentation site builds with ``mkdocs build --strict`` (a broken link, nav entry or
API reference fails it), offline, and shows what its pages promise.

The lessons are rendered without running them here (GLASSNET_DOCS_EXECUTE=0):
tests/test_notebooks.py runs every one in a kernel already; ``make docs`` runs them.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")
pytest.importorskip("mkdocs_jupyter")

ROOT = Path(__file__).resolve().parents[1]


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_math_lines_and_doctests_stay_as_written():
    fence = load("griffe_math").fence_math
    doc = "Tanh.\n\nForward:   y = tanh(x)\nBackward:  dL/dx = dL/dy ⊙ (1 − y²)\n\n>>> 1 + 1\n2"
    assert fence(doc).splitlines() == [
        "Tanh.",
        "",
        "```text",
        "Forward:   y = tanh(x)",
        "Backward:  dL/dx = dL/dy ⊙ (1 − y²)",
        "```",
        "",
        "",
        "```pycon",
        ">>> 1 + 1",
        "2",
        "```",
    ]


def test_results_page_reads_the_readme_sections():
    hooks = load("hooks")
    text = hooks.on_page_markdown("x\n<!-- README: Results, Performance -->\n", page=None)
    assert "## Results\n" in text and "## Performance\n" in text and "<!--" not in text
    with pytest.raises(ValueError, match="README.md has no section '## Nope'"):
        hooks.readme_section("Nope")


@pytest.mark.slow
def test_site_builds_strict_with_every_page(tmp_path):
    site = tmp_path / "site"
    env = {**os.environ, "GLASSNET_DOCS_EXECUTE": "0", "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "WARNING" not in done.stderr
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    for page in ["index", "getting-started", "lessons", "results", "changelog"]:
        assert f"{page}.html" in pages
    guides = ["training", "explain", "cnn", "search", "playground", "saving"]
    assert {f"guides/{g}.html" for g in guides} <= pages
    assert {f"lessons/{p.stem}.html" for p in (ROOT / "examples").glob("[01][0-9]_*.py")} <= pages
    tensor_api = (site / "api" / "tensor.html").read_text(encoding="utf-8")
    assert "<code>Forward:" in tensor_api and "Backward:" in tensor_api  # a code block
    assert "W1: [784, 30, 10]" in (site / "results.html").read_text(encoding="utf-8")
    lesson = (site / "lessons" / "05_backprop_slopes.html").read_text(encoding="utf-8")
    assert "check_gradients" in lesson and "Backpropagation" in lesson
    assert "fonts.googleapis" not in (site / "index.html").read_text(encoding="utf-8")
