"""Fixtures: a live playground server in a thread, and Debian's headless chromium via Playwright.

The browser is the system's /usr/bin/chromium (``make test`` installs Debian's package when
it is missing); Playwright never downloads one. Screenshots go to tests/playground/screenshots/.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def playground_app():
    """The application the live server runs (its sessions are in ``app.state.sessions``)."""
    from glassnet.playground.server import LOOPBACK_NAMES, create_app

    return create_app(LOOPBACK_NAMES)


@pytest.fixture(scope="module")
def live_server(playground_app):
    """The playground on a free loopback port for this test module; yields its base URL."""
    import uvicorn

    from glassnet.playground.server import one_blas_thread

    port = _free_port()
    config = uvicorn.Config(
        playground_app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws_per_message_deflate=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the playground server did not start within 20 s")
        time.sleep(0.05)
    with one_blas_thread():  # as `glassnet playground` runs, so measured rates match it
        yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium driven by Playwright (module-scoped: one launch per file)."""
    if not CHROMIUM.exists():
        pytest.fail(
            "Debian's chromium is missing at /usr/bin/chromium: run `make test`, "
            "which installs it with apt-get"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, tmp_path):
    """A fresh tab (its own session) that accepts downloads into tmp_path."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, name)`` saves a full-page PNG as screenshots/<name>.png."""

    def save(page, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def screenshots_dir() -> Path:
    """tests/playground/screenshots/ (git-ignored), created on demand."""
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
