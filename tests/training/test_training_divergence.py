"""One definition of divergence (glassnet.training.divergence), read by fit's guard, the
doctor and random_search: a loss that grows by orders of magnitude is diverged even when
it stays finite."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet.training import recipes
from glassnet.training.callbacks import DivergenceWarning
from glassnet.training.divergence import FACTOR, PATIENCE, divergence


def test_the_rule_in_numbers():
    assert (FACTOR, PATIENCE) == (100.0, 2)
    assert divergence([]) is None
    assert divergence([0.5, 0.3, 0.2], start=0.7) is None
    assert divergence([60.0, 1.4, 2.7], start=0.66) is None  # one bad epoch, then back
    assert divergence([67.0, 1.0, 67.0, 1.0], start=0.66) is None  # never 2 in a row
    found = divergence([67.0, 1.0, 67.0, 67.0], start=0.66)
    assert (found.rule, found.epoch, found.loss) == ("grew", 4, 67.0)
    assert "stayed above 100× its starting value for 2 epochs in a row (epochs 3–4)" in (
        found.describe()
    )
    nan = divergence([1.0, math.nan], start=1.0)
    assert (nan.rule, nan.epoch) == ("non-finite", 2) and "became nan at epoch 2" in nan.describe()
    assert divergence([math.inf]).rule == "non-finite"
    assert divergence([5.0, 600.0, 700.0]).epoch == 3  # start: the first epoch's loss


def circles_fit(lr: float, epochs: int = 8):
    x, y = gn.data.make_circles(400, noise=0.1, seed=0)
    model = recipes.build_mlp(2, [16, 16], 2, "relu", 0)
    model.compile(gn.optim.Adam(lr=lr), "cross_entropy")
    return model, model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, seed=0)


def test_fit_stops_a_finite_but_exploding_run():
    with pytest.warns(DivergenceWarning, match=r"training diverged: the loss rose from 0\.66"):
        model, history = circles_fit(lr=1e6)
    assert len(history.epoch) == 2 and history.stopped_early
    assert np.isfinite(history["loss"]).all() and min(history["loss"]) > 1e4
    assert "lr=1000000.0" in history.diverged and "try lr=100000" in history.diverged
    report = gn.doctor(history=history, model=model)["lr_too_high"]
    assert report.finding.startswith("training diverged: the loss rose from 0.6646 to")


def test_a_large_but_recovering_learning_rate_is_not_diverged():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        _, history = circles_fit(lr=1.0)
    assert history.diverged is None and len(history.epoch) == 8
    assert max(history["loss"]) > 10 * history.batch_loss[0]  # it did jump up for a while


def test_the_doctor_applies_the_same_rule_to_a_bare_curve():
    grew = gn.doctor(history={"loss": [0.7, 90.0, 95.0]})["lr_too_high"]
    assert grew.finding.startswith("training diverged: the loss rose from 0.7 to 95")
    nan = gn.doctor(history={"loss": [1.0, 4.0, float("nan")]})["lr_too_high"]
    assert nan.finding == "the loss became NaN/inf: [1.0, 4.0, nan]"


def build_circles(params: dict, seed: int):
    model = recipes.build_mlp(2, [16, 16], 2, "relu", seed)
    return model.compile(gn.optim.Adam(lr=params["lr"]), "cross_entropy")


def test_the_search_records_adam_at_lr_1e6_as_diverged():
    x, y = gn.data.make_circles(400, noise=0.1, seed=0)
    space = {"lr": gn.tune.Choice([1e6, 1e-2])}
    result = gn.tune.random_search(
        build_circles, space, 6, x, y, validation_split=0.2, epochs=4, seed=0
    )
    by_lr = {}
    for record in result.records:
        by_lr.setdefault(record["params"]["lr"], set()).add(record["status"])
    assert by_lr[1e6] == {"diverged"} and by_lr.get(1e-2, {"ok"}) == {"ok"}
    diverged = [r for r in result.records if r["status"] == "diverged"]
    assert all("loss rose from" in r["error"] and r["epochs"] == 2 for r in diverged)
