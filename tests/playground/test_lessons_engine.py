"""The lessons' engine endpoints without a browser: their numbers, and every refusal.

The numbers are checked against glassnet used directly (and against NumPy where the math
is closed-form); each error message is matched. The HTTP routes run through Starlette's
TestClient (the real application, no mocks).
"""

import json

import numpy as np
import pytest
from starlette.testclient import TestClient

import glassnet as gn
from glassnet.errors import ConfigError
from glassnet.playground import lesson_cnn, lessons
from glassnet.playground.lesson_race import RUNNERS, Race, RaceStore
from glassnet.playground.server import create_app


def test_forward_view_matches_the_lesson_and_any_activation():
    r = lessons.forward_view({})
    assert r["z_hidden"] == [5.0, 1.0] and r["output"] == [9.0]  # the lesson's 9 transactions
    r = lessons.forward_view({"activation": "tanh", "x": [1, -2], "b_hidden": [0.5, 0]})
    z = np.array([1, -2]) @ np.array([[1, -1], [1, 1]]) + [0.5, 0]
    np.testing.assert_allclose(r["a_hidden"], np.tanh(z))
    np.testing.assert_allclose(r["output"], [np.tanh(z) @ [2, -1]])


@pytest.mark.parametrize(
    "request_, match",
    [
        ({"x": [1, 2, 3]}, r"lessons.forward: x has the wrong shape. Got \(3,\); expected \(2,\)"),
        ({"x": ["a", 1]}, r"lessons.forward: x must be numbers"),
        ({"x": [1e9, 0]}, r"lessons.forward: x is out of range"),
        ({"x": [float("nan"), 0]}, r"lessons.forward: x is out of range"),
        ({"activation": "gelu"}, r"lessons.forward: unknown activation. Got 'gelu'; expected "),
    ],
)
def test_forward_view_refuses_bad_requests(request_, match):
    with pytest.raises(ConfigError, match=match):
        lessons.forward_view(request_)


def test_line_view_errors_least_squares_and_descent():
    r = lessons.line_view({"count": 20, "seed": 3, "m": 0.5, "b": -1, "steps": 5, "lr": 0.05})
    x, y = np.array(r["x"]), np.array(r["y"])
    np.testing.assert_allclose(r["squares"], (0.5 * x - 1 - y) ** 2)
    assert r["total"] == pytest.approx(np.sum((0.5 * x - 1 - y) ** 2))
    slope, intercept = np.polyfit(x, y, 1)
    assert (r["best"]["m"], r["best"]["b"]) == (pytest.approx(slope), pytest.approx(intercept))
    m, b = 0.5, -1.0
    for _ in range(5):  # the gradient of the MSE by hand
        e = m * x + b - y
        m, b = m - 0.05 * 2 * np.mean(e * x), b - 0.05 * 2 * np.mean(e)
    assert r["path"][-1][:2] == [pytest.approx(m), pytest.approx(b)]
    assert len(r["contour"]["values"]) == 41 * 41
    diverging = lessons.line_view({"steps": 500, "lr": 5.0})["path"]
    assert len(diverging) < 500 and diverging[-1][2] > 1e8  # it stops once it has diverged


@pytest.mark.parametrize(
    "request_, match",
    [
        ({"count": 1}, r"lessons.line: count is out of range. Got 1; expected 2 … 200"),
        ({"seed": -1}, r"lessons.line: seed is out of range"),
        ({"steps": True}, r"lessons.line: steps is out of range. Got True"),
        ({"m": 11}, r"lessons.line: m is out of range"),
        ({"lr": 0}, r"lessons.line: lr is out of range"),
    ],
)
def test_line_view_refuses_bad_requests(request_, match):
    with pytest.raises(ConfigError, match=match):
        lessons.line_view(request_)


def test_matrix_view_products_and_the_other_operations():
    a, b = [[1, 2, 3], [4, 5, 6]], [[1, 0], [0, 1], [2, 2]]
    r = lessons.matrix_view({"a": a, "b": b})
    np.testing.assert_allclose(r["result"], np.array(a) @ np.array(b))
    assert r["terms"][1][0] == [4.0, 0.0, 12.0]
    assert lessons.matrix_view({"op": "transpose", "a": a})["result"] == np.array(a).T.tolist()
    assert lessons.matrix_view({"op": "scalar", "a": a, "k": -1})["result"][0] == [-1, -2, -3]
    assert lessons.matrix_view({"op": "add", "a": a, "b": a})["result"][1] == [8, 10, 12]


@pytest.mark.parametrize(
    "request_, match",
    [
        ({"op": "divide"}, r"lessons.matrix: unknown op. Got 'divide'"),
        ({"a": [[1] * 9]}, r"lessons.matrix: a has the wrong shape. Got \(1, 9\); expected 1 … 8"),
        ({"op": "add", "b": [[1, 2]]}, r"lessons.matrix: A \+ B needs equal shapes"),
        ({"b": [[1, 2, 3]]}, r"A·B needs as many columns in A as rows in B. Got A \(2, 2\), B"),
    ],
)
def test_matrix_view_refuses_bad_requests(request_, match):
    with pytest.raises(ConfigError, match=match):
        lessons.matrix_view(request_)


def test_backprop_view_deltas_follow_the_chain_rule():
    r = lessons.backprop_view({"seed": 4, "lr": 0.5})
    x, y = (np.asarray(a, np.float64) for a in gn.data.load_three_layer_toy())
    w1, w2 = np.array(r["w1"]), np.array(r["w2"])
    a1 = 1 / (1 + np.exp(-x @ w1))
    a2 = 1 / (1 + np.exp(-a1 @ w2))
    delta2 = (a2 - y) * a2 * (1 - a2)
    delta1 = delta2 @ w2.T * a1 * (1 - a1)
    np.testing.assert_allclose(r["delta2"], delta2)
    np.testing.assert_allclose(r["delta1"], delta1)
    np.testing.assert_allclose(r["new_w1"], w1 - 0.5 * x.T @ delta1)
    again = lessons.backprop_view({"w1": r["new_w1"], "w2": r["new_w2"], "iterations": 300})
    assert again["errors"][-1] < r["loss"]


@pytest.mark.parametrize(
    "request_, match",
    [
        ({"w1": [[0] * 4] * 3, "w2": [1, 2]}, r"lessons.backprop: w2 has the wrong shape"),
        ({"iterations": 0}, r"lessons.backprop: iterations is out of range. Got 0"),
        ({"lr": 1000}, r"lessons.backprop: lr is out of range"),
    ],
)
def test_backprop_view_refuses_bad_requests(request_, match):
    with pytest.raises(ConfigError, match=match):
        lessons.backprop_view(request_)


def test_the_race_runs_five_optimizers_from_the_same_weights():
    race = Race(0.05)
    first = [r.model.parameters()[0].data.copy() for r in race.runners]
    assert all(np.array_equal(first[0], w) for w in first)
    losses = race.step(0.05, 20)["losses"]
    assert list(losses) == list(RUNNERS) and all(len(v) == 20 for v in losses.values())
    assert losses["Adam"][-1] < race.start
    wild = Race(10.0).step(10.0, 30)["losses"]  # a rate far too large: runners drop out
    assert any(v[-1] is None for v in wild.values())


def test_the_race_store_refuses_bad_requests():
    store = RaceStore()
    with pytest.raises(ConfigError, match=r"lessons.race: rounds is out of range. Got 0"):
        store.handle({"rounds": 0})
    with pytest.raises(ConfigError, match=r"lessons.race: no such race. Got 'nope'"):
        store.handle({"token": "nope"})
    with pytest.raises(ConfigError, match=r"lessons.race: lr is out of range"):
        store.handle({"lr": 11})


def test_cnn_pixel_walks_back_through_a_pool_to_its_convolution():
    store = lesson_cnn.ModelStore()
    d = lesson_cnn.pixel_view(store, {"test_index": 7, "layer": 3, "channel": 2, "i": 5, "j": 6})
    assert d["layer"] == 0 and d["i"] // 2 == 5 and d["j"] // 2 == 6  # the window's winner
    assert d["total"] == pytest.approx(d["output"], abs=1e-5)
    assert d["after"][-1]["kind"] == "pool" and d["after"][-1]["value"] == pytest.approx(
        max(map(max, d["after"][-1]["window"]))
    )


@pytest.mark.parametrize(
    "request_, match",
    [
        ({"test_index": 10_000}, r"lessons.cnn: test_index is out of range. Got 10000"),
        ({"pixels": [2] * 784}, r"lessons.cnn: pixels must be 784 numbers in \[0, 1\]"),
        ({"model": "vgg"}, r"lessons.cnn: no such model. Got 'vgg'"),
        ({"layer": 9, "channel": 0, "i": 0, "j": 0}, r"that layer has no feature maps"),
        ({"layer": 0, "channel": 16, "i": 0, "j": 0}, r"channel is out of range. Got 16"),
        ({"layer": 40}, r"lessons.cnn: layer is out of range. Got 40; expected 0 … 12"),
    ],
)
def test_cnn_views_refuse_bad_requests(request_, match):
    store = lesson_cnn.ModelStore()
    with pytest.raises(ConfigError, match=match):
        lesson_cnn.pixel_view(store, request_) if "layer" in request_ else lesson_cnn.cnn_view(
            store, request_
        )


def saved(model, tmp_path) -> bytes:
    model.save(tmp_path / "m.gn")
    return (tmp_path / "m.gn").read_bytes()


def test_any_saved_image_model_can_be_uploaded_and_explained(tmp_path):
    nn, store = gn.nn, lesson_cnn.ModelStore()
    pooled_first = gn.Sequential([nn.MaxPool2D(2), nn.Flatten(), nn.Dense(196, 10, seed=0)])
    name = store.add(saved(pooled_first, tmp_path))
    view = lesson_cnn.cnn_view(store, {"model": name, "test_index": 1})
    assert len(view["probabilities"]) == 10 and view["layers"][0]["shape"] == [1, 14, 14]
    with pytest.raises(ConfigError, match=r"lessons.cnn: no convolution before that layer"):
        lesson_cnn.pixel_view(store, {"model": name, "layer": 0, "channel": 0, "i": 1, "j": 1})
    with pytest.raises(ConfigError, match=r"lessons.cnn: the file is not a usable image model"):
        store.add(b"not a model")
    maps_only = gn.Sequential([nn.Conv2D(1, 2, 3, seed=0)])
    with pytest.raises(ConfigError, match=r"the model does not output class scores. Got \(1, 2"):
        store.add(saved(maps_only, tmp_path))
    x = gn.Input((1, 28, 28))
    stem = nn.Conv2D(1, 1, 3, padding=1, seed=0)(x)
    skip = nn.Flatten()(gn.layers.Add()([nn.Conv2D(1, 1, 3, padding=1, seed=1)(stem), stem]))
    residual = gn.Model(x, nn.Dense(784, 10, seed=2)(skip))
    graph = r"lessons.cnn: the lesson walks a chain of layers, and this model is a graph\."
    with pytest.raises(ConfigError, match=graph + r".*\n  hint: gn\.plot\.graph\(model\)"):
        store.add(saved(residual, tmp_path))


def test_routes_serve_pages_and_json_and_refuse_what_they_must():
    with TestClient(create_app()) as client:
        for view in ("forward", "line", "matrix", "backprop", "race", "cnn"):
            assert client.get(f"/lessons/{view}").status_code == 200
        assert "Lessons, on the real engine" in client.get("/lessons").text
        assert client.get("/lessons/nope").json()["error"].startswith("lessons: no such view")
        assert client.post("/api/lesson/forward", json={}).json()["output"] == [9.0]
        bad = client.post("/api/lesson/forward", content=b"[1")
        assert bad.status_code == 400 and "the request is not JSON" in bad.json()["error"]
        listed = client.post("/api/lesson/forward", content=b"[1]")
        assert "lessons.forward: the request is not an object. Got list" in listed.json()["error"]
        big = client.post("/api/lesson/line", content=b" " * 70_000)
        assert big.status_code == 413 and "the request is too large" in big.json()["error"]
        wrong = client.post("/api/lesson/matrix", json={"op": "x"})
        assert wrong.status_code == 400 and "unknown op" in wrong.json()["error"]
        foreign = client.post("/api/lesson/forward", json={}, headers={"origin": "http://evil"})
        assert foreign.status_code == 403
        upload = client.post("/api/lesson/cnn-model", content=b"junk")
        assert "the file is not a usable image model" in upload.json()["error"]
        race = client.post("/api/lesson/race", json={}).json()
        step = client.post("/api/lesson/race", content=json.dumps({"token": race["token"]}))
        assert step.json()["updates"] == 1
