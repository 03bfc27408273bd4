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
    # keyboard access: the node explains itself on focus. The pointer leaves the diagram
    # first: redrawn under a resting pointer, "out" gets a late mouseenter from Chromium
    page.mouse.move(0, 0)
    page.focus("[data-part=h0]")
    page.wait_for_function(
        "document.querySelector('#explain').textContent.startsWith('hidden node h1')",
        timeout=TIMEOUT_MS,
    )
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


def set_range(page, selector: str, value: float):
    page.eval_on_selector(
        selector, "(e, v) => { e.value = v; e.dispatchEvent(new Event('input')); }", value
    )


def line_data(count=12, seed=0):
    from glassnet.playground.lessons import line_points

    return line_points(count, seed)


def test_line_fitter_errors_best_fit_and_descent_match_glassnet(watched, live_server, screenshot):
    page = watched
    open_view(page, live_server, "line")
    set_range(page, "#m", 0.5)
    set_range(page, "#b", 0.25)
    page.wait_for_function("window.lesson.last.m === 0.5 && window.lesson.last.b === 0.25")
    x, y = line_data()
    with no_grad():
        mse = gn.losses.MSE()(gn.tensor(0.5 * x + 0.25), y).item()
    assert abs(float(shown(page, "#mse")) - mse) < 1e-3
    assert abs(float(shown(page, "#total")) - mse * len(x)) < 1e-2
    page.check("#best")
    slope, intercept = np.polyfit(x, y, 1)
    best = floats(shown(page, "#best-info"))
    assert abs(best[0] - slope) < 1e-3 and abs(best[1] - intercept) < 1e-3
    # gradient descent from (0.5, 0.25), lr 0.1, 60 steps, by glassnet's SGD here
    m = gn.tensor(np.array([0.5]), requires_grad=True, dtype=np.float64)
    b = gn.tensor(np.array([0.25]), requires_grad=True, dtype=np.float64)
    optimizer = gn.optim.SGD([m, b], lr=0.1)
    for _ in range(60):
        optimizer.zero_grad()
        gn.losses.MSE()(gn.tensor(x) * m + b, y).backward()
        optimizer.step()
    page.click("#descend")
    page.wait_for_function("window.lesson.ready && window.lesson.path", timeout=TIMEOUT_MS)
    info = floats(shown(page, "#descent-info"))
    assert info[0] == 60
    assert abs(info[1] - m.data[0]) < 1e-3 and abs(info[2] - b.data[0]) < 1e-3
    screenshot(page, "lesson_line")
    page.fill("#lr", "1.2")  # too large: every step overshoots further
    page.evaluate("window.lesson.path = null")
    page.click("#descend")
    page.wait_for_function("window.lesson.ready && window.lesson.path", timeout=TIMEOUT_MS)
    assert "diverged" in shown(page, "#descent-info")


def table_values(page, selector: str) -> np.ndarray:
    rows = page.eval_on_selector_all(
        f"{selector} tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText))"
    )
    return np.array([[float(v.replace("−", "-")) for v in row] for row in rows])


def test_matrix_stepper_shows_glassnet_products_sums_and_results(watched, live_server, screenshot):
    page = watched
    open_view(page, live_server, "matrix")
    page.fill("[data-cell=a-0-1] input", "-2.5")
    page.dispatch_event("[data-cell=a-0-1] input", "change")
    page.wait_for_function("window.lesson.last.result[0][0] === 17.5", timeout=TIMEOUT_MS)
    a = np.array([[1, -2.5, 3], [4, 5, 6]])
    b = np.array([[7, 8], [9, 10], [11, 12]])
    product = (gn.tensor(a) @ gn.tensor(b)).data
    for _ in range(4):  # c[1,1], c[1,2], c[2,1], then c[2,2]
        page.click("#step")
    text = shown(page, "#step-text")
    assert text.startswith("c[2,2] = row 2 of A · column 2 of B")
    terms = (gn.tensor(a[1]) * gn.tensor(b[:, 1])).data
    assert " + ".join(f"{t:g}" for t in terms) in text
    assert text.endswith(f"= {product[1, 1]:g}")
    assert page.get_attribute("[data-cell=c-1-1]", "class") == "hot"
    np.testing.assert_allclose(table_values(page, "#result"), product)
    screenshot(page, "lesson_matrix")
    page.select_option("#op", "transpose")
    page.wait_for_function("window.lesson.last.op === 'transpose'", timeout=TIMEOUT_MS)
    np.testing.assert_allclose(table_values(page, "#result"), gn.tensor(a).T.data)
    page.select_option("#op", "scalar")
    page.fill("#k", "-3")
    page.dispatch_event("#k", "change")
    page.wait_for_function("window.lesson.last.k === -3", timeout=TIMEOUT_MS)
    np.testing.assert_allclose(table_values(page, "#result"), (gn.tensor(a) * -3.0).data)


def xor_iterations(count: int, lr: float = 1.0, seed: int = 1) -> list[dict]:
    """The lessons' 3 → 4 → 1 sigmoid network on its XOR data, in glassnet, from scratch."""
    rng = np.random.default_rng(seed)
    w1 = gn.tensor(rng.uniform(-1, 1, (3, 4)), requires_grad=True, dtype=np.float64)
    w2 = gn.tensor(rng.uniform(-1, 1, (4, 1)), requires_grad=True, dtype=np.float64)
    x, y = (gn.tensor(a, dtype=np.float64) for a in gn.data.load_three_layer_toy())
    optimizer, records = gn.optim.SGD([w1, w2], lr=lr), []
    for _ in range(count):
        optimizer.zero_grad()
        z1 = x @ w1
        z2 = z1.sigmoid() @ w2
        z1.retain_grad()
        z2.retain_grad()
        loss = ((z2.sigmoid() - y) ** 2).sum() * 0.5
        loss.backward()
        optimizer.step()
        records.append(
            {"loss": loss.item(), "delta2": z2.grad, "delta1": z1.grad, "grad1": w1.grad.copy()}
        )
    records[-1].update(w1=w1.data.copy(), w2=w2.data.copy())
    return records


def test_backprop_view_deltas_slopes_updates_and_falling_error(watched, live_server, screenshot):
    page = watched
    open_view(page, live_server, "backprop")
    assert shown(page, "#phase") == "forward"
    for phase in ("output", "hidden", "update"):
        page.click("#step")
        page.wait_for_function(f"document.querySelector('#phase').innerText === '{phase}'")
    first = xor_iterations(1)[0]
    np.testing.assert_allclose(table_values(page, "#delta2"), first["delta2"], atol=1e-4)
    np.testing.assert_allclose(table_values(page, "#delta1"), first["delta1"], atol=1e-4)
    np.testing.assert_allclose(table_values(page, "#grad1"), first["grad1"], atol=1e-4)
    np.testing.assert_allclose(table_values(page, "#w1"), first["w1"], atol=1e-4)
    page.check("#fast")
    page.click("#play")
    page.wait_for_function("Number(document.querySelector('#iteration').innerText) > 400")
    page.click("#play")
    page.wait_for_function("!window.lesson.playing")
    page.wait_for_timeout(700)  # a request already on its way lands
    iterations = int(shown(page, "#iteration"))
    records = xor_iterations(iterations)
    assert abs(float(shown(page, "#loss")) - records[-1]["loss"]) < 1e-4
    assert records[-1]["loss"] < 0.5 * records[0]["loss"]
    screenshot(page, "lesson_backprop")


def test_race_curves_equal_glassnet_optimizers_and_rate_is_measured(
    watched, live_server, screenshot, screenshots_dir
):
    from glassnet.playground.lesson_race import Race, race_data, race_model

    page = watched
    open_view(page, live_server, "race")
    lr = float(shown(page, "#lr-out"))
    page.click("#play")
    page.wait_for_function("window.lesson.race.updates >= 30", timeout=TIMEOUT_MS)
    rate = page.evaluate(
        """async () => { const R = window.lesson.race, u0 = R.updates, t0 = performance.now();
        await new Promise((done) => setTimeout(done, 2500));
        return (R.updates - u0) / ((performance.now() - t0) / 1000); }"""
    )
    page.click("#play")
    page.wait_for_function("!window.lesson.playing", timeout=TIMEOUT_MS)
    updates = page.evaluate("window.lesson.race.updates")
    race = Race(lr)
    expected = race.step(lr, updates)["losses"]
    for name, losses in expected.items():
        text = shown(page, f"[data-loss='{name}']")
        assert abs(float(text) - losses[-1]) <= 1e-4 * max(1, abs(losses[-1])), (name, text)
    x, y = race_data()  # GD, independently: full-batch SGD from the same initial weights
    model = race_model()
    optimizer = gn.optim.SGD(model.parameters(), lr=lr)
    for _ in range(updates):
        optimizer.zero_grad()
        gn.losses.MSE()(model(x), y).backward()
        optimizer.step()
    with no_grad():
        gd = gn.losses.MSE()(model(x), y).item()
    assert abs(float(shown(page, "[data-loss='GD']")) - gd) < 1e-4
    screenshot(page, "lesson_race")
    line = f"race, five optimizers, one update each per round: {rate:.1f} rounds/s\n"
    (screenshots_dir / "race_rate.txt").write_text(line)
    print("\n" + line)
    assert rate > 0


def probabilities_shown(page) -> np.ndarray:
    return np.array([float(shown(page, f"[data-class='{k}']")) for k in range(10)])


def test_cnn_explainer_maps_probabilities_and_one_convolution(watched, live_server, screenshot):
    from glassnet.vision import mnist_to_images

    page = watched
    open_view(page, live_server, "cnn")
    page.fill("#test-index", "3")
    page.click("#load")
    page.wait_for_function("window.lesson.last.label !== undefined && window.lesson.ready")
    page.wait_for_function("document.querySelector('#label').innerText.includes('test label')")
    (_, _), (x_test, y_test) = gn.data.load_mnist()
    image = mnist_to_images(x_test[3:4])
    model = gn.pretrained.load("mnist-cnn")
    model.eval()
    with no_grad():
        conv = model[0](image).data
        expected = model(image).softmax(axis=-1).data[0]
    np.testing.assert_allclose(probabilities_shown(page), expected, atol=1e-4)
    assert int(shown(page, "#prediction")) == int(expected.argmax())
    assert f"test label {y_test[3]}" in shown(page, "#label")
    canvas = page.locator("canvas[data-layer='0'][data-channel='5']")
    width, height = canvas.evaluate("c => [c.clientWidth, c.clientHeight]")  # inside the border
    i, j = 14, 9  # click the middle of feature-map pixel (14, 9)
    canvas.click(position={"x": (j + 0.5) * width / 28, "y": (i + 0.5) * height / 28})
    page.wait_for_function("window.lesson.pixel && window.lesson.ready")
    text = shown(page, "#conv-sum")
    assert f"= {round(float(conv[0, 5, i, j]), 4):g} (glassnet" in text
    patch = np.pad(image[0, 0], 1)[i : i + 3, j : j + 3]
    np.testing.assert_allclose(
        table_values(page, "#pixel .row div:nth-child(1)"), patch, atol=1e-4
    )
    weights = model[0].w.data[5, 0]
    np.testing.assert_allclose(
        table_values(page, "#pixel .row div:nth-child(2)"), weights, atol=1e-4
    )
    with no_grad():
        relu = model[2](model[1](model[0](image))).data[0, 5, i, j]
    assert abs(float(shown(page, "[data-after=ReLU]")) - relu) < 1e-4
    screenshot(page, "lesson_cnn")
    page.click("#clear")  # draw a stroke: the page sends its 784 pixels, glassnet classifies
    pad = page.locator("#draw").bounding_box()
    page.mouse.move(pad["x"] + 140, pad["y"] + 40)
    page.mouse.down()
    page.mouse.move(pad["x"] + 140, pad["y"] + 240, steps=12)
    page.mouse.up()
    page.wait_for_function("window.lesson.last.label === null && window.lesson.ready")
    pixels = np.array(page.evaluate("window.lesson.cnn.source.pixels"), dtype=np.float32)
    with no_grad():
        drawn = model(pixels.reshape(1, 1, 28, 28)).softmax(axis=-1).data[0]
    np.testing.assert_allclose(probabilities_shown(page), drawn, atol=1e-4)
