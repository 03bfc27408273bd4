"""The playground's web server: static page, CSV upload, exports, and one WebSocket per tab.

Routes
    GET  /                          the page (glassnet/playground/static/index.html, its
                                    activation menu filled from glassnet.activations)
    GET  /static/…                  its script and style sheet, shipped in the package
    POST /api/upload?name=F         the raw bytes of a CSV (≤ 10 MB, ≤ MAX_COLUMNS columns,
                                    ≤ MAX_ROWS rows) → {token, columns, rows}
    GET  /api/export/{sid}/script   the equivalent glassnet Python script
    GET  /api/export/{sid}/model    the trained model file
    WS   /ws                        messages of :mod:`glassnet.playground.protocol` (at most
                                    MAX_SESSIONS sockets at once)
    GET  /lessons, /lessons/{view}  the lessons' views; their JSON API in lesson_routes

Each WebSocket is one session with its own model (:class:`~glassnet.playground.connection.
Connection`): training runs in a worker thread, a time slice at a time, each followed by a
``state`` update. A message that fails validation gets an ``error`` reply and the
connection lives on. When the tab closes, the socket closes and its training task ends.
"""

from __future__ import annotations

import asyncio
import csv
import html
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

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect
from threadpoolctl import threadpool_limits

from glassnet import activations
from glassnet.errors import ConfigError, GlassnetError, message
from glassnet.playground import export, lesson_routes
from glassnet.playground.connection import Connection, in_engine, same_origin
from glassnet.playground.datasets import is_classification, load_upload

__all__ = [
    "create_app",
    "serve",
    "MAX_UPLOAD_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_SESSIONS",
    "LOOPBACK_NAMES",
]

STATIC = Path(__file__).parent / "static"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOADS = 8
MAX_COLUMNS = 256  # a CSV's columns (features + target): bounds the model and its messages
MAX_ROWS = 100_000  # a CSV's data rows: bounds the memory one session holds
MAX_SESSIONS = 32  # open tabs at once: each holds a model and its data
log = logging.getLogger("glassnet.playground")


async def websocket_endpoint(websocket: WebSocket) -> None:
    if not same_origin(websocket.headers):
        await websocket.close(code=1008)  # policy violation
        return
    await websocket.accept()
    state = websocket.app.state
    if len(state.sessions) >= state.max_sessions:
        await refuse_full(websocket, state.max_sessions)
        return
    conn = Connection(websocket, state.uploads)
    state.sessions[conn.id] = conn
    try:
        await conn.send({"type": "hello", "session": conn.id})
        while True:
            event = await websocket.receive()
            if event["type"] == "websocket.disconnect":
                break
            await conn.handle(event.get("text", event.get("bytes")))
    except WebSocketDisconnect:  # the tab closed mid-reply: an ordinary end, not an error
        pass
    except Exception:  # a broken socket ends this session only
        log.debug("playground: socket closed", exc_info=True)
    finally:
        conn.close()
        state.sessions.pop(conn.id, None)


async def refuse_full(websocket: WebSocket, limit: int) -> None:
    """Tell a tab beyond the session limit why it gets no model, then close (1013: try again
    later)."""
    text = message(
        "playground",
        "the server is full",
        f"{limit} open tabs",
        f"at most {limit} at once",
        "close another playground tab, then reload this one",
    )
    await websocket.send_text(json.dumps({"type": "error", "message": text}))
    await websocket.close(code=1013)


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
        columns = upload_columns(bytes(content))
    except GlassnetError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    try:
        # off the engine lock: parsing 10 MB takes seconds, and other tabs train meanwhile
        x, y, _ = await asyncio.to_thread(load_upload, bytes(content), columns[-1], name)
    except GlassnetError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    except csv.Error as exc:  # a data cell longer than the csv module's field limit
        text = message("upload", "a cell is too long", str(exc), "a CSV file of short cells")
        return JSONResponse({"error": text}, status_code=400)
    token = secrets.token_urlsafe(12)
    uploads = request.app.state.uploads
    uploads[token] = bytes(content)
    while len(uploads) > MAX_UPLOADS:
        uploads.popitem(last=False)
    reply = {"token": token, "columns": columns, "rows": len(x), "name": name}
    reply["classification"] = is_classification(y)  # of the last column: the page picks the loss
    return JSONResponse(reply)


def upload_columns(content: bytes) -> list[str]:
    """The header's column names of an uploaded CSV, after the checks that need no parsing:
    not empty, UTF-8, a header line of at most MAX_COLUMNS cells, at most MAX_ROWS rows."""
    where = "upload"
    if not content.strip():
        raise ConfigError(
            message(where, "the file is empty", f"{len(content)} blank bytes", "a CSV file")
        )
    first = content.split(b"\n", 1)[0]
    try:
        header = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            message(where, "the file is not UTF-8 text", str(exc), "a UTF-8 CSV file")
        ) from None
    cells = header.count(",") + 1
    if cells > MAX_COLUMNS:
        got = f"{cells} columns"
        raise ConfigError(message(where, "too many columns", got, f"at most {MAX_COLUMNS}"))
    try:
        columns = [c.strip() for c in next(csv.reader([header]), [])]
    except csv.Error as exc:  # a 10 MB cell overflows the csv module's field limit
        got = f"{len(first)} bytes in the header line ({exc})"
        raise ConfigError(
            message(where, "the header line is not CSV", got, "a CSV header")
        ) from None
    rows = content.strip().count(b"\n")
    if not any(columns) or rows > MAX_ROWS:
        got = f"{rows} data rows" if any(columns) else "an empty header line"
        expected = f"a header line and at most {MAX_ROWS} data rows"
        raise ConfigError(
            message(where, "the file has no usable header or too many rows", got, expected)
        )
    return columns


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


ACTIVATION_MENU = "<!-- activation options -->"


def activation_options() -> str:
    """One ``<option>`` per elementwise activation of :mod:`glassnet.activations`."""
    return "".join(
        f'<option value="{html.escape(s.name)}">{html.escape(s.label)}</option>'
        for s in activations.specs()
        if s.elementwise
    )


async def index(request: Request) -> HTMLResponse:
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    page = page.replace(ACTIVATION_MENU, activation_options())
    return HTMLResponse(page, headers={"cache-control": "no-store"})


LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]


def create_app(
    allowed_hosts: list[str] | None = None, max_sessions: int = MAX_SESSIONS
) -> Starlette:
    """The Starlette application (one per server; sessions live in ``app.state``).

    At most ``max_sessions`` tabs hold a model at once; the next one gets an ``error``
    message saying the server is full, and its socket is closed.

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
            *lesson_routes.ROUTES,
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
    )
    app.state.sessions, app.state.uploads = {}, OrderedDict()
    app.state.max_sessions = max_sessions
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
