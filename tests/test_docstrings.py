"""Docstrings carry the math: every op states Forward and Backward, and examples run."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

import glassnet
import glassnet.ops
from glassnet.autograd import Function


def _modules(package) -> list[str]:
    return [package.__name__] + [
        info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    ]


def _op_classes() -> list[type]:
    found = {}
    for name in _modules(glassnet.ops):
        for _, cls in inspect.getmembers(importlib.import_module(name), inspect.isclass):
            if issubclass(cls, Function) and cls is not Function:
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[key] for key in sorted(found)]


OP_CLASSES = _op_classes()


def test_the_op_modules_define_ops():
    assert len(OP_CLASSES) >= 30


@pytest.mark.parametrize("cls", OP_CLASSES, ids=lambda cls: cls.__qualname__)
def test_every_op_states_forward_and_backward(cls):
    lines = [line.strip() for line in (cls.__doc__ or "").splitlines()]
    for section in ("Forward:", "Backward:"):
        assert any(line.startswith(section) for line in lines), f"{cls.__name__}: no {section}"


@pytest.mark.parametrize("module", _modules(glassnet))
def test_doctests_pass(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
