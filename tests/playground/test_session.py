"""A playground session: seeded data and model, batch-by-batch training, views, the doctor."""

import base64
import json

import numpy as np
import pytest

from glassnet.errors import ConfigError, DataError
from glassnet.playground import views
from glassnet.playground.datasets import feature_matrix, prepare
from glassnet.playground.explainers import run_doctor
from glassnet.playground.protocol import validate_settings
from glassnet.playground.session import Session


def make(**settings) -> Session:
    return Session(validate_settings(settings))


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    runs = [make(seed=seed, dropout=0.2) for seed in (5, 5, 6)]
    for s in runs:
        s.step("epoch")
        s.step("batch")
    a, b, c = ([p.data for p in s.model.parameters()] for s in runs)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_epochs_and_batches_are_counted_like_a_fit_loop():
    s = make(samples=100, test_size=0.5, batch_size=16)
    assert s.batches_per_epoch == 4  # 50 training rows: 16 + 16 + 16 + 2
    s.step("batch")
    assert (s.steps, s.epoch, s.cursor) == (1, 0, 16)
    s.step("epoch")
    assert (s.steps, s.epoch, s.cursor) == (4, 1, 0)
    assert s.train_for(10.0) == 4  # a slice stops at one epoch


def test_features_are_the_named_functions_of_the_point():
    p = np.array([[0.5, -2.0]], np.float32)
    names = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]
    expected = [0.5, -2.0, 0.25, 4.0, -1.0, np.sin(0.5), np.sin(-2.0)]
    assert np.allclose(feature_matrix(p, names)[0], expected)
    s = make(features=["x1^2", "x2^2"], hidden=[])
    assert s.topology()["sizes"] == [2, 2] and len(s.topology()["input_maps"]) == 2


def test_squared_error_on_classes_compares_with_one_hot_rows():
    s = make(dataset="spiral", classes=3, loss="squared_error")
    assert s.targets.shape == (len(s.data.x_train), s.data.classes)
    assert np.array_equal(s.targets.argmax(axis=1), s.data.y_train)
    assert s.data.classes == 3
    before = s.evaluate(s.data.x_test, s.data.y_test)[0]
    s.step("epoch")
    assert s.evaluate(s.data.x_test, s.data.y_test)[0] < before


def test_l2_adds_half_lambda_times_the_squared_weights():
    s = make(l2=0.1)
    x, t = s.data.x_train[:8], s.targets[:8]
    plain = s.loss(s.model(x), t).item()
    squares = sum(float((w.data.astype(np.float64) ** 2).sum()) for w in s.weights)
    assert s.objective(s.model(x), t).item() == pytest.approx(plain + 0.05 * squares, rel=1e-5)


def test_l1_adds_lambda_times_the_absolute_weights_and_zeroes_some():
    s = make(l1=0.01, l2=0.1)
    x, t = s.data.x_train[:8], s.targets[:8]
    plain = s.loss(s.model(x), t).item()
    weights = [w.data.astype(np.float64) for w in s.weights]
    squares, absolute = (sum(float(f(w).sum()) for w in weights) for f in (np.square, np.abs))
    expected = plain + 0.05 * squares + 0.01 * absolute
    assert s.objective(s.model(x), t).item() == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ConfigError, match=r"settings.l1: is out of range. Got 2"):
        make(l1=2)


@pytest.mark.parametrize("dataset", ["regression_plane", "multi_gaussian"])
def test_regressions_show_a_surface_and_have_no_accuracy(dataset):
    s = make(dataset=dataset, loss="squared_error", hidden=[3])
    state = s.snapshot()
    assert state["test_accuracy"] is None and "surface" in state["plane"]["boundary"]
    assert abs(float(s.data.y_train.mean())) < 1e-5  # standardised target


def test_boundary_bytes_are_argmax_and_confidence_over_the_grid():
    s = make(dataset="xor")
    s.step("epoch")
    boundary = s.snapshot()["plane"]["boundary"]
    classes = np.frombuffer(base64.b64decode(boundary["classes"]), np.uint8)
    grid = feature_matrix(views.grid_points(s.data.extent), s.settings["features"])
    assert classes.size == views.GRID**2
    assert np.array_equal(classes, s.predict(grid))


def test_unit_encoding_maps_the_largest_magnitude_to_the_ends():
    text, scale = views.encode_unit(np.array([-2.0, 0.0, 1.0, 2.0]))
    assert scale == 2.0
    assert list(base64.b64decode(text)) == [0, 128, 191, 255]


def test_neuron_explanation_refuses_a_point_off_the_plane():
    s = make(dataset="mnist", samples=100, hidden=[4])
    with pytest.raises(ConfigError, match=r"explain_neuron.point: a point on the plane needs"):
        s.explain_neuron(0, 0, [0.0, 0.0], None)
    assert "z = Σᵢ aᵢ·wᵢ1 + b1" in s.explain_neuron(0, 1, None, 2)["text"]
    with pytest.raises(ConfigError, match=r"explain_neuron.sample: the example is out of range"):
        s.explain_neuron(0, 1, None, 10**5)


def test_the_doctor_reads_the_live_run():
    s = make(optimizer="sgd", lr=1e-5)
    for _ in range(8):
        s.step("epoch")
        s.metrics()
    assert len(s.history["loss"]) == 8
    assert "lr_too_low" in [d["kind"] for d in run_doctor(s)]


def test_a_csv_target_with_decimals_is_a_regression_and_refuses_cross_entropy():
    rows = "\n".join(f"{i},{i * 0.37:.2f}" for i in range(40))
    upload = f"x,y\n{rows}\n".encode()
    settings = validate_settings(
        {"dataset": "csv", "upload": "t" * 12, "target": "y", "loss": "squared_error"}
    )
    s = Session(settings, upload)
    assert s.data.classes == 0 and s.targets.shape[1] == 1
    with pytest.raises(ConfigError, match=r"settings.loss: cross-entropy needs classes"):
        Session({**settings, "loss": "cross_entropy"}, upload)
    with pytest.raises(DataError, match=r"the uploaded CSV is no longer on the server"):
        prepare(settings, None)


def test_a_diverged_run_still_makes_valid_json():
    s = make(hidden=[3])
    s.model.layers[0].w.data[0, 0] = np.nan
    state = s.snapshot(with_doctor=True)
    text = json.dumps(state, allow_nan=False)
    assert state["diverged"] is True and state["train_loss"] is None
    assert state["weights"][0][0][0] == 0.0 and len(text) > 1000
