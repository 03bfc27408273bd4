"""MkDocs hooks: the lessons as executed notebooks, and the README's tables on a page.

- Before each build, examples/01_… to 12_… (jupytext percent scripts, the one source of
  the lessons) are written as notebooks into docs/lessons/ (generated, ignored by git)
  and run in a real kernel so the pages show their printed numbers and figures.
  ``GLASSNET_DOCS_EXECUTE=0`` skips running them (pages show the code only: the test suite
  builds the site that way, having run every notebook already); ``GLASSNET_SMOKE=1``
  runs them with small data.
- A page line ``<!-- README: Results, Performance -->`` is replaced by those sections of
  README.md, so the results and performance tables are written in one place.
"""

from __future__ import annotations

import importlib.util
import os
import re
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README_SECTIONS = re.compile(r"<!-- README: (.+?) -->")


def _lesson_tools():
    path = ROOT / "examples" / "_notebooks.py"
    spec = importlib.util.spec_from_file_location("_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def on_pre_build(config, **kwargs) -> None:
    tools = _lesson_tools()
    run = os.environ.get("GLASSNET_DOCS_EXECUTE", "1") != "0"
    with tempfile.TemporaryDirectory(prefix="glassnet-docs-figures-") as figures:
        env = {"GLASSNET_FIGURES": figures}
        tools.write_all(Path(config["docs_dir"]) / "lessons", run=run, env=env)


def readme_section(title: str) -> str:
    """The README section ``## title`` (its heading one level down, as a page section)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if match is None:
        raise ValueError(f"README.md has no section '## {title}'")
    return f"## {title}\n{match[1]}"


def on_page_markdown(markdown: str, page, **kwargs) -> str:
    def sections(found) -> str:
        return "\n".join(readme_section(t.strip()) for t in found[1].split(","))

    return README_SECTIONS.sub(sections, markdown)
