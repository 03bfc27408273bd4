"""Playground update rate: how many training updates per second the page receives and draws.

    python benchmarks/playground_rate.py            # median of 3 windows of 3 s per network
    python benchmarks/playground_rate.py --quick    # one window of 1.5 s each

Starts the playground server in this process (as ``glassnet playground`` runs it: one BLAS
thread, no WebSocket compression), drives Debian's headless chromium with Playwright, presses
Play, and counts the ``state`` messages the page receives and the frames it draws. The
server paces itself to at most 25 updates per second (MIN_UPDATE_S); a page that draws
slower skips states rather than falling behind. Also reported: the server's own time per
update (one training slice + snapshot + JSON), measured without a browser. Printed, never
asserted; the issue's target is 10 updates per second for a small net on circles.

The lessons' gradient-descent race (/lessons/race) is measured the same way: rounds per
second the page receives and draws, one round being one update of each of the five
optimizers (GD, SGD, mini-batch, momentum, Adam); its goal is 15 rounds/s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

import uvicorn
from playwright.sync_api import sync_playwright

from glassnet.playground.connection import TRAIN_SLICE_S
from glassnet.playground.lesson_race import RaceStore
from glassnet.playground.protocol import validate_settings
from glassnet.playground.server import LOOPBACK_NAMES, create_app, one_blas_thread
from glassnet.playground.session import Session

NETWORKS = {  # label: URL query (and the same settings for the server-only timing)
    "circles 2-4-4-2": {"dataset": "circles", "hidden": [4, 4]},
    "circles 4-4-2 (x1, x2, x1², x2²)": {
        "dataset": "circles",
        "hidden": [4],
        "features": ["x1", "x2", "x1^2", "x2^2"],
    },
    "xor 8 × 64 (the largest allowed)": {"dataset": "xor", "hidden": [64] * 8},
    "MNIST 2000 samples, 784-32-10": {"dataset": "mnist", "samples": 2000, "hidden": [32]},
}
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
WINDOW_JS = """async (seconds) => {
    const P = window.playground, u0 = P.updates, r0 = P.received, t0 = performance.now();
    await new Promise((done) => setTimeout(done, 1000 * seconds));
    const s = (performance.now() - t0) / 1000;
    return [(P.updates - u0) / s, (P.received - r0) / s];
}"""


def query(settings: dict) -> str:
    return "&".join(
        f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in settings.items()
    )


def server_ms(settings: dict, updates: int = 20) -> float:
    """Median milliseconds of one update's server work: a slice, the snapshot, the JSON."""
    session, times = Session(validate_settings(settings)), []
    for i in range(updates):
        start = time.perf_counter()
        session.train_for(TRAIN_SLICE_S)
        json.dumps(session.snapshot(with_doctor=i % 10 == 0))
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def page_rates(browser, base: str, settings: dict, windows: int, seconds: float):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/?{query(settings)}")
    page.wait_for_function("window.playground && window.playground.updates > 0", timeout=30_000)
    page.click("#play")
    page.wait_for_function("window.playground.received > 3", timeout=30_000)
    drawn, received = zip(*(page.evaluate(WINDOW_JS, seconds) for _ in range(windows)))
    page.close()
    return statistics.median(drawn), statistics.median(received)


RACE_JS = """async (seconds) => {
    const R = window.lesson.race, u0 = R.updates, t0 = performance.now();
    await new Promise((done) => setTimeout(done, 1000 * seconds));
    return (R.updates - u0) / ((performance.now() - t0) / 1000);
}"""


def race_server_ms(rounds: int = 50) -> float:
    """Median milliseconds of one race round on the server (five updates + five losses)."""
    store = RaceStore()
    token, times = store.handle({"lr": 0.05})["token"], []
    for _ in range(rounds):
        start = time.perf_counter()
        json.dumps(store.handle({"token": token, "lr": 0.05}))
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def race_rate(browser, base: str, windows: int, seconds: float) -> float:
    """Median rounds per second the race page receives and draws while racing."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/lessons/race")
    page.wait_for_function("window.lesson && window.lesson.ready", timeout=30_000)
    page.click("#play")
    page.wait_for_function("window.lesson.race.updates > 3", timeout=30_000)
    rates = [page.evaluate(RACE_JS, seconds) for _ in range(windows)]
    page.close()
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short window per network")
    args = parser.parse_args()
    windows, seconds = (1, 1.5) if args.quick else (3, 3.0)
    one_blas_thread()
    # Server-only timings first: the engine's no_grad switch is process-wide, so they must
    # not overlap the server's own training threads.
    timings = {label: server_ms(settings) for label, settings in NETWORKS.items()}
    race_ms = race_server_ms()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(LOOPBACK_NAMES),
            host="127.0.0.1",
            port=8791,
            log_level="warning",
            ws_per_message_deflate=False,
        )
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    print(f"{'network':36} {'drawn/s':>8} {'received/s':>11} {'server ms/update':>17}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for label, settings in NETWORKS.items():
            drawn, received = page_rates(
                browser, "http://127.0.0.1:8791", settings, windows, seconds
            )
            print(f"{label:36} {drawn:8.1f} {received:11.1f} {timings[label]:17.1f}")
        rounds = race_rate(browser, "http://127.0.0.1:8791", windows, seconds)
        print(f"{'race, 5 optimizers (rounds/s)':36} {rounds:8.1f} {rounds:11.1f} {race_ms:17.1f}")
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main()
