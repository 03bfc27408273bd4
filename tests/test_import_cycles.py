"""Issue 13: no import cycle among glassnet's modules except tensor <-> ops.

Every import counts, also one inside a function (it runs when the function is called);
imports under ``if TYPE_CHECKING:`` do not (they never run). A package's imports of its
own children are not cycles of interest (``glassnet.nn`` imports ``glassnet.nn.layers``).
The renderings that draw a figure reach glassnet.plot through glassnet.notebook's
registry, so that layering is checked here too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import glassnet as gn
from glassnet import notebook
from glassnet.errors import ConfigError, InternalError

ROOT = Path(gn.__file__).parent.parent


def _modules(root: Path) -> dict[str, Path]:
    mods = {}
    for path in (root / "glassnet").rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _resolve(name: str, mods: dict) -> str:
    while name and name not in mods:
        name = name.rsplit(".", 1)[0] if "." in name else ""
    return name


def _imports(module: str, path: Path, mods: dict) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(sub) for sub in ast.walk(node))
    targets = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets |= {
                _resolve(a.name, mods) for a in node.names if a.name.startswith("glassnet")
            }
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            if base.startswith("glassnet"):
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in mods else _resolve(base, mods))
    return {t for t in targets if t and t != module and not t.startswith(module + ".")}


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the glassnet modules it imports (function-level included)."""
    mods = _modules(root)
    return {m: _imports(m, p, mods) for m, p in mods.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in graph:
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(found)


def test_the_only_import_cycle_is_tensor_and_ops():
    assert cycles(import_graph(ROOT)) == [["glassnet.ops", "glassnet.tensor"]]


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_analysis_finds_a_cycle_through_a_function_level_import(tmp_path):
    _write(
        tmp_path,
        {
            "glassnet/__init__.py": "from glassnet import a\n",
            "glassnet/a.py": "from glassnet.sub import b\n",
            "glassnet/sub/__init__.py": "",
            "glassnet/sub/b.py": "def f():\n    from .. import c\n",
            "glassnet/c.py": "import glassnet.a\n",
            "glassnet/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from glassnet import e\n",
            "glassnet/e.py": "from glassnet import d\n",
        },
    )
    graph = import_graph(tmp_path)
    assert graph["glassnet.sub.b"] == {"glassnet.c"} and graph["glassnet.d"] == set()
    assert cycles(graph) == [["glassnet.a", "glassnet.c", "glassnet.sub.b"]]


def test_notebook_imports_no_glassnet_module_but_errors():
    graph = import_graph(ROOT)
    assert graph["glassnet.notebook"] == {"glassnet.errors"}
    assert "glassnet.plot.reprs" not in graph["glassnet.training.history"]


def test_import_glassnet_registers_every_figure_renderer_without_loading_matplotlib():
    code = (
        "import sys, glassnet.notebook as nb\n"
        "print(sorted(nb._renderers) == sorted(nb.RENDERER_KINDS), 'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


def test_a_history_draws_its_curves_through_the_registry():
    history = gn.training.History()
    assert history._repr_png_() is None  # no epoch yet: Jupyter shows the text repr
    history.on_epoch_end(0, {"loss": 1.0, "val_loss": 1.5})
    history.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.9})
    assert history._repr_png_()[:4] == b"\x89PNG"


def test_render_errors_name_the_kind(monkeypatch):
    with pytest.raises(ConfigError, match=r"register_renderer: unknown renderer kind\. Got 'x'"):
        notebook.register_renderer("x", len)
    with pytest.raises(ConfigError, match=r"the renderer is not callable\. Got int"):
        notebook.register_renderer("history_png", 3)
    monkeypatch.setattr(notebook, "_renderers", {})
    with pytest.raises(InternalError, match=r"render: no renderer registered for 'search_html'"):
        notebook.render("search_html", None)
    notebook.register_renderer("search_html", str.upper)
    assert notebook.render("search_html", "ok") == "OK"
