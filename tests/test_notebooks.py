"""The lessons as notebooks, run headless in a real Jupyter kernel (nbclient + ipykernel).

Each lesson (examples/01_… to 12_…, jupytext percent scripts: the one source) becomes a
notebook and runs top to bottom in smoke mode (GLASSNET_SMOKE=1). Checked: no cell fails,
every cell that draws a figure shows it as an image, nothing is rendered twice (rich's
Jupyter mode used to add ~20 HTML fragments beside printed text), and training with
``verbose=1`` leaves one finished progress bar per epoch, updated in place. A second
notebook shows glassnet's objects as the last value of a cell: one rich output each.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbclient")
pytest.importorskip("jupytext")
pytest.importorskip("ipykernel")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))
import _notebooks  # noqa: E402

RICH_JUPYTER_HTML = '<pre style="white-space:pre;overflow-x:auto'  # rich's Jupyter template


def outputs(cell) -> list:
    return cell.get("outputs", []) if cell.cell_type == "code" else []


def plain(output) -> str:
    if output.output_type == "stream":
        return output.text
    return output.get("data", {}).get("text/plain", "")


def rendered_twice(cell) -> list[str]:
    """What this cell shows more than once: two outputs with the same text, a printed line
    repeated in a display output, or a fragment from rich's Jupyter mode."""
    found, shown = [], []
    printed = {
        line.strip()
        for o in outputs(cell)
        if o.output_type == "stream"
        for line in o.text.splitlines()
        if len(line.strip()) > 20
    }
    for output in outputs(cell):
        data = output.get("data", {})
        if RICH_JUPYTER_HTML in data.get("text/html", ""):
            found.append("rich Jupyter HTML: " + data["text/html"][:80])
        if output.output_type == "stream":
            continue
        text = plain(output).strip()
        if text and text in shown:
            found.append("shown twice: " + text[:80])
        shown.append(text)
        found += [f"printed and displayed: {line[:60]}" for line in printed if line in text]
    return found


@pytest.fixture(scope="module")
def smoke_env(tmp_path_factory) -> dict[str, str]:
    return {"GLASSNET_SMOKE": "1", "GLASSNET_FIGURES": str(tmp_path_factory.mktemp("figures"))}


def test_every_lesson_is_a_notebook_with_text_and_code_cells():
    assert [p.name[:2] for p in _notebooks.LESSONS] == [f"{i:02d}" for i in range(1, 13)]
    for script in _notebooks.LESSONS:
        notebook = _notebooks.to_notebook(script)
        kinds = [cell.cell_type for cell in notebook.cells]
        assert kinds[0] == "markdown" and "code" in kinds, script.name
        assert notebook.cells[0].source.startswith(f"# {int(script.name[:2])}. "), script.name
        assert notebook.metadata["kernelspec"]["name"] == _notebooks.KERNEL


@pytest.mark.slow
@pytest.mark.parametrize("script", _notebooks.LESSONS, ids=lambda p: p.stem)
def test_lesson_notebook_runs_in_a_kernel(script, smoke_env):
    notebook = _notebooks.execute(_notebooks.to_notebook(script), smoke_env, timeout=240)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for cell in code:
        assert not [o for o in outputs(cell) if o.output_type == "error"]
        assert rendered_twice(cell) == [], cell.source[:80]
        if "gn.plot." in cell.source or "LivePlot(" in cell.source:
            images = [o for o in outputs(cell) if "image/png" in o.get("data", {})]
            assert len(images) == 1, f"{script.name}: no single figure in\n{cell.source[:200]}"
    for cell in (c for c in code if "verbose=1" in c.source):
        bars = [o for o in outputs(cell) if "<progress" in o.get("data", {}).get("text/html", "")]
        assert bars, f"{script.name}: no progress bar in\n{cell.source[:200]}"
        for bar in bars:  # updated in place to the end: one finished bar per epoch
            done = re.search(r"\] (\d+)/(\d+) - ", bar.data["text/plain"])
            assert done and done[1] == done[2], bar.data["text/plain"]
    assert any(o.output_type == "stream" for c in code for o in outputs(c))


OBJECTS = [
    "import numpy as np\nimport glassnet as gn\n"
    "x, y = gn.data.make_circles(60, noise=0.1, seed=0)\n"
    "model = gn.Sequential([gn.nn.Dense(2, 8, seed=0), gn.nn.Tanh(), gn.nn.Dense(8, 2, seed=1)])\n"
    "model.compile('adam', 'cross_entropy', ['accuracy'])",
    "gn.tensor([[1.0, 2.0]], requires_grad=True) * 3",
    "model",
    "model.summary()",
    "history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=1, seed=0)\nhistory",
    "print(gn.explain.forward(model, x[0]))",
    "gn.explain.forward(model, x[0])",
    "gn.check_gradients(model, x[:8], y[:8], loss='cross_entropy')",
    "gn.doctor(history=history, model=model)",
    "def build(params, seed):\n"
    "    m = gn.Sequential([gn.nn.Dense(2, params['hidden'], seed=seed), gn.nn.ReLU(),\n"
    "                       gn.nn.Dense(params['hidden'], 2, seed=seed + 1)])\n"
    "    return m.compile('adam', 'cross_entropy')\n"
    "gn.tune.random_search(build, {'hidden': gn.tune.IntUniform(2, 8)}, n_trials=2, x=x, y=y,\n"
    "                      validation_split=0.25, epochs=2, seed=0)",
    "gn.plot.activations()",
]


@pytest.mark.slow
def test_objects_render_once_with_their_rich_form():
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in OBJECTS])
    cells = _notebooks.execute(notebook, timeout=120).cells
    assert [rendered_twice(cell) for cell in cells] == [[]] * len(cells)

    def shown(i: int) -> dict:  # the cell's value, as a result or a display of its own
        results = [o for o in cells[i].outputs if o.output_type != "stream"]
        assert len(results) == 1, cells[i].source
        return results[0].data

    assert "made by Mul" in shown(1)["text/html"] and "shape (1, 2)" in shown(1)["text/html"]
    assert "Total params: 42" in shown(2)["text/html"]
    assert [o.output_type for o in cells[3].outputs] == ["stream"]  # printed once, no value
    assert "Total params: 42" in cells[3].outputs[0].text
    kinds = [(o.output_type, "image/png" in o.data) for o in cells[4].outputs]
    assert kinds == [("display_data", False)] * 3 + [("execute_result", True)]  # 3 bars, curves
    assert [o.output_type for o in cells[5].outputs] == ["stream"]  # the text, nothing else
    for i in (6, 8):  # explanation, doctor: Markdown
        assert shown(i)["text/markdown"].startswith("## ")
    assert [o.output_type for o in cells[7].outputs] == ["stream"]  # check_gradients prints
    assert "Gradient check" in cells[7].outputs[0].text
    assert "rank" in shown(9)["text/html"] and "SearchResult(2 trials" in shown(9)["text/html"]
    assert "data:image/png;base64," in shown(9)["text/html"]
    assert shown(10)["image/png"]


def test_outside_jupyter_training_prints_lines_and_liveplot_saves_one_figure(tmp_path):
    code = (
        "import sys, glassnet as gn\n"
        "x, y = gn.data.make_xor(40, seed=0)\n"
        "model = gn.Sequential([gn.nn.Dense(2, 4, seed=0), gn.nn.Tanh(), gn.nn.Dense(4, 2)])\n"
        "model.compile('adam', 'cross_entropy', ['accuracy'])\n"
        "live = gn.callbacks.LivePlot(every=2)\n"
        "model.fit(x, y, epochs=3, verbose=1, callbacks=[live], seed=0)\n"
        "print(type(live.figure).__name__, 'IPython' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" - ")[0] for line in lines[:3]] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert lines[3:] == ["LivePlot: saved runs/liveplot.png", "GlassnetFigure False"]
    assert (tmp_path / "runs" / "liveplot.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("every", [0, 1.5, True])
def test_liveplot_every_must_be_a_whole_number_of_epochs(every):
    import glassnet as gn

    with pytest.raises(gn.ConfigError, match=r"LivePlot: every must be a whole number of epochs"):
        gn.callbacks.LivePlot(every=every)
