"""gn.doctor: every diagnosis provoked by a real (tiny) training run, and a healthy run clean."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.explain.doctor import Doctor, overfitting_onset


@pytest.fixture(scope="module")
def circles():
    return gn.data.make_circles(200, noise=0.05, seed=0)


def mlp(act=gn.nn.Tanh, hidden=16, seed=0, last=()):
    return gn.Sequential(
        [gn.nn.Dense(2, hidden, seed=seed), act(), gn.nn.Dense(hidden, 2, seed=seed + 1), *last]
    )


def trained(model, x, y, optimizer, epochs, **fit):
    model.compile(optimizer, "cross_entropy")
    return model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, seed=0, **fit)


def test_a_healthy_run_gets_no_diagnosis_also_as_a_callback(circles, capsys):
    x, y = circles
    model = mlp()
    model.compile(gn.optim.Adam(lr=0.02), "cross_entropy", ["accuracy"])
    check = Doctor(x, y)
    history = model.fit(
        x, y, epochs=30, batch_size=32, validation_split=0.25, verbose=0, seed=0, callbacks=[check]
    )
    assert history["accuracy"][-1] > 0.9
    assert check.report.kinds == []
    assert gn.doctor(history=history, model=model, x=x, y=y).kinds == []
    printed = capsys.readouterr().out
    assert "Nothing looks wrong in what was checked" in printed
    assert "checked: learning rate, overfitting, underfitting, input scales" in printed


def test_lr_too_high_from_an_oscillating_loss(circles):
    x, y = circles
    model = mlp()
    history = trained(model, x, y, gn.optim.SGD(lr=5.0), 10)
    d = gn.doctor(history=history, model=model)["lr_too_high"]
    assert "oscillates" in d.finding and d.numbers["jumps"] >= 2
    assert "divide the learning rate by 10 (now lr=5)" in d.fix


def test_lr_too_high_from_a_nan_loss():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    y = x @ np.array([[3.0], [-2.0], [1.0]])
    model = gn.Sequential([gn.nn.Dense(3, 8, seed=0), gn.nn.ReLU(), gn.nn.Dense(8, 1, seed=1)])
    model.compile(gn.optim.SGD(lr=50.0), "mse")
    with pytest.warns(RuntimeWarning):
        history = model.fit(x, y, epochs=20, batch_size=8, verbose=0, seed=0)
    d = gn.doctor(history=history, model=model)["lr_too_high"]
    assert d.finding.startswith("training diverged: the loss became")  # fit's words, once
    assert "hint" not in d.finding and "divide the learning rate by 10 (now lr=50)" in d.fix
    nan = gn.doctor(history={"loss": [1.0, 4.0, float("nan")]})["lr_too_high"]
    assert nan.finding == "the loss became NaN/inf: [1.0, 4.0, nan]"


def test_lr_too_low(circles):
    x, y = circles
    model = mlp()
    history = trained(model, x, y, gn.optim.SGD(lr=1e-5), 10)
    d = gn.doctor(history=history, model=model)["lr_too_low"]
    assert d.numbers["relative_drop"] < 0.01
    assert "multiply the learning rate by 10 (now lr=1e-05)" in d.fix


def test_unscaled_inputs_suggest_minmaxscaler(circles):
    x, _ = circles
    wide = x * np.array([1.0, 1000.0])
    d = gn.doctor(x=wide)["unscaled_inputs"]
    assert d.numbers["ratio"] > 500
    assert "MinMaxScaler" in d.fix
    assert gn.doctor(x=gn.data.MinMaxScaler().fit_transform(wide)).kinds == []


def test_unscaled_hourly_wages_are_flagged_and_scaled_mnist_is_not():
    x, _, _ = gn.data.load_hourly_wages()  # experience 0…55 years beside 0/1 flags
    d = gn.doctor(x=x)["unscaled_inputs"]
    assert d.numbers["ratio"] == 55 and d.numbers["max_abs"] == 64
    assert d.finding == "the feature ranges go from 1 to 55 (55×) and the largest |x| is 64"
    assert gn.doctor(x=gn.data.MinMaxScaler().fit_transform(x)).kinds == []
    (images, _), _ = gn.data.load_mnist()
    pixels = images[:1000].reshape(1000, -1).astype(np.float64)
    assert gn.doctor(x=pixels / 255).kinds == []  # border pixels span little; still scaled
    assert gn.doctor(x=pixels).kinds == ["unscaled_inputs"]  # raw 0…255


def test_dead_relus(circles):
    x, y = circles
    model = mlp(act=gn.nn.ReLU)
    model[0].b.data[:] = -100.0
    d = gn.doctor(model=model, x=x)["dead_relus"]
    assert d.numbers["dead_fraction"] == {"1": 1.0}
    assert "LeakyReLU" in d.fix


def test_a_loss_stalled_by_dead_relus_is_not_blamed_on_the_learning_rate(circles):
    x, y = circles
    model = mlp(act=gn.nn.ReLU)
    model[0].b.data[:] = -50.0  # every hidden unit starts (and stays) off
    history = trained(model, x, y, gn.optim.Adam(lr=1e-3), 3)
    assert gn.doctor(history=history, model=model).kinds == ["lr_too_low"]  # curves only
    assert "or use Adam" not in gn.doctor(history=history, model=model)["lr_too_low"].fix
    report = gn.doctor(history=history, model=model, x=x, y=y)
    assert report.kinds == ["dead_relus"] and "layer 1: 100%" in report["dead_relus"].finding


def test_saturated_tanh(circles):
    x, _ = circles
    d = gn.doctor(model=mlp(), x=x * 100)["saturated_units"]
    assert d.numbers["saturated_fraction"]["1"] > 0.5
    assert "units whose slope is below 0.01 on most inputs" in d.finding


def test_saturation_is_counted_per_unit():
    net = gn.Sequential([gn.nn.Dense(1, 4, use_bias=False), gn.nn.Sigmoid(), gn.nn.Dense(4, 1)])
    net[0].w.data[:] = [[100.0, 100.0, 0.1, 0.1]]  # units 0, 1 saturate for any |x| ≥ 0.05
    x = np.linspace(1.0, 2.0, 50)[:, None]
    d = gn.doctor(model=net, x=x)["saturated_units"]
    assert d.numbers["saturated_fraction"] == {"1": 0.5} and "layer 1: 50%" in d.finding
    net[0].w.data[:] = [[100.0, 0.1, 0.1, 0.1]]  # one unit of four: below the 50% limit
    assert gn.doctor(model=net, x=x).kinds == []


def test_overfitting_onset_names_the_epoch():
    x, y = gn.data.make_circles(30, noise=0.3, seed=0)
    val = gn.data.make_circles(100, noise=0.3, seed=1)
    model = gn.Sequential(
        [gn.nn.Dense(2, 32, seed=0), gn.nn.ReLU(), gn.nn.Dense(32, 32, seed=1), gn.nn.ReLU()]
        + [gn.nn.Dense(32, 2, seed=2)]
    )
    model.compile(gn.optim.Adam(lr=0.02), "cross_entropy")
    history = model.fit(x, y, epochs=60, batch_size=None, validation_data=val, verbose=0, seed=0)
    d = gn.doctor(history=history)["overfitting"]
    onset = overfitting_onset(history["val_loss"], history["loss"])
    assert d.numbers["onset_epoch"] == onset == int(np.argmin(history["val_loss"])) + 2
    assert f"overfitting from epoch {onset}" in d.finding
    assert "EarlyStopping" in d.fix


def test_underfitting_of_a_linear_model_on_circles(circles):
    x, y = circles
    model = gn.Sequential([gn.nn.Dense(2, 2, seed=0)])
    history = trained(model, x, y, gn.optim.Adam(lr=0.05), 20)
    d = gn.doctor(history=history, model=model, x=x, y=y)["underfitting"]
    assert d.numbers["baseline"] == pytest.approx(np.log(2), rel=0.01)
    assert d.numbers["loss"] >= 0.5 * d.numbers["baseline"]


@pytest.mark.parametrize(
    "last, loss, y, words",
    [
        ((gn.nn.Softmax(),), gn.losses.CrossEntropy(from_logits=True), None, "applies softmax"),
        ((gn.nn.Sigmoid(),), "mse", np.array([[0, 1]] * 3), "binary_cross_entropy"),
        ((gn.nn.Sigmoid(),), "mae", np.array([[0, 1]] * 3), "trained with MAE on 0/1 classes"),
        ((), gn.losses.CrossEntropy(from_logits=False), None, "raw scores"),
        (
            (gn.nn.Sigmoid(),),
            gn.losses.BinaryCrossEntropy(from_logits=True),
            None,
            "ends in Sigmoid but BinaryCrossEntropy(from_logits=True) applies sigmoid again",
        ),
    ],
)
def test_mismatched_output_and_loss(last, loss, y, words):
    report = gn.doctor(model=mlp(last=last), loss=loss, y=y)
    assert report.kinds == ["output_loss_mismatch"]
    d = report["output_loss_mismatch"]
    assert words in d.finding + d.fix


def test_report_renders_text_and_markdown(circles):
    x, _ = circles
    report = gn.doctor(x=x * np.array([1.0, 1000.0]))
    assert "unscaled inputs" in str(report) and "fix: rescale" in str(report)
    assert report.markdown().startswith("## Training doctor: 1 finding\n")
    assert "Training doctor: no findings" in str(gn.doctor(x=x))
    assert repr(report) == "DoctorReport(['unscaled_inputs'])"


def test_lr_too_high_from_a_rising_loss():
    d = gn.doctor(history={"loss": [1.0, 0.9, 1.3, 2.4]})["lr_too_high"]
    assert d.finding == "the loss rose from 1 to 2.4 over 4 epochs"
    assert d.numbers == {"first": 1.0, "last": 2.4}


def test_a_history_without_loss_is_only_checked_for_what_it_has():
    report = gn.doctor(history={"accuracy": [0.5, 0.6]})
    assert report.kinds == [] and report.checked == []
