"""Shared settings of the numbered walkthrough (examples/01_… to 12_…).

GLASSNET_SMOKE=1 shrinks every data set and epoch count so the whole walkthrough runs in
seconds (the test suite does this). Figures go to GLASSNET_FIGURES (default
runs/walkthrough, which git ignores). Both are read at each call.
"""

from __future__ import annotations

import os
from pathlib import Path


def is_smoke() -> bool:
    """True under GLASSNET_SMOKE=1."""
    return os.environ.get("GLASSNET_SMOKE") == "1"


def figure(name: str) -> Path:
    """Where to save the figure ``name`` (the folder is created)."""
    folder = Path(os.environ.get("GLASSNET_FIGURES", "runs/walkthrough"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def size(full: int, small: int) -> int:
    """``full`` normally, ``small`` under GLASSNET_SMOKE=1."""
    return small if is_smoke() else full


def section(title: str) -> None:
    print(f"\n=== {title} ===")
