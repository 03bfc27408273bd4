"""HTTP routes of the lesson views: one page per view, one JSON endpoint per view.

    GET  /lessons                   the menu of views
    GET  /lessons/{view}            a view's page (static/lessons/{view}.html)
    POST /api/lesson/{view}         JSON request → JSON numbers computed by glassnet
    POST /api/lesson/cnn-model      the raw bytes of a saved image model → {model}

A request that fails validation gets ``{"error": ...}`` with status 400. Engine work runs
in a worker thread through :func:`~glassnet.playground.connection.in_engine`, one call at
a time, like the playground's training.
"""

from __future__ import annotations

import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Route

from glassnet.errors import GlassnetError, message
from glassnet.playground import lesson_cnn, lessons
from glassnet.playground.connection import in_engine, same_origin
from glassnet.playground.lesson_race import RaceStore

__all__ = ["VIEWS", "ROUTES"]

PAGES = Path(__file__).parent / "static" / "lessons"
#: view → its page title (the menu's order)
VIEWS = {
    "forward": "Forward pass, hover",
    "line": "Line fitter",
    "matrix": "Matrix multiplication stepper",
    "backprop": "Backpropagation, animated",
    "race": "Gradient-descent race",
    "cnn": "CNN explainer on MNIST",
}
MAX_REQUEST_BYTES, MAX_MODEL_BYTES = 64 * 1024, 10 * 1024 * 1024


def _stores(app) -> tuple[RaceStore, lesson_cnn.ModelStore]:
    if not hasattr(app.state, "races"):
        app.state.races, app.state.image_models = RaceStore(), lesson_cnn.ModelStore()
    return app.state.races, app.state.image_models


def _handler(view: str, app):
    races, models = _stores(app)
    return {
        "forward": lessons.forward_view,
        "line": lessons.line_view,
        "matrix": lessons.matrix_view,
        "backprop": lessons.backprop_view,
        "race": races.handle,
        "cnn": lambda r: lesson_cnn.cnn_view(models, r),
        "cnn-pixel": lambda r: lesson_cnn.pixel_view(models, r),
    }.get(view)


def _error(where: str, what: str, got, expected, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message(where, what, got, expected)}, status_code=status)


async def _body(request: Request, limit: int) -> bytes | None:
    content = bytearray()
    async for chunk in request.stream():
        content += chunk
        if len(content) > limit:
            return None
    return bytes(content)


def _foreign(request: Request) -> JSONResponse | None:
    """403 when another site's page posts here (see connection.same_origin)."""
    if same_origin(request.headers):
        return None
    return JSONResponse({"error": "lessons: another site's page may not post here"}, 403)


async def lesson_api(request: Request) -> JSONResponse:
    if refused := _foreign(request):
        return refused
    view = request.path_params["view"]
    handler = _handler(view, request.app)
    if handler is None:
        return _error("lessons", "no such view", repr(view), ", ".join(VIEWS), 404)
    content = await _body(request, MAX_REQUEST_BYTES)
    if content is None:
        return _error(
            "lessons", "the request is too large", "more", f"≤ {MAX_REQUEST_BYTES} bytes", 413
        )
    try:
        payload = json.loads(content or b"{}")
    except ValueError as exc:
        return _error(f"lessons.{view}", "the request is not JSON", str(exc), "a JSON object")
    if not isinstance(payload, dict):
        return _error(
            f"lessons.{view}", "the request is not an object", type(payload).__name__, "{...}"
        )
    try:
        return JSONResponse(await in_engine(handler, payload))
    except GlassnetError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)


async def cnn_model(request: Request) -> JSONResponse:
    if refused := _foreign(request):
        return refused
    content = await _body(request, MAX_MODEL_BYTES)
    if content is None:
        return _error(
            "lessons.cnn", "the model file is too large", "more", f"≤ {MAX_MODEL_BYTES} bytes", 413
        )
    _, models = _stores(request.app)
    try:
        return JSONResponse({"model": await in_engine(models.add, content)})
    except GlassnetError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)


async def page(request: Request) -> FileResponse | JSONResponse:
    view = request.path_params.get("view", "index")
    if view != "index" and view not in VIEWS:
        return _error("lessons", "no such view", repr(view), ", ".join(VIEWS), 404)
    return FileResponse(PAGES / f"{view}.html", headers={"cache-control": "no-store"})


ROUTES = [
    Route("/lessons", page),
    Route("/lessons/{view}", page),
    Route("/api/lesson/cnn-model", cnn_model, methods=["POST"]),
    Route("/api/lesson/{view}", lesson_api, methods=["POST"]),
]
