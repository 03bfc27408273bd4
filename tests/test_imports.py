"""``import glassnet`` stays light, and the library never imports its test oracle, torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import glassnet

HEAVY = ["dask", "distributed", "hypothesis", "matplotlib", "starlette", "torch", "uvicorn"]


def test_import_glassnet_loads_no_heavy_or_optional_library():
    code = (
        "import sys, glassnet\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_no_library_module_imports_torch():
    package = Path(glassnet.__file__).parent
    offenders = [
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if "torch" in _imported_modules(p)
    ]
    assert offenders == []
