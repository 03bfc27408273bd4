"""The lessons' views end to end: real page in Debian's chromium, real server, real engine.

Each test drives one view like a learner and checks that the numbers the page shows equal
what glassnet computes here, in Python, for the same settings; each saves a screenshot
under tests/playground/screenshots/lesson_<view>.png. Every page load also checks that
the console stayed clean and that no request left 127.0.0.1.
"""

import re
from urllib.parse import urlparse

import numpy as np
import pytest

import glassnet as gn
from glassnet._config import no_grad

pytestmark = pytest.mark.slow
TIMEOUT_MS = 20_000


@pytest.fixture
def watched(page):
    """The page, with its console errors and every requested URL recorded."""
    problems, urls = [], []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: urls.append(r.url))
    yield page
    assert problems == []
    hosts = {urlparse(u).hostname for u in urls if not u.startswith(("data:", "blob:"))}
    assert hosts <= {"127.0.0.1"}, hosts


def open_view(page, base: str, view: str):
    page.goto(f"{base}/lessons/{view}")
    page.wait_for_function("window.lesson && window.lesson.ready", timeout=TIMEOUT_MS)


def shown(page, selector: str) -> str:
    return page.inner_text(selector)


def floats(text: str) -> list[float]:
    return [
        float(v) for v in re.findall(r"−?-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text.replace("−", "-"))
    ]


def output_shown(page) -> float:
    return float(re.search(r"output ŷ = (-?[\d.]+)", shown(page, "#explain")).group(1))


def bank_network(activation):
    """The lessons' bank network in glassnet, built here independently of the server."""
    bank = gn.data.load_bank_transactions(dtype=np.float64)
    layers = [gn.nn.Dense(2, 2, dtype=np.float64), activation, gn.nn.Dense(2, 1, dtype=np.float64)]
    model = gn.Sequential(layers)
    model[0].w.data[:], model[2].w.data[:] = bank.w_hidden, bank.w_output
    model[0].b.data[:], model[2].b.data[:] = 0, 0
    return model, bank.x.astype(np.float64)


def test_forward_view_hover_and_focus_show_glassnet_numbers(watched, live_server, screenshot):
    page = watched
    open_view(page, live_server, "forward")
    page.hover("[data-part=out]")
    assert "ŷ = 9" in shown(page, "#explain")
    page.select_option("#activation", "sigmoid")
    page.wait_for_function("window.lesson.last.activation === 'sigmoid'", timeout=TIMEOUT_MS)
    model, x = bank_network(gn.nn.Sigmoid())
    with no_grad():
        z = model[0](x)
        a = model[1](z).data.ravel()
        z0 = float(z.data.ravel()[0])
        expected = model(x).data[0, 0]
    page.focus("[data-part=h0]")  # keyboard access: the node explains itself on focus
    text = shown(page, "#explain")
    assert f"z = {z0:g}" in text and f"a = {round(a[0], 4):g}" in text
    assert f"1 / (1 + e^(−{z0:g}))" in text
    page.hover("[data-part=x1]")
    page.hover("[data-part=out]")
    assert abs(output_shown(page) - expected) < 1e-4
    page.fill("[data-path='x.0']", "4")
    page.dispatch_event("[data-path='x.0']", "change")
    page.wait_for_function("window.lesson.last.x[0] === 4", timeout=TIMEOUT_MS)
    with no_grad():
        expected = model(np.array([[4.0, 3.0]])).data[0, 0]
    page.hover("[data-part=x0]")
    page.hover("[data-part=out]")
    assert abs(output_shown(page) - expected) < 1e-4
    screenshot(page, "lesson_forward")
