"""The doctor and the model gradient check live in explain/ and, like every other module,
use only explain's public modules and names."""

import ast
from pathlib import Path

import glassnet as gn
from glassnet.explain import doctor, modelcheck

PACKAGE = Path(gn.__file__).parent


def _private_explain_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("glassnet.explain"):
            parts = node.module.split(".") + [alias.name for alias in node.names]
            found += [f"{node.module}: {p}" for p in parts if p.startswith("_")]
    return found


def test_no_module_imports_a_private_part_of_explain():
    offenders = {
        str(p.relative_to(PACKAGE)): bad
        for p in PACKAGE.rglob("*.py")
        if (bad := _private_explain_imports(p))
    }
    assert offenders == {}


def test_the_doctor_and_the_model_check_are_the_public_names():
    assert gn.doctor is doctor.doctor and gn.check_gradients is modelcheck.check_gradients
    assert "model" in modelcheck.__doc__.splitlines()[0]
    assert not (PACKAGE / "diagnostics.py").exists() and not (PACKAGE / "gradients.py").exists()
