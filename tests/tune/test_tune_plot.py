"""gn.plot.search: one panel per hyperparameter, dots for ok trials, crosses for the rest."""

from __future__ import annotations

import numpy as np
from tune_builds import build_flaky, wages

import glassnet as gn
from glassnet.plot.search import search


def test_search_figure_shows_every_trial_on_the_searched_range(tmp_path):
    space = {"lr": gn.tune.LogUniform(1e-3, 10.0), "units": gn.tune.Choice([4, 8, 16])}
    result = gn.tune.random_search(
        build_flaky, space, 16, *wages(), validation_split=0.25, epochs=1, seed=0
    )
    statuses = [r["status"] for r in result.records]
    assert {"ok", "diverged", "failed"} <= set(statuses)
    figure = search(result, tmp_path / "search.png")
    assert (tmp_path / "search.png").read_bytes()[:4] == b"\x89PNG"
    lr, units = [ax for ax in figure.axes if ax.get_visible()]
    assert lr.get_title() == "val_loss vs lr" and lr.get_xscale() == "log"
    low, high = lr.get_xlim()  # the searched range, with a small margin
    assert 1e-3 / 1.5 < low < 1e-3 and 10.0 < high < 10.0 * 1.5
    assert [t.get_text() for t in units.get_xticklabels()] == ["4", "8", "16"]
    dots, star, diverged, failed = (c.get_offsets() for c in lr.collections)
    ok = [r for r in result.records if r["status"] == "ok"]
    np.testing.assert_allclose(dots, [[r["params"]["lr"], r["best"]] for r in ok])
    assert star.tolist() == [[result.best_params["lr"], result.best_record["best"]]]
    assert (len(diverged), len(failed)) == (statuses.count("diverged"), statuses.count("failed"))
    assert units.collections[3].get_offsets()[:, 0].tolist() == [0.0] * len(failed)  # units=4


def test_an_integer_range_gets_a_readable_number_of_whole_ticks(tmp_path):
    space = {"lr": gn.tune.Uniform(0.01, 0.05), "units": gn.tune.IntUniform(2, 32)}
    result = gn.tune.random_search(
        build_flaky, space, 4, *wages(), validation_split=0.25, epochs=1, seed=0
    )
    lr, units = [ax for ax in search(result, tmp_path / "s.png").axes if ax.get_visible()]
    ticks = [t for t in units.get_xticks() if 1.5 <= t <= 32.5]
    assert 3 <= len(ticks) <= 11 and all(t == int(t) for t in ticks)  # not all 31 of them
    low, high = lr.get_xlim()
    assert low < 0.01 and high > 0.05  # linear range padded too
