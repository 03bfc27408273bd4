"""End to end: the real page in headless Debian chromium, the real server, the real engine.

Each test opens its own tab (its own server session), drives the page like a user, and
saves a screenshot under tests/playground/screenshots/. The update rate while training
the default 2 → 4 → 4 → 2 network on circles is measured and written to
screenshots/update_rate.txt (reported, never asserted).
"""

import re
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlparse
from urllib.request import urlopen

import numpy as np
import pytest

import glassnet as gn
from glassnet.playground.datasets import prepare
from glassnet.playground.protocol import validate_settings

pytestmark = pytest.mark.slow
TIMEOUT_MS = 20_000


def open_page(page, base: str, query: str = ""):
    page.goto(f"{base}/?{query}")
    wait_js(page, "window.playground && window.playground.updates > 0")


def wait_js(page, condition: str):
    page.wait_for_function(condition, timeout=TIMEOUT_MS)


def number(page, selector: str) -> float:
    return float(page.inner_text(selector).rstrip("%"))


def pause(page):
    page.click("#play")
    wait_js(page, "!window.playground.playing")


def url_settings(page) -> dict:
    """The settings the page's URL holds, as the server validates them."""
    query = parse_qs(urlparse(page.url).query)
    raw = {k: v[0] for k, v in query.items()}
    for key in ("samples", "classes", "batch_size", "seed"):
        raw[key] = int(raw[key])
    for key in ("noise", "test_size", "lr", "l2", "l1", "dropout"):
        raw[key] = float(raw[key])
    raw["features"] = raw["features"].split(",")
    raw["hidden"] = [int(n) for n in raw.get("hidden", "").split(",") if n]
    return validate_settings(raw)


RATE_JS = """async () => {
    const u0 = window.playground.updates, t0 = performance.now();
    await new Promise((done) => setTimeout(done, 2500));
    const rate = (window.playground.updates - u0) / ((performance.now() - t0) / 1000);
    return [rate, window.playground.renderMs];
}"""


def measure_rate(page, query: str) -> str:
    """Updates per second the page receives and draws while playing (plus its draw time)."""
    open_page(page, live_server_url(page), query)
    page.click("#play")
    wait_js(page, "window.playground.playing && window.playground.updates > 3")
    rate, render_ms = page.evaluate(RATE_JS)
    pause(page)
    return f"{rate:.1f} updates/s (page draws one in {render_ms:.1f} ms)"


def live_server_url(page) -> str:
    parts = urlparse(page.url)
    return f"{parts.scheme}://{parts.netloc}"


def test_play_on_circles_the_test_loss_falls_and_the_rate_is_measured(
    page, live_server, screenshot, screenshots_dir
):
    open_page(page, live_server, "dataset=circles&hidden=4,4&seed=0")
    first = number(page, "#test-loss")
    page.click("#play")
    wait_js(page, "window.playground.state.epoch >= 20")
    pause(page)
    last = number(page, "#test-loss")
    assert last < 0.5 * first, (first, last)
    assert number(page, "#test-accuracy") > 90
    assert int(page.inner_text("#epoch")) >= 20
    screenshot(page, "circles_trained")
    rates = {
        "2-4-4-2 (x1, x2; hidden 4, 4)": measure_rate(page, "dataset=circles&hidden=4,4"),
        "4-4-2 (x1, x2, x1², x2²; hidden 4)": measure_rate(
            page, "dataset=circles&hidden=4&features=x1,x2,x1%5E2,x2%5E2"
        ),
    }
    report = "".join(f"circles, {net}: {rate}\n" for net, rate in rates.items())
    (screenshots_dir / "update_rate.txt").write_text(report)
    print("\nplayground update rate while training:\n" + report)


def test_learning_rate_changes_mid_run(page, live_server):
    open_page(page, live_server, "dataset=xor&lr=0.03")
    page.click("#play")
    wait_js(page, "window.playground.state.steps > 20")
    page.fill("#lr", "0.003")
    page.dispatch_event("#lr", "change")
    wait_js(page, "window.playground.state.lr === 0.003")
    steps = page.evaluate("window.playground.state.steps")
    wait_js(page, f"window.playground.state.steps > {steps + 20}")
    assert page.evaluate("window.playground.playing") is True
    pause(page)
    assert "lr=0.003" in page.url
    sid = page.evaluate("window.playground.session")
    script = urlopen(f"{live_server}/api/export/{sid}/script").read().decode()
    changes = re.search(r"LR_CHANGES = \{(\d+): 0\.003\}", script)
    assert changes and int(changes.group(1)) > 20, script[-1500:]


def test_hovering_a_weight_shows_the_numbers_of_gn_explain_weight(
    page, live_server, tmp_path, screenshot
):
    open_page(page, live_server, "dataset=circles&hidden=4&optimizer=sgd&lr=0.1")
    page.click("#step-epoch")
    wait_js(page, "window.playground.state.epoch === 1")
    point = page.evaluate("window.playground.network.edgePoint(0, 1, 2, 0.3)")
    page.mouse.move(*point)
    page.wait_for_selector("#ex-gradient", timeout=TIMEOUT_MS)
    title = page.inner_text("#explain-title")
    name = re.search(r"(\d+\.[wb]\[[\d, ]+\])", title).group(1)
    sample = int(re.search(r"example #(\d+)", title).group(1))
    shown = {k: float(page.inner_text(f"#ex-{k}")) for k in ("value", "gradient", "new")}
    screenshot(page, "weight_explained")

    sid = page.evaluate("window.playground.session")
    path = tmp_path / "model.gn"
    path.write_bytes(urlopen(f"{live_server}/api/export/{sid}/model").read())
    model = gn.load_model(str(path))
    data = prepare(url_settings(page))
    x, y = data.x_train[sample : sample + 1], data.y_train[sample : sample + 1]
    e = gn.explain.weight(model, x, y, name, loss="cross_entropy", lr=0.1)
    assert shown["value"] == pytest.approx(e.value, rel=1e-5)
    assert shown["gradient"] == pytest.approx(e.gradient, rel=1e-5, abs=1e-12)
    assert shown["new"] == pytest.approx(e.new_value, rel=1e-5)


def test_export_downloads_a_script_that_reaches_the_same_accuracy(page, live_server, tmp_path):
    open_page(page, live_server, "dataset=gaussians&hidden=3&noise=0.3&seed=4")
    page.click("#play")
    wait_js(page, "window.playground.state.epoch >= 5")
    pause(page)
    accuracy = page.evaluate("window.playground.state.test_accuracy")
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.click("#export")
    deadline = time.monotonic() + 20
    while len(downloads) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    files = {d.suggested_filename: d for d in downloads}
    assert set(files) == {"glassnet_playground.py", "playground_model.gn"}
    for name, download in files.items():
        download.save_as(tmp_path / name)
    run = subprocess.run(
        [sys.executable, "glassnet_playground.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert f"test accuracy {accuracy:.4f}" in run.stdout
    model = gn.load_model(str(tmp_path / "playground_model.gn"))
    data = prepare(url_settings(page))
    predicted = model.predict(data.x_test).argmax(axis=1)
    assert np.mean(predicted == data.y_test) == pytest.approx(accuracy)


def test_upload_a_csv_choose_the_target_and_train(page, live_server, tmp_path, screenshot):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(150, 2))
    label = (x[:, 0] * x[:, 1] > 0).astype(int)
    rows = [f"{a:.4f},{b:.4f},{k}" for (a, b), k in zip(x, label)]
    path = tmp_path / "quadrants.csv"
    path.write_text("\n".join(["left,right,same_sign", *rows]) + "\n")
    open_page(page, live_server, "hidden=6,6")
    page.click("button[data-dataset='csv']")
    page.set_input_files("#csv-file", str(path))
    wait_js(page, "window.playground.topology?.settings.dataset === 'csv'")
    assert page.input_value("#target") == "same_sign"
    assert "150 rows, 3 columns" in page.inner_text("#csv-info")
    assert page.evaluate("window.playground.topology.sizes") == [2, 6, 6, 2]
    page.click("#play")
    wait_js(page, "window.playground.state.epoch >= 40")
    pause(page)
    assert number(page, "#test-accuracy") > 75
    page.fill("#sample", "5")
    page.dispatch_event("#sample", "change")
    page.click(".node[data-layer='0'][data-unit='1']")
    page.wait_for_selector("#ex-z", timeout=TIMEOUT_MS)
    assert "training example #5" in page.inner_text("#explain-title")
    screenshot(page, "csv_trained")


def test_mnist_subset_shows_digits_with_predictions_and_first_layer_images(
    page, live_server, screenshot
):
    open_page(page, live_server, "dataset=mnist&samples=600&hidden=8&lr=0.01")
    page.click("#step-epoch")
    wait_js(page, "window.playground.state.epoch === 1")
    captions = page.locator("#digits figcaption").all_inner_texts()
    assert len(captions) == 16 and all(c.isdigit() for c in captions)
    assert page.locator("#filters canvas").count() == 8
    screenshot(page, "mnist")


def test_the_url_reproduces_the_run_and_the_buttons_edit_the_network(
    page, live_server, screenshot
):
    query = (
        "dataset=spiral&classes=3&hidden=5,3&seed=7&lr=0.01&batch_size=8&features=x1,x2,sin(x1)"
    )
    open_page(page, live_server, query)
    settings = page.evaluate("window.playground.topology.settings")
    assert (settings["classes"], settings["hidden"], settings["seed"]) == (3, [5, 3], 7)
    assert settings["features"] == ["x1", "x2", "sin(x1)"] and settings["batch_size"] == 8
    page.click("#step-epoch")
    wait_js(page, "window.playground.state.epoch === 1")
    weights = page.evaluate("window.playground.state.weights")

    again = page.context.new_page()
    open_page(again, live_server, urlparse(page.url).query)
    again.click("#step-epoch")
    wait_js(again, "window.playground.state.epoch === 1")
    assert again.evaluate("window.playground.state.weights") == weights

    odd = page.context.new_page()  # a hand-edited URL is tidied before the server sees it
    open_page(odd, live_server, "hidden=100,abc,3&lr=fast&features=x9")
    settings = odd.evaluate("window.playground.topology.settings")
    assert (settings["hidden"], settings["lr"], settings["features"]) == (
        [64, 3],
        0.03,
        ["x1", "x2"],
    )

    again.click("#add-layer")
    wait_js(again, "window.playground.topology.sizes.length === 5")
    again.locator(".neuron-buttons button", has_text="+").first.click()
    wait_js(again, "window.playground.topology.sizes[1] === 6")
    assert "hidden=6%2C3%2C4" in again.url
    again.click(".node[data-layer='0'][data-unit='2']")
    again.wait_for_selector("#ex-z", timeout=TIMEOUT_MS)
    z, a = number(again, "#ex-z"), number(again, "#ex-a")
    assert a == pytest.approx(np.tanh(z), rel=1e-4, abs=1e-6)
    assert "weighted sum" in again.inner_text("#explain-numbers")
    screenshot(again, "neuron_explained")


def test_closing_the_tab_stops_its_training(page, live_server, playground_app):
    open_page(page, live_server, "dataset=circles")
    page.click("#play")
    wait_js(page, "window.playground.playing && window.playground.updates > 2")
    sid = page.evaluate("window.playground.session")
    conn = playground_app.state.sessions[sid]
    assert conn.playing
    page.close()
    deadline = time.monotonic() + 10
    while sid in playground_app.state.sessions and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sid not in playground_app.state.sessions and not conn.playing
    steps = conn.session.steps
    time.sleep(0.3)
    assert conn.session.steps <= steps + conn.session.batches_per_epoch
