"""Search-space distributions: validation at construction, sampling laws, the text form."""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.tune import Choice, IntUniform, LogUniform, Uniform, parse, parse_space


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Uniform(1.0, 1.0), r"Uniform\(1.0, 1.0\): low must be below high"),
        (lambda: Uniform(2, 1), r"Got low=2.0, high=1.0; expected low < high"),
        (lambda: Uniform(0, math.inf), r"high must be a finite number"),
        (lambda: Uniform("0", 1), r"low must be a finite number"),
        (lambda: LogUniform(0.0, 1.0), r"log-uniform bounds must be positive"),
        (lambda: LogUniform(-1e-3, 1e-1), r"0 < low < high"),
        (lambda: LogUniform(1e-1, 1e-4), r"low must be below high"),
        (lambda: IntUniform(3, 3), r"IntUniform\(3, 3\): low must be below high"),
        (lambda: IntUniform(1.5, 3), r"low must be an int"),
        (lambda: IntUniform(True, 3), r"low must be an int"),
        (lambda: Choice([]), r"Choice: there is nothing to choose from"),
        (lambda: Choice("abc"), r"options must be a list or tuple"),
    ],
)
def test_bad_bounds_raise_config_error_at_construction(make, match):
    with pytest.raises(gn.ConfigError, match=match):
        make()


def test_samples_stay_in_range_and_follow_their_law():
    rng = np.random.default_rng(0)
    u = np.array([Uniform(-2.0, 3.0).sample(rng) for _ in range(4000)])
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.1
    logs = np.log10([LogUniform(1e-4, 1e-1).sample(rng) for _ in range(4000)])
    assert logs.min() >= -4 and logs.max() < -1
    per_decade = np.histogram(logs, bins=[-4, -3, -2, -1])[0] / len(logs)
    np.testing.assert_allclose(per_decade, 1 / 3, atol=0.03)  # each decade equally likely
    ints = [IntUniform(1, 3).sample(rng) for _ in range(3000)]
    assert all(type(i) is int for i in ints)
    np.testing.assert_allclose(np.bincount(ints)[1:] / 3000, 1 / 3, atol=0.03)  # ends included
    picks = [Choice([(64, 32), "relu", 7]).sample(rng) for _ in range(300)]
    assert {(64, 32), "relu", 7} == set(picks)


def test_same_generator_state_gives_same_samples():
    space = [Uniform(0, 1), LogUniform(1e-3, 1), IntUniform(0, 9), Choice("abc".split("b"))]
    first = [d.sample(np.random.default_rng(5)) for d in space]
    assert first == [d.sample(np.random.default_rng(5)) for d in space]


def test_text_form_parses_every_kind():
    space = parse_space(
        ["lr=loguniform:1e-4:1e-1", "layers=choice:32|64,32", "p=uniform:0:0.5", "n=int:1:3"]
    )
    assert space == {
        "lr": LogUniform(1e-4, 1e-1),
        "layers": Choice([32, (64, 32)]),
        "p": Uniform(0.0, 0.5),
        "n": IntUniform(1, 3),
    }
    assert parse("choice:relu|tanh").options == ("relu", "tanh")


@pytest.mark.parametrize(
    ("items", "match"),
    [
        (["lr"], r"each entry must read NAME=DIST"),
        (["lr=normal:0:1"], r"unknown distribution. Got 'normal:0:1'"),
        (["lr=uniform:0"], r"uniform needs two numeric bounds"),
        (["lr=loguniform:0:1"], r"log-uniform bounds must be positive"),
        ([], r"the search space is empty"),
    ],
)
def test_bad_text_raises(items, match):
    with pytest.raises(gn.ConfigError, match=match):
        parse_space(items)


def test_a_space_name_must_be_a_non_empty_string():
    from glassnet.tune.distributions import check_space

    with pytest.raises(gn.ConfigError, match=r"space names must be non-empty strings. Got ''"):
        check_space({"": gn.tune.Uniform(0.0, 1.0)})
