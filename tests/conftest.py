"""Shared test setup.

``tests/`` has no ``__init__.py``: pytest puts it on ``sys.path``, so test modules import
the op table as ``from optable import ...``. Fixtures here stay few and general.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh seeded generator per test: tests never share random state."""
    return np.random.default_rng(0)
