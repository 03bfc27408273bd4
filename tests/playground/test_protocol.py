"""Every client message is validated: bounds, types, unknown names, malformed JSON."""

import json

import pytest

from glassnet.errors import ConfigError
from glassnet.playground.protocol import (
    DEFAULTS,
    MAX_MESSAGE_BYTES,
    parse_message,
    validate_settings,
)


def configure(**settings) -> str:
    return json.dumps({"type": "configure", "settings": settings})


def test_defaults_are_valid_and_overlaid():
    settings = validate_settings({"hidden": [8, 8, 2], "lr": 0.1, "features": ["x2", "x1"]})
    assert settings["hidden"] == [8, 8, 2]
    assert settings["lr"] == 0.1
    assert settings["features"] == ["x1", "x2"]  # canonical order
    assert settings["dataset"] == DEFAULTS["dataset"]
    assert validate_settings({"seed": 3.0})["seed"] == 3


@pytest.mark.parametrize(
    "settings, pattern",
    [
        ({"hidden": [4] * 9}, r"settings.hidden: has 9 layers.*at most 8 hidden layers"),
        (
            {"hidden": [65]},
            r"settings.hidden\[0\]: is out of range. Got 65; expected an integer in \[1, 64\]",
        ),
        ({"hidden": [0]}, r"settings.hidden\[0\]: is out of range"),
        ({"hidden": "4,4"}, r"settings.hidden: must be a list of layer sizes"),
        ({"hidden": [2.5]}, r"settings.hidden\[0\]: must be an integer"),
        ({"lr": -1}, r"settings.lr: is out of range. Got -1; expected a number in \[1e-06, 10\]"),
        ({"lr": True}, r"settings.lr: must be a finite number"),
        ({"lr": "0.1"}, r"settings.lr: must be a finite number"),
        ({"lr": float("nan")}, r"settings.lr: must be a finite number"),
        ({"dropout": 0.95}, r"settings.dropout: is out of range"),
        ({"batch_size": 0}, r"settings.batch_size: is out of range"),
        (
            {"classes": 7},
            r"settings.classes: is out of range. Got 7; expected an integer in \[2, 6\]",
        ),
        ({"samples": 10**7}, r"settings.samples: is out of range"),
        ({"dataset": "imagenet"}, r"settings.dataset: is not a known choice. Got 'imagenet'"),
        ({"activation": "__import__('os')"}, r"settings.activation: is not a known choice"),
        ({"optimizer": "lbfgs"}, r"settings.optimizer: is not a known choice"),
        ({"features": []}, r"settings.features: must be a non-empty list"),
        ({"features": ["x3"]}, r"settings.features: is not a known choice"),
        ({"epochs": 3}, r"settings: has unknown keys. Got \['epochs'\]"),
        ({"dataset": "csv"}, r"settings.upload: the CSV data set needs an uploaded file"),
        ({"dataset": "csv", "upload": "a" * 16}, r"settings.target: the CSV data set needs"),
        ({"dataset": "regression_plane", "loss": "cross_entropy"}, r"cross-entropy needs classes"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(settings, pattern):
    with pytest.raises(ConfigError, match=pattern):
        validate_settings(settings)


def test_settings_must_be_an_object():
    with pytest.raises(ConfigError, match=r"settings: must be an object"):
        validate_settings([1, 2])


def test_messages_parse_to_checked_fields():
    assert parse_message('{"type": "play"}') == {"type": "play"}
    assert parse_message('{"type": "ack", "extra": 1}') == {"type": "ack"}
    assert parse_message('{"type": "step", "unit": "epoch"}') == {"type": "step", "unit": "epoch"}
    assert parse_message('{"type": "set_lr", "lr": 0.5}') == {"type": "set_lr", "lr": 0.5}
    text = '{"type": "explain_weight", "layer": 1, "row": -1, "col": 2, "sample": 4}'
    weight = parse_message(text)
    assert weight == {"type": "explain_weight", "layer": 1, "row": -1, "col": 2, "sample": 4}
    neuron = parse_message('{"type": "explain_neuron", "layer": 0, "unit": 1, "point": [0.5, -1]}')
    assert neuron["point"] == [0.5, -1.0] and neuron["sample"] is None
    assert parse_message(configure(lr=0.2))["settings"]["lr"] == 0.2


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("{not json", r"message: is not valid JSON"),
        ("[1, 2]", r"message: must be a JSON object"),
        ('{"type": "exec", "code": "1"}', r"message.type: is not a known message. Got 'exec'"),
        ("{}", r"message.type: is not a known message. Got None"),
        ('{"type": "step", "unit": "century"}', r"step.unit: is not a known choice"),
        ('{"type": "set_lr", "lr": 1e9}', r"set_lr.lr: is out of range"),
        ('{"type": "explain_weight", "layer": 0, "col": 0}', r"explain_weight.sample: must be an"),
        ('{"type": "explain_neuron", "layer": 0, "unit": 0, "point": [1]}', r"must be a pair"),
        ("[" * 100_000 + "]" * 100_000, r"message: is too long"),
        (b"\x00\x01", r"message: must be text. Got 'bytes'"),
    ],
)
def test_malformed_messages_are_refused(text, pattern):
    with pytest.raises(ConfigError, match=pattern):
        parse_message(text)


def test_deeply_nested_json_within_the_size_limit_is_refused():
    text = "[" * (MAX_MESSAGE_BYTES // 2 - 1) + "]" * (MAX_MESSAGE_BYTES // 2 - 1)
    with pytest.raises(ConfigError, match=r"message: (is not valid JSON|must be a JSON object)"):
        parse_message(text)
