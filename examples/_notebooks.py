"""The lessons as Jupyter notebooks, made from their one source: the percent scripts.

examples/01_tensors.py … 12_fine_tuning.py are jupytext "percent" scripts (``# %%`` code
cells, ``# %% [markdown]`` text cells), so each lesson is written once and is both a
script and a notebook. This module turns them into ``.ipynb`` files and, when asked, runs
them top to bottom in a real Jupyter kernel (nbclient + ipykernel), as the test suite and
the documentation build do::

    python examples/_notebooks.py notebooks/             # write the notebooks
    python examples/_notebooks.py notebooks/ --execute   # ... with their outputs

The kernel is this Python (``sys.executable``), declared in a kernel spec inside a
private folder: nothing is written to the user's Jupyter or IPython settings.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
LESSONS = sorted(HERE.glob("[01][0-9]_*.py"))
KERNEL = "glassnet-lessons"


def to_notebook(script: Path):
    """The lesson script as an (unexecuted) notebook, set to run on :data:`KERNEL`."""
    import jupytext

    notebook = jupytext.read(script, fmt="py:percent")
    notebook.metadata["kernelspec"] = {
        "name": KERNEL,
        "display_name": "Python 3 (glassnet)",
        "language": "python",
    }
    return notebook


@contextlib.contextmanager
def private_jupyter() -> Iterator[Path]:
    """Point Jupyter and IPython at a temporary folder holding the :data:`KERNEL` spec
    (this Python with ipykernel), and restore the environment afterwards."""
    keys = ("JUPYTER_PATH", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")
    saved = {key: os.environ.get(key) for key in keys}
    with tempfile.TemporaryDirectory(prefix="glassnet-jupyter-") as folder:
        root = Path(folder)
        spec = root / "data" / "kernels" / KERNEL
        spec.mkdir(parents=True)
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        kernel = {"argv": argv, "display_name": "Python 3 (glassnet)", "language": "python"}
        (spec / "kernel.json").write_text(json.dumps(kernel))
        for key, sub in zip(keys, ("data", "config", "runtime", "ipython")):
            os.environ[key] = str(root / sub)
        try:
            yield root
        finally:
            for key, value in saved.items():
                os.environ.pop(key, None) if value is None else os.environ.update({key: value})


def execute(notebook, env: dict[str, str] | None = None, timeout: int = 300):
    """Run every cell of ``notebook`` in a fresh :data:`KERNEL` started in examples/ (so
    ``from _walkthrough import ...`` works), inside :func:`private_jupyter`; ``env`` is
    added to the kernel's environment (e.g. ``GLASSNET_SMOKE=1``). Returns the notebook
    with its outputs; a cell that raises raises ``nbclient.exceptions.CellExecutionError``."""
    from nbclient import NotebookClient

    with private_jupyter():
        kernel_env = {**os.environ, **(env or {})}
        client = NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name=KERNEL,
            resources={"metadata": {"path": str(HERE)}},
        )
        return client.execute(env=kernel_env)


def write_all(folder: Path, run: bool = False, env: dict[str, str] | None = None) -> list[Path]:
    """Write every lesson as ``folder/NN_name.ipynb`` (executed when ``run``)."""
    import nbformat

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for script in LESSONS:
        notebook = to_notebook(script)
        if run:
            notebook = execute(notebook, env)
        path = folder / f"{script.stem}.ipynb"
        nbformat.write(notebook, path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the lessons as Jupyter notebooks.")
    parser.add_argument("folder", type=Path, help="where to write NN_name.ipynb")
    parser.add_argument("--execute", action="store_true", help="run them and keep the outputs")
    args = parser.parse_args(argv)
    for path in write_all(args.folder, args.execute):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
