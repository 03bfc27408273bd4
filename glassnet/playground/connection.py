"""One browser tab's connection: its Session, its training task, and flow control.

Every message of the tab goes through :meth:`Connection.handle`: validated by
:mod:`~glassnet.playground.protocol`, run, answered. Training runs in a worker thread, one
time slice at a time (at most one epoch, about TRAIN_SLICE_S of work), followed by a ``state``
update; a tab that acknowledges its updates has at most MAX_IN_FLIGHT of them unread. Any
failure becomes an ``error`` reply for that tab alone.

Bounds: engine work (training, explaining) takes turns on one lock in pieces of about
TRAIN_SLICE_S, so ``step epoch`` runs slice by slice and CSV parsing runs off the lock: one
tab never freezes the others. A state message is at most MAX_STATE_BYTES. A tab that closes
mid-reply ends its session quietly (WebSocketDisconnect), with nothing logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from starlette.websockets import WebSocket, WebSocketDisconnect

from glassnet.errors import ConfigError, GlassnetError, message
from glassnet.playground.datasets import prepare
from glassnet.playground.explainers import run_doctor
from glassnet.playground.protocol import parse_message
from glassnet.playground.session import Session

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "Connection",
    "in_engine",
    "same_origin",
    "encode_state",
    "TRAIN_SLICE_S",
    "MIN_UPDATE_S",
    "MAX_IN_FLIGHT",
    "MAX_STATE_BYTES",
]

TRAIN_SLICE_S = 0.04  # training time per update, at most
MIN_UPDATE_S = 0.04  # at most 25 updates per second, so a small net does not flood the page
DOCTOR_EVERY = 10
MAX_IN_FLIGHT = 2
# One state message, at most: the largest model the caps allow (256 CSV columns into 8
# hidden layers of 64) sends about 430 kB; a 10**6-column CSV once made 39 MB messages.
MAX_STATE_BYTES = 2 * 1024 * 1024
DIVERGED = (
    "Training paused: the loss diverged (NaN). Lower the Learning rate box, then press ⟲ Reset."
)
log = logging.getLogger("glassnet.playground")


ENGINE = threading.Lock()


async def in_engine(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` in a worker thread, one engine call at a time across all tabs.

    Gradient recording is per thread, so tabs cannot switch off each other's recording;
    taking turns keeps each tab's slice short and its frame rate steady on a small
    machine, instead of several tabs' matrix products fighting over the same cores.
    """

    def locked():
        with ENGINE:
            return fn(*args)

    return await asyncio.to_thread(locked)


def encode_state(state: dict) -> str:
    """The JSON text of a state, refused with ConfigError above MAX_STATE_BYTES."""
    text = json.dumps(state, allow_nan=False)
    if len(text) > MAX_STATE_BYTES:
        got = f"{len(text)} bytes"
        raise ConfigError(
            message(
                "playground",
                "the model's state message is too large",
                got,
                f"at most {MAX_STATE_BYTES} bytes",
                "use fewer input columns or fewer neurons",
            )
        )
    return text


class Connection:
    """One tab: its Session, whether it is playing, and the task that trains it."""

    def __init__(self, websocket: WebSocket, uploads: OrderedDict) -> None:
        self.id = secrets.token_urlsafe(16)
        self.websocket, self.uploads = websocket, uploads
        self.session: Session | None = None
        self.playing, self.trainer, self.diverged = False, None, False
        self.lock, self.send_lock = asyncio.Lock(), asyncio.Lock()
        self.acking, self.in_flight, self.acked = False, 0, asyncio.Event()
        self.closed = False

    async def send(self, payload: dict | str) -> None:
        """Send a message (a dict, or its JSON text already made in a worker thread)."""
        text = payload if isinstance(payload, str) else json.dumps(payload, allow_nan=False)
        async with self.send_lock:
            if self.closed:  # the tab went away while this reply was being made
                raise WebSocketDisconnect(code=1001)
            try:
                await self.websocket.send_text(text)
            except (OSError, RuntimeError) as exc:  # a dropped or closed socket
                raise WebSocketDisconnect(code=1006) from exc

    async def handle(self, text: object) -> None:
        """Validate and run one message; every failure becomes an ``error`` reply."""
        try:
            await self.dispatch(parse_message(text))
        except WebSocketDisconnect:  # the tab closed: nothing to answer, nothing to log
            raise
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
                # the data off the engine lock (a 10 MB CSV parses for seconds), the model on it
                data = await asyncio.to_thread(prepare, msg["settings"], upload)
                session = await in_engine(Session, msg["settings"], upload, data)
                first = encode_state(await in_engine(session.snapshot, True))
                self.session = session  # only a model whose messages fit replaces the old one
                await self.send(session.topology())
                await self.send(first)
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
        if kind == "step" and msg["unit"] == "epoch":
            await self._step_epoch(session)
            return
        async with self.lock:
            await self.send(await in_engine(self._run, session, msg))

    async def _step_epoch(self, session: Session) -> None:
        """One batch, then the rest of the epoch in TRAIN_SLICE_S slices: the engine is
        free between slices, so a 5,000-batch epoch here never freezes the other tabs."""
        async with self.lock:
            await in_engine(session.train_batch)
            while not await in_engine(session.finish_epoch_for, TRAIN_SLICE_S):
                if self.closed:  # the tab is gone: its epoch need not finish
                    return
            state = await in_engine(session.snapshot, True)
            await self.send(await in_engine(encode_state, state))

    @staticmethod
    def _run(session: Session, msg: dict) -> dict | str:
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
        return encode_state(session.snapshot(with_doctor=True))

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
                if self.diverged:  # nothing more to learn from NaNs: pause and say why
                    self.playing = False
                    await self.send({"type": "playing", "playing": False})
                    await self.send({"type": "error", "message": DIVERGED})
                await asyncio.sleep(max(0.0, MIN_UPDATE_S - (loop.time() - started)))
        except WebSocketDisconnect:  # the tab closed while its state was on the way
            self.playing = False
        except Exception as exc:  # stop this tab's training, keep the server
            self.playing = False
            if self.closed:
                return
            if not isinstance(exc, GlassnetError):
                log.exception("playground: training failed")
            text = str(exc) if isinstance(exc, GlassnetError) else f"internal error: {exc!r}"
            with contextlib.suppress(WebSocketDisconnect):  # the socket may be gone as well
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
        self.diverged = bool(state["diverged"])
        if self.diverged and "doctor" not in state:
            state["doctor"] = run_doctor(self.session, state)
        return encode_state(state)

    async def stop(self) -> None:
        """Stop training and wait until the current slice has finished."""
        self.playing = False
        if self.trainer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.trainer
            self.trainer = None

    def close(self) -> None:
        """The tab is gone: stop at once (the worker thread's slice is abandoned)."""
        self.playing, self.closed = False, True
        if self.trainer is not None:
            self.trainer.cancel()


def same_origin(headers: Mapping[str, str]) -> bool:
    """True when the request carries no Origin (not a browser page) or the page's own.

    A page on another site may open a WebSocket to 127.0.0.1 or POST to it from the user's
    browser; the browser then names that site in Origin, and the request is refused.
    """
    origin = headers.get("origin")
    return origin is None or urlparse(origin).netloc == headers.get("host")
