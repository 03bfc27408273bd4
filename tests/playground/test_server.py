"""The playground server through Starlette's TestClient: pages, sockets, uploads, exports."""

import ast
import contextlib
import io
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import glassnet as gn
from glassnet.playground import export, server
from glassnet.playground.server import MAX_UPLOAD_BYTES, create_app
from glassnet.playground.session import Session

STATIC = Path(server.__file__).parent / "static"


@pytest.fixture
def client():
    with TestClient(create_app()) as c:
        yield c


def receive(ws, kind: str, limit: int = 400) -> dict:
    """The next message of type ``kind``, skipping others (state updates keep coming)."""
    for _ in range(limit):
        msg = ws.receive_json()
        if msg["type"] == kind:
            return msg
        assert msg["type"] != "error", msg["message"]
    raise AssertionError(f"no {kind!r} message in {limit} messages")


def next_error(ws, limit: int = 400) -> dict:
    for _ in range(limit):
        msg = ws.receive_json()
        if msg["type"] == "error":
            return msg
    raise AssertionError(f"no error message in {limit} messages")


@contextlib.contextmanager
def session(client, **settings):
    """A configured socket: yields (ws, session id, ready message, first state)."""
    with client.websocket_connect("/ws") as ws:
        sid = receive(ws, "hello")["session"]
        ws.send_json({"type": "configure", "settings": settings})
        ready = receive(ws, "ready")
        yield ws, sid, ready, receive(ws, "state")


def test_page_and_assets_are_served_from_the_package_without_a_cdn(client):
    html = client.get("/").text
    assert '<script type="module" src="/static/app.js">' in html
    for name in ("app.js", "draw.js", "explain.js", "network.js", "style.css"):
        reply = client.get(f"/static/{name}")
        assert reply.status_code == 200 and len(reply.text) > 500
    texts = [html] + [p.read_text() for p in STATIC.rglob("*") if p.is_file()]  # lessons too
    for text in texts:
        assert not re.search(r"""(src|href|from|import)\s*=?\s*["'](https?:)?//""", text)


def test_configure_then_play_streams_states_and_the_test_loss_falls(client):
    with session(client, dataset="circles", hidden=[4, 4], lr=0.03) as (ws, _, ready, first):
        assert ready["sizes"] == [2, 4, 4, 2] and ready["classes"] == 2
        assert len(ready["points"]["train"]) == 200 and ready["input_maps"]
        assert len(first["plane"]["neurons"]) == 3 and first["steps"] == 0
        ws.send_json({"type": "play"})
        states = [receive(ws, "state") for _ in range(15)]
        ws.send_json({"type": "pause"})
        assert receive(ws, "playing")["playing"] is False
    assert states[-1]["steps"] > states[0]["steps"] > 0
    assert states[-1]["test_loss"] < 0.5 * first["test_loss"]
    assert states[-1]["test_accuracy"] > 0.9


def test_malformed_messages_get_an_error_reply_and_the_session_lives_on(client):
    with client.websocket_connect("/ws") as ws:
        receive(ws, "hello")
        for text in ("{oops", '{"type": "eval", "code": "1+1"}', '{"type": "play"}'):
            ws.send_text(text)
            assert ws.receive_json()["type"] == "error"
        ws.send_bytes(b"\x00\xff")
        assert "must be text" in ws.receive_json()["message"]
        ws.send_json({"type": "configure", "settings": {"hidden": [4] * 9}})
        assert "at most 8 hidden layers" in ws.receive_json()["message"]
        ws.send_json({"type": "configure", "settings": {"hidden": [2]}})
        assert receive(ws, "ready")["sizes"] == [2, 2, 2]
        ws.send_json({"type": "explain_weight", "layer": 5, "row": 0, "col": 0, "sample": 0})
        assert "explain_weight.layer: the layer is out of range" in next_error(ws)["message"]


def test_step_reset_and_live_learning_rate(client):
    with session(client, dataset="xor", batch_size=10, samples=100) as (ws, _, ready, first):
        per_epoch = ready["batches_per_epoch"]
        ws.send_json({"type": "step", "unit": "batch"})
        assert receive(ws, "state")["steps"] == 1
        ws.send_json({"type": "step", "unit": "epoch"})
        state = receive(ws, "state")
        assert (state["steps"], state["epoch"]) == (per_epoch, 1)
        ws.send_json({"type": "set_lr", "lr": 0.5})
        assert receive(ws, "lr") == {"type": "lr", "lr": 0.5, "steps": per_epoch}
        ws.send_json({"type": "step", "unit": "batch"})
        assert receive(ws, "state")["lr"] == 0.5
        ws.send_json({"type": "reset"})
        state = receive(ws, "state")
        assert state["steps"] == 0 and state["weights"] == first["weights"]


def _explained(ws, sample: int) -> dict:
    ws.send_json({"type": "explain_weight", "layer": 0, "row": 1, "col": 0, "sample": sample})
    return receive(ws, "weight")


def test_weight_explanation_is_gn_explain_weight_on_the_live_model(client):
    with session(client, dataset="circles", optimizer="sgd", lr=0.1) as (ws, sid, _, _):
        ws.send_json({"type": "step", "unit": "epoch"})
        receive(ws, "state")
        shown = _explained(ws, sample=3)
        conn = client.app.state.sessions[sid]
        s = conn.session
        e = gn.explain.weight(
            s.model,
            s.data.x_train[3:4],
            s.data.y_train[3:4],
            "0.w[1, 0]",
            loss="cross_entropy",
            lr=0.1,
        )
    assert shown["name"] == "0.w[1, 0]"
    assert shown["value"] == pytest.approx(float(s.model.layers[0].w.data[1, 0]))
    assert shown["gradient"] == pytest.approx(e.gradient, rel=1e-9)
    assert shown["new_value"] == pytest.approx(e.new_value, rel=1e-9)
    assert "chain rule" in shown["text"]


def test_neuron_explanation_writes_out_the_weighted_sum(client):
    with session(client, dataset="circles", hidden=[3]) as (ws, sid, _, _):
        ws.send_json({"type": "explain_neuron", "layer": 0, "unit": 2, "point": [0.5, -0.25]})
        shown = receive(ws, "neuron")
        dense = client.app.state.sessions[sid].session.model.layers[0]
    w, b = dense.w.data[:, 2].astype(np.float64), float(dense.b.data[2])
    z = 0.5 * w[0] - 0.25 * w[1] + b
    assert shown["z"] == pytest.approx(z, rel=1e-5)
    assert shown["a"] == pytest.approx(np.tanh(z), rel=1e-5)
    assert "z = Σᵢ aᵢ·wᵢ2 + b2" in shown["text"] and shown["activation"] == "tanh"


def _csv_bytes(rows: int = 120) -> bytes:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 3))
    label = (x[:, 0] + x[:, 1] > 0).astype(int)
    rows = [f"{r[0]:.4f},{r[1]:.4f},{r[2]:.4f},{k}" for r, k in zip(x, label)]
    lines = ["a,b,noise,label", *rows]
    return ("\n".join(lines) + "\n").encode()


def test_csv_upload_is_checked_then_trains_on_the_chosen_target(client):
    reply = client.post("/api/upload?name=toy.csv", content=_csv_bytes())
    body = reply.json()
    assert reply.status_code == 200, body
    assert body["columns"] == ["a", "b", "noise", "label"] and body["rows"] == 120
    assert body["classification"] is True  # integer labels: the page picks cross-entropy
    settings = {"dataset": "csv", "upload": body["token"], "target": "label", "hidden": [4]}
    with session(client, **settings) as (ws, _, ready, _):
        assert ready["sizes"] == [3, 4, 2] and ready["features"] == ["a", "b", "noise"]
        ws.send_json({"type": "step", "unit": "epoch"})
        assert receive(ws, "state")["test_accuracy"] is not None
        regression = {**settings, "target": "a", "loss": "cross_entropy"}
        ws.send_json({"type": "configure", "settings": regression})
        assert "cross-entropy needs classes" in next_error(ws)["message"]


def test_bad_uploads_are_refused_with_the_data_modules_message(client):
    reply = client.post("/api/upload?name=mine.csv", content=b"a,b\n1,hello\n2,3\n")
    assert reply.status_code == 400
    assert reply.json()["error"].startswith("load_csv('mine.csv')")
    reply = client.post("/api/upload", content=b"\xff\xfe,a\n1,2\n")
    assert reply.status_code == 400
    assert reply.json()["error"].startswith("upload: the file is not UTF-8 text")
    quoted = client.post("/api/upload", content=b'"x, cm",y\n1,2\n3,4\n').json()
    assert quoted["columns"] == ["x, cm", "y"] and quoted["classification"] is True
    big = b"a,b\n" + b"1,2\n" * (MAX_UPLOAD_BYTES // 4 + 1)
    reply = client.post("/api/upload", content=big)
    assert reply.status_code == 413
    assert re.search(r"upload: the file is too large. Got \d+ bytes", reply.json()["error"])


def test_export_script_replays_the_run_and_the_model_file_loads(client, tmp_path):
    settings = {
        "dataset": "spiral",
        "classes": 3,
        "features": ["x1", "x2", "sin(x1)"],
        "dropout": 0.1,
        "l2": 0.001,
        "l1": 0.002,
        "optimizer": "momentum",
        "lr": 0.05,
    }
    with session(client, **settings) as (ws, sid, _, _):
        ws.send_json({"type": "step", "unit": "epoch"})
        receive(ws, "state")
        ws.send_json({"type": "set_lr", "lr": 0.02})
        receive(ws, "lr")
        ws.send_json({"type": "step", "unit": "epoch"})
        state = receive(ws, "state")
        script = client.get(f"/api/export/{sid}/script")
        model_file = client.get(f"/api/export/{sid}/model")
        s = client.app.state.sessions[sid].session
        expected = s.predict(s.data.x_test)
    assert "attachment" in script.headers["content-disposition"]
    assert "LR_CHANGES = {" in script.text and ": 0.02}" in script.text
    assert "* 0.002  # L1: λ₁·Σ|w|" in script.text
    (tmp_path / "run.py").write_text(script.text)
    run = subprocess.run(
        [sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert f"test accuracy {state['test_accuracy']:.4f}" in run.stdout
    path = tmp_path / "downloaded.gn"
    path.write_bytes(model_file.content)
    loaded = gn.load_model(str(path))
    assert np.array_equal(loaded.predict(s.data.x_test).argmax(axis=1), expected)
    assert client.get("/api/export/nobody/script").status_code == 404


def test_closing_the_socket_stops_its_training(client):
    with session(client) as (ws, sid, _, _):
        ws.send_json({"type": "play"})
        receive(ws, "state")
        conn = client.app.state.sessions[sid]
    assert sid not in client.app.state.sessions
    assert conn.playing is False
    steps = conn.session.steps
    with client.websocket_connect("/ws") as other:  # the server is still alive
        receive(other, "hello")
    assert conn.session.steps <= steps + conn.session.batches_per_epoch


def test_each_tab_has_its_own_model(client):
    with session(client, seed=1) as (_, a, _, one), session(client, seed=2) as (_, b, _, two):
        assert a != b
        assert one["weights"] != two["weights"]


def test_mnist_subset_sends_digits_predictions_and_first_layer_images(client):
    with session(client, dataset="mnist", samples=200, hidden=[6]) as (_, _, ready, state):
        assert ready["sizes"] == [784, 6, 10] and len(ready["digits"]) == 16
        assert len(state["filters"]) == 6 and len(state["predictions"]) == 16
        assert state["weights"][0] is None and len(state["weights"][1]) == 6


def test_serve_prints_its_url_and_warns_off_loopback(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: calls.append(kw))
    server.serve("127.0.0.1", 8765)
    out = capsys.readouterr()
    assert "http://127.0.0.1:8765/" in out.out and "warning" not in out.err
    server.serve("0.0.0.0", 9000)
    assert "warning: bound to 0.0.0.0" in capsys.readouterr().err
    assert [c["port"] for c in calls] == [8765, 9000]
    assert server.is_loopback("::1") and server.is_loopback("localhost")
    assert not server.is_loopback("192.168.1.4") and not server.is_loopback("example.org")


def test_cli_has_the_playground_subcommand(monkeypatch):
    from glassnet import cli

    seen = {}
    monkeypatch.setattr(
        server,
        "serve",
        lambda host, port, open_browser: seen.update(host=host, port=port, open=open_browser),
    )
    assert cli.main(["playground", "--port", "8800", "--open"]) == 0
    assert seen == {"host": "127.0.0.1", "port": 8800, "open": True}
    assert cli.main(["playground", "--port", "70000"]) == 2
    help_text = io.StringIO()
    with contextlib.redirect_stdout(help_text), pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "playground" in help_text.getvalue()


def test_an_exported_csv_script_names_the_file_safely(client, tmp_path):
    token = client.post("/api/upload", content=_csv_bytes()).json()["token"]
    settings = {"dataset": "csv", "upload": token, "target": "label", "hidden": [3]}
    with session(client, **settings) as (ws, sid, _, _):
        ws.send_json({"type": "step", "unit": "epoch"})
        state = receive(ws, "state")
        name = 'toy""" + __import__("os").system("x") + """.csv'
        script = client.get(f"/api/export/{sid}/script", params={"csv": name}).text
    safe = export.safe_file_name(name)
    assert re.fullmatch(r"[A-Za-z0-9._ -]+", safe)
    tree = ast.parse(script)
    assert f"Put the uploaded file {safe!r} next to this script" in ast.get_docstring(tree)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert not any(getattr(c.func, "attr", "") == "system" for c in calls)
    (tmp_path / safe).write_bytes(_csv_bytes())
    (tmp_path / "run.py").write_text(script)
    run = subprocess.run(
        [sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert f"test accuracy {state['test_accuracy']:.4f}" in run.stdout


def test_other_sites_pages_are_refused(client):
    evil = {"origin": "http://evil.example"}
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/ws", headers=evil),
    ):
        pass
    assert closed.value.code == 1008
    reply = client.post("/api/upload", content=_csv_bytes(), headers=evil)
    assert reply.status_code == 403 and "another site" in reply.json()["error"]
    own = {"origin": "http://testserver"}
    with client.websocket_connect("/ws", headers=own) as ws:
        assert receive(ws, "hello")["session"]


def test_a_loopback_server_refuses_other_host_names():
    with TestClient(create_app(server.LOOPBACK_NAMES), base_url="http://127.0.0.1:8765") as c:
        assert c.get("/").status_code == 200
        assert c.get("/", headers={"host": "rebound.example"}).status_code == 400


def test_two_tabs_training_at_once_do_not_disturb_each_other(client):
    """no_grad is a process-wide switch: one tab's evaluation must not stop the other's
    gradient recording. Both runs must equal a replay of their steps in isolation."""
    with (
        session(client, hidden=[8, 8]) as (a, sid_a, _, _),
        session(client, dataset="xor", hidden=[8]) as (b, sid_b, _, _),
    ):
        for ws in (a, b):
            ws.send_json({"type": "play"})
        for _ in range(30):
            for ws in (a, b):
                assert ws.receive_json()["type"] in ("state", "playing")
        for ws in (a, b):
            ws.send_json({"type": "pause"})
            receive(ws, "playing")
        live = [client.app.state.sessions[sid].session for sid in (sid_a, sid_b)]
    for s in live:
        replay = Session(s.settings)
        for _ in range(s.steps):
            replay.train_batch()
        for p, q in zip(s.model.parameters(), replay.model.parameters()):
            assert np.array_equal(p.data, q.data)


def test_a_page_that_acknowledges_states_has_at_most_two_unread(client):
    with session(client) as (ws, _, _, _):
        ws.send_json({"type": "ack"})  # this client takes part in flow control
        ws.send_json({"type": "play"})
        start = time.monotonic()
        receive(ws, "state")
        receive(ws, "state")
        two = time.monotonic() - start
        receive(ws, "state")  # held back until the 1 s wait for an ack runs out
        assert time.monotonic() - start - two >= 0.9
        ws.send_json({"type": "ack"})
        ws.send_json({"type": "pause"})
        receive(ws, "playing")


def test_open_waits_until_the_server_listens(monkeypatch):
    opened = []
    monkeypatch.setattr(server.webbrowser, "open", lambda url: opened.append(url) or True)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        assert not server.open_when_listening("127.0.0.1", port, "http://x/", wait_s=0.3)
        listener.listen()
        assert server.open_when_listening("127.0.0.1", port, "http://x/", wait_s=5)
    assert opened == ["http://x/"]
