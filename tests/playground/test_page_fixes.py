"""The playground page as a learner meets it: lost connections, phones, switching data sets,
and the lessons menu. Real server, Debian's chromium; no mocks.
"""

import threading
import time
from urllib.parse import parse_qs, urlparse

import pytest

from tests.playground.conftest import _free_port

pytestmark = pytest.mark.slow
TIMEOUT_MS = 20_000
VIEWS = ["forward", "line", "matrix", "backprop", "race", "cnn"]


def start_server(port: int):
    """A playground server on ``port`` in a thread; returns (server, thread) once it listens."""
    import uvicorn

    from glassnet.playground.server import LOOPBACK_NAMES, create_app

    server = uvicorn.Server(
        uvicorn.Config(create_app(LOOPBACK_NAMES), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    return server, thread


def stop_server(server, thread):
    server.should_exit = True
    thread.join(timeout=10)
    assert not thread.is_alive()


def ready(page):
    page.wait_for_function(
        "window.playground && window.playground.updates > 0", timeout=TIMEOUT_MS
    )


def test_the_page_reconnects_after_a_server_restart_and_keeps_its_settings(page):
    port = _free_port()
    server, thread = start_server(port)
    try:
        page.goto(f"http://127.0.0.1:{port}/?dataset=xor&hidden=3&lr=0.01&seed=7")
        ready(page)
        page.click("#play")
        page.wait_for_function("window.playground.playing", timeout=TIMEOUT_MS)
        first_session = page.evaluate("window.playground.session")
    finally:
        stop_server(server, thread)
    page.wait_for_function("!window.playground.connected", timeout=TIMEOUT_MS)
    assert page.is_visible("#disconnected")
    assert page.inner_text("#play") == "▶ Play"  # the button shows that nothing is training
    page.wait_for_timeout(2500)  # the notice stays while the server is away
    assert page.is_visible("#disconnected")
    server, thread = start_server(port)
    try:
        page.wait_for_function(
            "window.playground.connected && window.playground.session !== "
            f"'{first_session}' && window.playground.topology",
            timeout=TIMEOUT_MS,
        )
        page.wait_for_function("window.playground.state", timeout=TIMEOUT_MS)
        assert not page.is_visible("#disconnected")
        settings = page.evaluate("window.playground.topology.settings")
        assert settings["dataset"] == "xor" and settings["hidden"] == [3]
        assert settings["lr"] == 0.01 and settings["seed"] == 7
    finally:
        stop_server(server, thread)


def query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_switching_data_sets_picks_the_loss_and_resets_mnist_samples(page, live_server):
    page.goto(f"{live_server}/?dataset=circles")
    ready(page)
    page.click("[data-dataset=regression_plane]")
    page.wait_for_function("window.playground.topology.settings.dataset === 'regression_plane'")
    assert query(page)["loss"] == "squared_error"
    assert page.is_hidden("#classes-box")
    page.click("[data-dataset=spiral]")
    page.wait_for_function("window.playground.topology.settings.dataset === 'spiral'")
    assert query(page)["loss"] == "cross_entropy"
    page.click("[data-dataset=mnist]")
    page.wait_for_function("window.playground.topology.settings.dataset === 'mnist'")
    assert int(query(page)["samples"]) >= 1000
    assert page.is_hidden("#noise-box") and page.is_hidden("#features")
    page.click("[data-dataset=xor]")
    page.wait_for_function("window.playground.topology.settings.dataset === 'xor'")
    assert query(page)["samples"] == "400"


def test_out_of_range_numbers_never_reach_the_url(page, live_server):
    page.goto(f"{live_server}/?dataset=circles&lr=100&samples=999999")
    ready(page)  # a model is built: the bad URL values fell back to the defaults
    assert query(page)["lr"] == "0.03" and query(page)["samples"] == "400"
    page.fill("#samples", "7")
    page.dispatch_event("#samples", "change")
    assert page.is_visible("#error")
    assert "samples: 7 is out of range; expected 20 … 5000." in page.inner_text("#error")
    assert query(page)["samples"] == "400" and page.input_value("#samples") == "400"


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_390_px_wide_pages_do_not_scroll_sideways(browser, live_server, screenshots_dir):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/")
        ready(page)
        assert overflow(page) <= 0
        page.screenshot(path=str(screenshots_dir / "phone_playground.png"), full_page=True)
        for view in VIEWS:
            page.goto(f"{live_server}/lessons/{view}")
            page.wait_for_function("window.lesson && window.lesson.ready", timeout=TIMEOUT_MS)
            assert overflow(page) <= 0, view
            page.screenshot(path=str(screenshots_dir / f"phone_lesson_{view}.png"))
        page.goto(f"{live_server}/lessons/forward")
        page.wait_for_function("window.lesson && window.lesson.ready", timeout=TIMEOUT_MS)
        page.tap("[data-part=h1]")  # touch explains like hover does
        assert "hidden node h2" in page.inner_text("#explain")
    finally:
        context.close()


def test_every_view_is_one_click_from_the_menu_and_keyboard_reachable(page, live_server):
    page.goto(f"{live_server}/")
    ready(page)
    page.click("text=Lessons ▸")
    page.wait_for_function("window.lesson && window.lesson.ready", timeout=TIMEOUT_MS)
    links = page.eval_on_selector_all("nav a", "as => as.map(a => a.getAttribute('href'))")
    assert [f"/lessons/{v}" for v in VIEWS] == [h for h in links if h.startswith("/lessons/")]
    page.click("nav >> text=Forward pass")
    page.wait_for_function("window.lesson && window.lesson.ready", timeout=TIMEOUT_MS)
    for _ in range(30):  # Tab through the page until a network part has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.part === 'x0'"):
            break
    assert page.evaluate("document.activeElement.dataset.part") == "x0"
    assert page.inner_text("#explain").startswith("input x1 = 2")


def inside_window(page, selector: str) -> bool:
    return page.evaluate(
        """(s) => { const b = document.querySelector(s).getBoundingClientRect();
        return b.left >= 0 && b.top >= 0 && b.right <= innerWidth && b.bottom <= innerHeight; }""",
        selector,
    )


def test_diagram_popups_plain_names_keyboard_and_chart_controls(browser, live_server):
    for width in (1400, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        try:
            page.goto(f"{live_server}/?dataset=circles&hidden=4&optimizer=sgd&lr=0.1")
            ready(page)
            page.hover(".node[data-layer='0'][data-unit='2']")
            page.wait_for_selector("#popup:not([hidden])", timeout=TIMEOUT_MS)
            text = page.inner_text("#popup")
            assert text.startswith("h1₃ at ") and "z = Σᵢ aᵢ·wᵢ2 + b2" in text
            assert inside_window(page, "#popup")
            last = page.locator(".node[data-layer='1'][data-unit='1']")  # out₂, at the right
            last.scroll_into_view_if_needed()
            last.focus()  # keyboard focus explains like hover
            page.wait_for_function(
                "document.querySelector('#popup').innerText.startsWith('out₂')",
                timeout=TIMEOUT_MS,
            )
            assert inside_window(page, "#popup")
            last.press("Enter")  # and Enter pins the full explanation below the diagram
            page.wait_for_selector("#ex-z", timeout=TIMEOUT_MS)
            assert page.inner_text("#explain-title").startswith("neuron out₂ (glassnet:")
        finally:
            context.close()
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/?dataset=circles&hidden=4&optimizer=sgd&lr=0.1")
        ready(page)
        page.click("#step-epoch")
        page.wait_for_function("window.playground.state.epoch === 1", timeout=TIMEOUT_MS)
        point = page.evaluate("window.playground.network.edgePoint(0, 1, 2, 0.3)")
        page.mouse.move(*point)
        page.wait_for_selector("#ex-gradient", timeout=TIMEOUT_MS)
        assert page.inner_text("#explain-title").startswith(
            "weight x₂ → h1₃ (glassnet: 0.w[1, 2])"
        )
        page.focus(".node[data-layer='0'][data-unit='0'] .bias")  # biases too, by keyboard
        page.wait_for_function(
            "document.querySelector('#explain-title').innerText"
            ".startsWith('bias of h1₁ (glassnet: 0.b[0])')",
            timeout=TIMEOUT_MS,
        )
        chart = page.locator("#loss-chart")
        linear = chart.screenshot()
        page.uncheck("#log-loss")
        assert chart.screenshot() != linear  # the scale switch redraws the chart
        plane = page.locator("#plane")
        smooth = plane.screenshot()
        page.check("#discretize")
        assert plane.screenshot() != smooth
    finally:
        context.close()


def test_canvases_are_sharp_on_a_high_dpi_screen(browser, live_server):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/?dataset=circles")
        ready(page)
        sizes = page.evaluate(
            """() => ['plane', 'loss-chart'].map((id) => {
                const c = document.getElementById(id);
                return [c.width, c.clientWidth];
            })"""
        )
        for width, client in sizes:
            assert width == round(2 * client), sizes  # two device pixels per CSS pixel
    finally:
        context.close()


def contrast(a, b) -> float:
    """WCAG contrast ratio of two sRGB colours (0…255 each)."""

    def luminance(c):
        linear = [
            (v / 255 / 12.92) if v / 255 <= 0.03928 else ((v / 255 + 0.055) / 1.055) ** 2.4
            for v in c
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_and_points_meet_wcag_aa_contrast(page, live_server):
    page.goto(f"{live_server}/?dataset=spiral&classes=6")
    ready(page)
    points = page.evaluate(
        """async () => { const d = await import('/static/draw.js');
        return d.CLASS_COLOURS.slice(0, 6).map((c) => d.pointColour(c)); }"""
    )
    white = (255, 255, 255)
    for colour in points:  # graphics: at least 3:1 against white and the lightest shading
        assert contrast(colour, white) >= 3, colour
    texts = page.evaluate(
        """() => ['.muted', 'h2', '.legend .test', 'label'].map((s) => {
            const e = document.querySelector(s);
            return getComputedStyle(e).color.match(/\\d+/g).slice(0, 3).map(Number);
        })"""
    )
    for colour in texts:  # text: at least 4.5:1 on the white panels
        assert contrast(colour, white) >= 4.5, colour


def test_a_regression_csv_picks_squared_error(page, live_server, tmp_path):
    rows = "\n".join(f"{i},{(i * 7) % 5},{i * 0.37 + 1:.2f}" for i in range(60))
    csv = tmp_path / "prices.csv"
    csv.write_text(f"a,b,price\n{rows}\n")
    page.goto(f"{live_server}/?dataset=circles")
    ready(page)
    assert query(page)["loss"] == "cross_entropy"
    page.click("[data-dataset=csv]")
    page.set_input_files("#csv-file", str(csv))
    page.wait_for_function(
        "window.playground.topology && window.playground.topology.settings.dataset === 'csv'"
        " && window.playground.topology.settings.loss === 'squared_error'",
        timeout=TIMEOUT_MS,
    )
    assert query(page)["loss"] == "squared_error" and page.is_hidden("#noise-box")
