"""The playground's wire protocol: every setting and message the page may send, validated.

The browser is untrusted input. Each WebSocket message is one JSON object with a ``type``;
:func:`parse_message` turns the raw text into a checked dict or raises ConfigError with a
message in the house template, which the server sends back as an ``error`` reply. Nothing
here evaluates code: names are looked up in fixed tables, numbers are range-checked.

Settings (the page's controls; the URL query string holds the same keys):

    dataset      circles | xor | gaussians | spiral | regression_plane | multi_gaussian
                 | csv | mnist
    samples      points to generate (2-D sets) or MNIST images to take, 20 … 5000
    noise        0 … 1, passed to the generator
    classes      arms of the spiral, 2 … 6 (multi-class on the plane)
    test_size    fraction held out for testing, 0.1 … 0.9
    features     subset of x1, x2, x1², x2², x1·x2, sin x1, sin x2 (2-D sets)
    hidden       neurons per hidden layer, at most 8 layers of 1 … 64
    activation   a name of glassnet.activations.names() (relu, sigmoid, tanh, …), or
                 an alias such as linear (= identity)
    loss         squared_error | cross_entropy (classification only)
    optimizer    sgd | momentum | adam
    lr           learning rate, 1e-6 … 10
    batch_size   1 … 1024
    l2           strength λ of the penalty (λ/2)·Σw², 0 … 1
    l1           strength λ₁ of the penalty λ₁·Σ|w|, 0 … 1 (pushes weights to exactly 0)
    dropout      drop probability after each hidden layer, 0 … 0.9
    seed         0 … 2³¹ − 1: data, initial weights, shuffling and dropout
    upload       the token of an uploaded CSV (dataset csv)
    target       the CSV column to predict (dataset csv)

Messages from the page:

    configure {settings}           new data and model (stops training)
    play | pause | reset           run, stop, fresh weights from the seed
    step {unit: batch | epoch}     one mini-batch, or to the end of the epoch
    set_lr {lr}                    the learning rate from the next step on
    explain_weight {layer, row, col, sample}    w[row, col] of Dense layer ``layer``
                                   (row −1: the bias) on training example ``sample``
    explain_neuron {layer, unit, point | sample}    zⱼ and aⱼ at a plane point or example
    ack                            the page took a state (flow control)

Replies: hello {session}, ready {sizes, points, …}, state {steps, epoch, losses, weights,
plane, …}, playing {playing}, lr {lr, steps}, weight {value, gradient, new_value, text},
neuron {z, a, text}, error {message}.
"""

from __future__ import annotations

import json
import math
import re

from glassnet import activations
from glassnet.errors import ConfigError, message

__all__ = [
    "DATASETS",
    "PLANE_DATASETS",
    "REGRESSION_DATASETS",
    "FEATURES",
    "DEFAULTS",
    "MAX_LAYERS",
    "MAX_NEURONS",
    "MAX_MESSAGE_BYTES",
    "validate_settings",
    "parse_message",
]

PLANE_DATASETS = ("circles", "xor", "gaussians", "spiral", "regression_plane", "multi_gaussian")
REGRESSION_DATASETS = ("regression_plane", "multi_gaussian")
DATASETS = (*PLANE_DATASETS, "csv", "mnist")
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
LOSSES = ("squared_error", "cross_entropy")
OPTIMIZERS = ("sgd", "momentum", "adam")
STEP_UNITS = ("batch", "epoch")
MAX_LAYERS, MAX_NEURONS = 8, 64
MAX_MESSAGE_BYTES = 64 * 1024
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

DEFAULTS: dict = {
    "dataset": "circles",
    "samples": 400,
    "noise": 0.1,
    "classes": 2,
    "test_size": 0.5,
    "features": ["x1", "x2"],
    "hidden": [4, 4],
    "activation": "tanh",
    "loss": "cross_entropy",
    "optimizer": "adam",
    "lr": 0.03,
    "batch_size": 16,
    "l2": 0.0,
    "l1": 0.0,
    "dropout": 0.0,
    "seed": 0,
    "upload": None,
    "target": None,
}

# name -> (low, high) for floats; ints are listed separately.
_FLOATS = {
    "noise": (0.0, 1.0),
    "test_size": (0.1, 0.9),
    "lr": (1e-6, 10.0),
    "l2": (0.0, 1.0),
    "l1": (0.0, 1.0),
    "dropout": (0.0, 0.9),
}
_INTS = {"classes": (2, 6), "samples": (20, 5000), "batch_size": (1, 1024), "seed": (0, 2**31 - 1)}
_CHOICES = {
    "dataset": DATASETS,
    "activation": activations.choices,  # a function: the registry is read at each check
    "loss": LOSSES,
    "optimizer": OPTIMIZERS,
}


MAX_SHOWN = 80  # characters of a refused value quoted back in an error reply


def _shown(value) -> str:
    """repr(value), cut to MAX_SHOWN characters (a 4,000-digit number is not echoed whole)."""
    try:
        text = repr(value)
    except ValueError:  # an int past sys.get_int_max_str_digits()
        text = f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _fail(where: str, what: str, got, expected: str, hint: str | None = None):
    raise ConfigError(message(where, what, _shown(got), expected, hint))


def check_float(where: str, value: object, low: float, high: float) -> float:
    """A finite number in [low, high] (bools are refused: they are not numbers here)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 1e308:
        _fail(where, "is out of range", value, f"a number in [{low:g}, {high:g}]")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        _fail(where, "must be a finite number", value, f"a number in [{low:g}, {high:g}]")
    if not low <= value <= high:
        _fail(where, "is out of range", value, f"a number in [{low:g}, {high:g}]")
    return float(value)


def check_int(where: str, value: object, low: int, high: int) -> int:
    """An integer in [low, high]; 3.0 is accepted as 3, 3.5 is not."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(where, "must be an integer", value, f"an integer in [{low}, {high}]")
    if not low <= value <= high:
        _fail(where, "is out of range", value, f"an integer in [{low}, {high}]")
    return value


def _check_choice(where: str, value, choices: tuple) -> str:
    if not isinstance(value, str) or value not in choices:
        _fail(where, "is not a known choice", value, "one of " + ", ".join(choices))
    return value


def _check_hidden(value) -> list[int]:
    if not isinstance(value, list):
        _fail("settings.hidden", "must be a list of layer sizes", value, "e.g. [4, 4]")
    if len(value) > MAX_LAYERS:
        _fail(
            "settings.hidden",
            f"has {len(value)} layers",
            value,
            f"at most {MAX_LAYERS} hidden layers",
            "remove layers with the − button",
        )
    return [check_int(f"settings.hidden[{i}]", n, 1, MAX_NEURONS) for i, n in enumerate(value)]


def _check_features(value) -> list[str]:
    if not isinstance(value, list) or not value:
        _fail("settings.features", "must be a non-empty list", value, "e.g. ['x1', 'x2']")
    chosen = {_check_choice("settings.features", f, FEATURES) for f in value}
    return [f for f in FEATURES if f in chosen]


def _check_csv(settings: dict) -> None:
    token, target = settings["upload"], settings["target"]
    if not isinstance(token, str) or not _TOKEN.match(token):
        _fail(
            "settings.upload",
            "the CSV data set needs an uploaded file",
            token,
            "the token the upload returned",
            "upload a CSV file first",
        )
    if not isinstance(target, str) or not 0 < len(target) <= 200:
        _fail(
            "settings.target",
            "the CSV data set needs a target column",
            target,
            "a column name from the uploaded header",
        )


def validate_settings(raw: object) -> dict:
    """Defaults overlaid with ``raw``, every value checked; unknown keys are refused.

    >>> validate_settings({"hidden": [8, 8], "lr": 0.1})["hidden"]
    [8, 8]
    """
    if not isinstance(raw, dict):
        _fail("settings", "must be an object", raw, "a JSON object of settings")
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        _fail("settings", "has unknown keys", unknown, "keys among " + ", ".join(DEFAULTS))
    settings = {**DEFAULTS, **raw}
    for key, choices in _CHOICES.items():
        choices = choices() if callable(choices) else choices
        settings[key] = _check_choice(f"settings.{key}", settings[key], choices)
    settings["activation"] = activations.get(settings["activation"]).name  # "linear" → identity
    for key, (low, high) in _FLOATS.items():
        settings[key] = check_float(f"settings.{key}", settings[key], low, high)
    for key, (low, high) in _INTS.items():
        settings[key] = check_int(f"settings.{key}", settings[key], low, high)
    settings["hidden"] = _check_hidden(settings["hidden"])
    settings["features"] = _check_features(settings["features"])
    if settings["dataset"] == "csv":
        _check_csv(settings)
    else:
        settings["upload"] = settings["target"] = None
    if settings["dataset"] in REGRESSION_DATASETS and settings["loss"] == "cross_entropy":
        _fail(
            "settings.loss",
            "cross-entropy needs classes, and this data set is a regression",
            settings["loss"],
            f"'squared_error' for {settings['dataset']}",
        )
    return settings


def _no_fields(body: dict) -> dict:
    return {}


def _configure(body: dict) -> dict:
    return {"settings": validate_settings(body.get("settings"))}


def _step(body: dict) -> dict:
    return {"unit": _check_choice("step.unit", body.get("unit"), STEP_UNITS)}


def _set_lr(body: dict) -> dict:
    return {"lr": check_float("set_lr.lr", body.get("lr"), *_FLOATS["lr"])}


def _sample(where: str, body: dict) -> int:
    return check_int(f"{where}.sample", body.get("sample"), 0, 10**6)


def _explain_weight(body: dict) -> dict:
    layer = check_int("explain_weight.layer", body.get("layer"), 0, MAX_LAYERS)
    row = check_int("explain_weight.row", body.get("row", 0), -1, 10**4)
    col = check_int("explain_weight.col", body.get("col"), 0, 10**4)
    return {"layer": layer, "row": row, "col": col, "sample": _sample("explain_weight", body)}


def _explain_neuron(body: dict) -> dict:
    layer = check_int("explain_neuron.layer", body.get("layer"), 0, MAX_LAYERS)
    unit = check_int("explain_neuron.unit", body.get("unit"), 0, 10**4)
    point = body.get("point")
    if point is None:
        return {
            "layer": layer,
            "unit": unit,
            "point": None,
            "sample": _sample("explain_neuron", body),
        }
    if not isinstance(point, list) or len(point) != 2:
        _fail("explain_neuron.point", "must be a pair of coordinates", point, "[x1, x2]")
    xy = [check_float("explain_neuron.point", v, -1e6, 1e6) for v in point]
    return {"layer": layer, "unit": unit, "point": xy, "sample": None}


_MESSAGES = {
    "configure": _configure,
    "play": _no_fields,
    "ack": _no_fields,
    "pause": _no_fields,
    "reset": _no_fields,
    "step": _step,
    "set_lr": _set_lr,
    "explain_weight": _explain_weight,
    "explain_neuron": _explain_neuron,
}


def parse_message(text: object) -> dict:
    """Decode one client message: ``{"type": ..., ...}`` → checked fields plus ``type``.

    Raises ConfigError for anything else: bytes, oversize text, bad JSON, unknown types,
    out-of-range values. ``explain_weight`` addresses weight w[row, col] of Dense layer
    ``layer`` (row −1 means the bias b[col]).
    """
    if not isinstance(text, str):
        _fail("message", "must be text", type(text).__name__, "a JSON object as text")
    if len(text) > MAX_MESSAGE_BYTES:
        _fail("message", "is too long", f"{len(text)} characters", f"at most {MAX_MESSAGE_BYTES}")
    try:
        body = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ConfigError(
            message(
                "message",
                "is not valid JSON",
                str(exc)[:120],
                'an object such as {"type": "play"}',
            )
        ) from None
    if not isinstance(body, dict):
        _fail("message", "must be a JSON object", body, 'an object such as {"type": "play"}')
    kind = body.get("type")
    if not isinstance(kind, str) or kind not in _MESSAGES:
        _fail("message.type", "is not a known message", kind, "one of " + ", ".join(_MESSAGES))
    return {"type": kind, **_MESSAGES[kind](body)}
