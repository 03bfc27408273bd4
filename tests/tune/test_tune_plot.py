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
    assert lr.get_xlim() == (1e-3, 10.0)
    assert [t.get_text() for t in units.get_xticklabels()] == ["4", "8", "16"]
    dots, star, diverged, failed = (c.get_offsets() for c in lr.collections)
    ok = [r for r in result.records if r["status"] == "ok"]
    np.testing.assert_allclose(dots, [[r["params"]["lr"], r["best"]] for r in ok])
    assert star.tolist() == [[result.best_params["lr"], result.best_record["best"]]]
    assert (len(diverged), len(failed)) == (statuses.count("diverged"), statuses.count("failed"))
    assert units.collections[3].get_offsets()[:, 0].tolist() == [0.0] * len(failed)  # units=4
