"""The shared setting validators: canonical values back, house-template errors otherwise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glassnet import _validate as v
from glassnet.errors import ConfigError


@pytest.mark.parametrize(
    "check, value, expected",
    [
        (lambda x: v.positive_int("L", "n", x), np.int64(3), 3),
        (lambda x: v.int_at_least("L", "n", x, 0), 0, 0),
        (lambda x: v.positive_number("L", "lr", x), np.float32(0.5), 0.5),
        (lambda x: v.non_negative_number("L", "d", x), 0, 0.0),
        (lambda x: v.finite_number("L", "low", x), -2, -2.0),
        (lambda x: v.fraction("L", "p", x), 0, 0.0),
        (lambda x: v.unit_interval("L", "m", x), 1, 1.0),
        (lambda x: v.choice("L", "mode", x, ("min", "max")), "max", "max"),
    ],
)
def test_valid_values_come_back_in_their_canonical_type(check, value, expected):
    result = check(value)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    "check, value, pattern",
    [
        (v.positive_int, 0, r"L: x must be a positive int\. Got 0; expected an int ≥ 1\."),
        (v.positive_int, True, r"x must be a positive int\. Got True"),
        (v.positive_int, 2.0, r"x must be a positive int\. Got 2\.0"),
        (v.positive_number, 0.0, r"L: x must be a positive number\. Got 0\.0; expected x > 0\."),
        (v.positive_number, math.inf, r"x must be a positive number\. Got inf"),
        (v.non_negative_number, math.nan, r"x must be a non-negative number\. Got nan"),
        (v.non_negative_number, "1", r"x must be a non-negative number\. Got '1'"),
        (v.finite_number, -math.inf, r"x must be a finite number\. Got -inf"),
        (v.fraction, 1.0, r"L: x must be in \[0, 1\)\. Got 1\.0; expected 0 ≤ x < 1\."),
        (v.fraction, False, r"x must be in \[0, 1\)\. Got False"),
        (v.unit_interval, 0, r"L: x must be in \(0, 1\]\. Got 0; expected 0 < x ≤ 1\."),
    ],
)
def test_invalid_values_raise_config_errors_that_name_where_and_what(check, value, pattern):
    with pytest.raises(ConfigError, match=pattern):
        check("L", "x", value)


def test_int_at_least_and_choice_messages():
    with pytest.raises(ConfigError, match=r"L: k must be an int ≥ 2\. Got 1; expected an int ≥ 2"):
        v.int_at_least("L", "k", 1, 2)
    with pytest.raises(ConfigError, match=r"L: unknown mode\. Got 'up'; expected 'a', 'b' or 'c'"):
        v.choice("L", "mode", "up", ("a", "b", "c"))
    with pytest.raises(ConfigError, match=r"unknown mode\. Got \['a'\]; expected 'a'\."):
        v.choice("L", "mode", ["a"], ("a",))
