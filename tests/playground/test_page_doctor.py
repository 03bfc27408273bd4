"""The doctor as the page shows it: quiet on a run that is going well, NaNs summarised,
fixes in the page's words, and training that pauses itself when the loss diverges."""

import numpy as np
from starlette.testclient import TestClient

from glassnet.playground.explainers import run_doctor
from glassnet.playground.page_doctor import PAGE_FIXES
from glassnet.playground.protocol import validate_settings
from glassnet.playground.server import create_app
from glassnet.playground.session import Session
from tests.playground.test_server import next_error, receive


def make(**settings) -> Session:
    return Session(validate_settings(settings))


def train(s: Session, epochs: int) -> dict:
    for _ in range(epochs):
        s.step("epoch")
        state = s.metrics()
    return state


def test_no_lr_or_overfitting_alarm_on_the_default_circles_run_that_went_well():
    s = make(dataset="circles")  # the page's defaults: 2-4-4-2 tanh, Adam lr 0.03
    findings, state = [], None
    for _ in range(6):
        state = train(s, 10)
        findings += [d["kind"] for d in run_doctor(s, state)]
    assert state["test_accuracy"] >= 0.97
    assert "lr_too_high" not in findings and "overfitting" not in findings


def test_a_poor_run_keeps_its_findings_worded_as_the_page_controls():
    s = make(optimizer="sgd", lr=1e-5)
    state = train(s, 8)
    findings = run_doctor(s, state)
    low = [d for d in findings if d["kind"] == "lr_too_low"]
    assert low and low[0]["fix"] == PAGE_FIXES["lr_too_low"]
    assert "Learning rate box" in low[0]["fix"] and "lr=" not in low[0]["fix"]


def test_nans_are_summarised_not_listed():
    s = make(hidden=[3])
    train(s, 3)
    s.model.layers[0].w.data[:] = np.nan
    state = train(s, 5)
    findings = run_doctor(s, state)
    nan = [d for d in findings if d["kind"] == "lr_too_high"]
    assert nan, findings
    assert nan[0]["finding"] == (
        "the training loss became NaN (not a number) at epoch 4 and stayed so for 5 of 8 "
        "recorded epochs: the weights overflowed"
    )
    assert "[" not in nan[0]["finding"]


def test_training_pauses_itself_when_the_loss_diverges():
    settings = {"dataset": "regression_plane", "loss": "squared_error", "optimizer": "sgd"}
    with TestClient(create_app()) as client, client.websocket_connect("/ws") as ws:
        receive(ws, "hello")
        ws.send_json({"type": "configure", "settings": {**settings, "lr": 10.0}})
        receive(ws, "ready")
        ws.send_json({"type": "play"})
        assert receive(ws, "playing")["playing"] is True
        message = next_error(ws)
        assert message["message"].startswith("Training paused: the loss diverged (NaN).")
        ws.send_json({"type": "step", "unit": "batch"})  # the session is still there
        assert receive(ws, "state")["diverged"] is True
