"""The playground's web server: static page, CSV upload, exports, and one WebSocket per tab.

Routes
    GET  /                          the page (glassnet/playground/static/index.html)
    GET  /static/…                  its script and style sheet, shipped in the package
    POST /api/upload?name=F         the raw bytes of a CSV (≤ 10 MB) → {token, columns, rows}
    GET  /api/export/{sid}/script   the equivalent glassnet Python script
    GET  /api/export/{sid}/model    the trained model file
    WS   /ws                        messages of :mod:`glassnet.playground.protocol`

Each WebSocket is one session with its own model (:class:`Connection`). Training runs in a
worker thread, one time slice at a time; after each slice the server sends a ``state``
update. A message that fails validation gets an ``error`` reply and the connection lives
on. When the tab closes, the socket closes and its training task is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import ipaddress
import json
import logging
import secrets
import socket
import sys
import tempfile
import threading
import time
import webbrowser
from collections import OrderedDict
from pathlib import Path
from urllib.parse import urlparse

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect
from threadpoolctl import threadpool_limits

from glassnet.errors import ConfigError, GlassnetError, message
from glassnet.playground import export
from glassnet.playground.datasets import load_upload
from glassnet.playground.protocol import parse_message
from glassnet.playground.session import Session

__all__ = ["create_app", "serve", "Connection", "MAX_UPLOAD_BYTES"]

STATIC = Path(__file__).parent / "static"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOADS = 8
TRAIN_SLICE_S = 0.04  # training time per update, at most
MIN_UPDATE_S = 0.04  # at most 25 updates per second, so a small net does not flood the page
DOCTOR_EVERY = 10
MAX_IN_FLIGHT = 2
log = logging.getLogger("glassnet.playground")


ENGINE = threading.Lock()


async def in_engine(fn, *args):
    """Run ``fn(*args)`` in a worker thread, one engine call at a time across all tabs.

    glassnet's no_grad switch is process-wide (one flag read on every op's hot path), so a
    tab evaluating under no_grad would otherwise switch off another tab's gradient
    recording in the middle of its training step.
    """

    def locked():
        with ENGINE:
            return fn(*args)

    return await asyncio.to_thread(locked)


class Connection:
    """One tab: its Session, whether it is playing, and the task that trains it."""

    def __init__(self, websocket: WebSocket, uploads: OrderedDict):
        self.id = secrets.token_urlsafe(16)
        self.websocket, self.uploads = websocket, uploads
        self.session: Session | None = None
        self.playing, self.trainer = False, None
        self.lock, self.send_lock = asyncio.Lock(), asyncio.Lock()
        self.acking, self.in_flight, self.acked = False, 0, asyncio.Event()

    async def send(self, payload: dict | str) -> None:
        """Send a message (a dict, or its JSON text already made in a worker thread)."""
        text = payload if isinstance(payload, str) else json.dumps(payload, allow_nan=False)
        async with self.send_lock:
            await self.websocket.send_text(text)

    async def handle(self, text) -> None:
        """Validate and run one message; every failure becomes an ``error`` reply."""
        try:
            await self.dispatch(parse_message(text))
        except GlassnetError as exc:
            await self.send({"type": "error", "message": str(exc)})
        except Exception as exc:  # the server must outlive any one bad request
            log.exception("playground: message failed")
            await self.send({"type": "error", "message": f"internal error: {exc!r}"})

    def _require_session(self) -> Session:
        if self.session is None:
            raise ConfigError(
                message("playground", "there is no model yet", hint="send 'configure' first")
            )
        return self.session

    async def dispatch(self, msg: dict) -> None:
        kind = msg["type"]
        if kind == "configure":
            await self.stop()
            await self.send({"type": "playing", "playing": False})
            upload = self.uploads.get(msg["settings"]["upload"])
            async with self.lock:
                self.session = await in_engine(Session, msg["settings"], upload)
                await self.send(self.session.topology())
                await self.send(await in_engine(self.session.snapshot, True))
            return
        if kind == "ack":  # the page took a state: flow control, see _await_page
            self.acking, self.in_flight = True, max(0, self.in_flight - 1)
            self.acked.set()
            return
        session = self._require_session()
        if kind == "play":
            self.playing = True
            if self.trainer is None or self.trainer.done():
                self.trainer = asyncio.create_task(self._train())
            await self.send({"type": "playing", "playing": True})
            return
        if kind in ("pause", "step", "reset"):
            await self.stop()
            await self.send({"type": "playing", "playing": False})
        if kind == "pause":
            return
        async with self.lock:
            await self.send(await in_engine(self._run, session, msg))

    @staticmethod
    def _run(session: Session, msg: dict) -> dict:
        kind = msg["type"]
        if kind == "step":
            session.step(msg["unit"])
        elif kind == "reset":
            session.reset()
        elif kind == "set_lr":
            session.set_lr(msg["lr"])
            return {"type": "lr", "lr": session.lr, "steps": session.steps}
        elif kind == "explain_weight":
            return session.explain_weight(msg["layer"], msg["row"], msg["col"], msg["sample"])
        elif kind == "explain_neuron":
            return session.explain_neuron(msg["layer"], msg["unit"], msg["point"], msg["sample"])
        return session.snapshot(with_doctor=True)

    async def _train(self) -> None:
        """Train a slice, send the state, repeat, until paused or the tab goes away."""
        count, loop = 0, asyncio.get_running_loop()
        try:
            while self.playing:
                started = loop.time()
                async with self.lock:
                    if not self.playing:
                        break
                    state = await in_engine(self._slice, count)
                await self._await_page()
                await self.send(state)
                self.in_flight += 1
                count += 1
                await asyncio.sleep(max(0.0, MIN_UPDATE_S - (loop.time() - started)))
        except WebSocketDisconnect:  # the tab closed while its state was on the way
            self.playing = False
        except Exception as exc:  # stop this tab's training, keep the server
            self.playing = False
            if not isinstance(exc, GlassnetError):
                log.exception("playground: training failed")
            text = str(exc) if isinstance(exc, GlassnetError) else f"internal error: {exc!r}"
            with contextlib.suppress(Exception):  # the socket may be gone as well
                await self.send({"type": "error", "message": text})
                await self.send({"type": "playing", "playing": False})

    async def _await_page(self) -> None:
        """Keep at most MAX_IN_FLIGHT states unread by a page that acknowledges them, so a
        slow page never falls seconds behind (Pause stays instant). A page that sends no
        acks is not throttled; a lost ack delays the next state by at most 1 s."""
        while self.acking and self.in_flight >= MAX_IN_FLIGHT and self.playing:
            self.acked.clear()
            try:
                await asyncio.wait_for(self.acked.wait(), timeout=1.0)
            except TimeoutError:
                self.in_flight -= 1

    def _slice(self, count: int) -> str:
        """Train one slice and encode the state (in the worker thread, off the event loop)."""
        self.session.train_for(TRAIN_SLICE_S)
        state = self.session.snapshot(with_doctor=count % DOCTOR_EVERY == 0)
        return json.dumps(state, allow_nan=False)

    async def stop(self) -> None:
        """Stop training and wait until the current slice has finished."""
        self.playing = False
        if self.trainer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.trainer
            self.trainer = None

    def close(self) -> None:
        """The tab is gone: stop at once (the worker thread's slice is abandoned)."""
        self.playing = False
        if self.trainer is not None:
            self.trainer.cancel()


def same_origin(headers) -> bool:
    """True when the request carries no Origin (not a browser page) or the page's own.

    A page on another site may open a WebSocket to 127.0.0.1 or POST to it from the user's
    browser; the browser then names that site in Origin, and the request is refused.
    """
    origin = headers.get("origin")
    return origin is None or urlparse(origin).netloc == headers.get("host")


async def websocket_endpoint(websocket: WebSocket) -> None:
    if not same_origin(websocket.headers):
        await websocket.close(code=1008)  # policy violation
        return
    await websocket.accept()
    state = websocket.app.state
    conn = Connection(websocket, state.uploads)
    state.sessions[conn.id] = conn
    try:
        await conn.send({"type": "hello", "session": conn.id})
        while True:
            event = await websocket.receive()
            if event["type"] == "websocket.disconnect":
                break
            await conn.handle(event.get("text", event.get("bytes")))
    except Exception:  # a broken socket ends this session only
        log.debug("playground: socket closed", exc_info=True)
    finally:
        conn.close()
        state.sessions.pop(conn.id, None)


async def upload(request: Request) -> JSONResponse:
    """Store an uploaded CSV after load_csv accepted it; reply with its columns."""
    if not same_origin(request.headers):
        return JSONResponse({"error": "upload: another site's page may not upload"}, 403)
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_UPLOAD_BYTES:
        return _upload_error(f"{declared} bytes", 413)
    content = bytearray()
    async for chunk in request.stream():
        content += chunk
        if len(content) > MAX_UPLOAD_BYTES:
            return _upload_error(f"more than {MAX_UPLOAD_BYTES} bytes", 413)
    name = request.query_params.get("name", "upload.csv")
    try:
        header = bytes(content).split(b"\n", 1)[0].decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = message("upload", "the file is not UTF-8 text", str(exc), "a UTF-8 CSV file")
        return JSONResponse({"error": text}, status_code=400)
    columns = [c.strip() for c in next(csv.reader([header]), [""])]
    try:
        x, _, _ = await in_engine(load_upload, bytes(content), columns[-1], name)
    except GlassnetError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    token = secrets.token_urlsafe(12)
    uploads = request.app.state.uploads
    uploads[token] = bytes(content)
    while len(uploads) > MAX_UPLOADS:
        uploads.popitem(last=False)
    return JSONResponse({"token": token, "columns": columns, "rows": len(x), "name": name})


def _upload_error(got: str, status: int) -> JSONResponse:
    text = message("upload", "the file is too large", got, f"at most {MAX_UPLOAD_BYTES} bytes")
    return JSONResponse({"error": text}, status_code=status)


def _connection(request: Request) -> Connection | None:
    return request.app.state.sessions.get(request.path_params["sid"])


async def export_script(request: Request) -> Response:
    conn = _connection(request)
    if conn is None or conn.session is None:
        return JSONResponse({"error": "no such session"}, status_code=404)
    async with conn.lock:
        text = export.script(conn.session, request.query_params.get("csv", "data.csv"))
    return Response(
        text,
        media_type="text/x-python",
        headers={"content-disposition": 'attachment; filename="glassnet_playground.py"'},
    )


async def export_model(request: Request) -> Response:
    conn = _connection(request)
    if conn is None or conn.session is None:
        return JSONResponse({"error": "no such session"}, status_code=404)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / export.MODEL_FILE
        async with conn.lock:
            await in_engine(conn.session.model.save, str(path))
        content = path.read_bytes()
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"content-disposition": f'attachment; filename="{export.MODEL_FILE}"'},
    )


async def index(request: Request) -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"cache-control": "no-store"})


LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]


def create_app(allowed_hosts: list[str] | None = None) -> Starlette:
    """The Starlette application (one per server; sessions live in ``app.state``).

    ``allowed_hosts`` limits the Host header (``serve`` passes the loopback names when bound
    to loopback, so a DNS-rebound name cannot reach the server); None allows any.
    """
    middleware = []
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    app = Starlette(
        middleware=middleware,
        routes=[
            Route("/", index),
            Route("/api/upload", upload, methods=["POST"]),
            Route("/api/export/{sid}/script", export_script),
            Route("/api/export/{sid}/model", export_model),
            WebSocketRoute("/ws", websocket_endpoint),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
    )
    app.state.sessions, app.state.uploads = {}, OrderedDict()
    return app


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def one_blas_thread() -> threadpool_limits:
    """Limit BLAS to one thread (returns the threadpoolctl limiter; usable with ``with``).

    The playground multiplies small matrices (a batch of 16 by 4 weights, a 48×48 grid by
    64 weights), where BLAS threads only add overhead; on a busy machine their spinning
    made a 200×64 by 64×64 product 200 times slower (29 ms instead of 0.14 ms). Each
    session trains in its own worker thread, so sessions still run side by side.
    """
    return threadpool_limits(limits=1, user_api="blas")


def open_when_listening(host: str, port: int, url: str, wait_s: float = 15.0) -> bool:
    """Open ``url`` in the user's browser once the server accepts connections (so the page
    never meets a refused connection); False if it did not start within ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return webbrowser.open(url)
        except OSError:
            time.sleep(0.1)
    return False


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False) -> None:
    """Run the playground until Ctrl-C, printing its URL (and a warning off loopback)."""
    import uvicorn

    one_blas_thread()

    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    print(f"glassnet playground: {url}", flush=True)
    if not is_loopback(host):
        print(
            f"warning: bound to {host}, not 127.0.0.1: anyone who can reach this machine on "
            f"port {port} can train models on it.",
            file=sys.stderr,
            flush=True,
        )
    if open_browser:
        threading.Thread(target=open_when_listening, args=(host, port, url), daemon=True).start()
    uvicorn.run(
        create_app(LOOPBACK_NAMES if is_loopback(host) else None),
        host=host,
        port=port,
        log_level="warning",
        ws_max_size=2**20,
        ws_per_message_deflate=False,  # local traffic: compressing 40 kB updates costs more
    )
