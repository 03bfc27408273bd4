"""Search-space distributions: where each hyperparameter of a random search is drawn from.

Every distribution validates its bounds at construction (``ConfigError``) and draws with
an explicit ``np.random.Generator``, so a trial's configuration is a pure function of its
seed. ``u`` below is one draw of the standard uniform U[0, 1).

    Uniform(low, high)      x = low + (high − low)·u                 (a learning-rate offset)
    LogUniform(low, high)   x = exp(ln low + (ln high − ln low)·u)   (lr, weight decay)
    IntUniform(low, high)   x ∈ {low, …, high}, each with probability 1/(high − low + 1)
    Choice(options)         x = options[k], k uniform on {0, …, K − 1}

The text form used by the command line is ``kind:args``: ``uniform:0:0.5``,
``loguniform:1e-4:1e-1``, ``int:1:4`` and ``choice:32|64,32|relu`` (see :func:`parse`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from glassnet._validate import finite_number, is_int
from glassnet.errors import ConfigError, message

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "Distribution",
    "Uniform",
    "LogUniform",
    "IntUniform",
    "Choice",
    "check_space",
    "parse",
    "parse_space",
]


class Distribution:
    """Base class: ``sample(rng)`` returns one value; ``repr`` is the constructor call."""

    def sample(self, rng: np.random.Generator) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must define sample(rng)")

    @property
    def log_scale(self) -> bool:
        """True when values are spread evenly on a log axis (plots use a log x axis)."""
        return False

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))


def _number(where: str, label: str, value, integer: bool = False) -> float | int:
    """``value`` if it is a finite real number (an int when ``integer``), else ConfigError."""
    if integer and not is_int(value):
        raise ConfigError(message(where, f"{label} must be an int", repr(value), "an int"))
    return finite_number(where, label, value) if not integer else int(value)


def _ordered(where: str, low, high) -> None:
    if not low < high:
        raise ConfigError(
            message(
                where,
                "low must be below high",
                f"low={low!r}, high={high!r}",
                "low < high",
                "a fixed value is Choice([value])",
            )
        )


class Uniform(Distribution):
    """x = low + (high − low)·u,  u ~ U[0, 1): every value in [low, high) equally likely."""

    def __init__(self, low: float, high: float) -> None:
        where = f"Uniform({low!r}, {high!r})"
        self.low = float(_number(where, "low", low))
        self.high = float(_number(where, "high", high))
        _ordered(where, self.low, self.high)

    def sample(self, rng: np.random.Generator) -> float:
        return float(self.low + (self.high - self.low) * rng.random())

    def __repr__(self) -> str:
        return f"Uniform({self.low!r}, {self.high!r})"


class LogUniform(Distribution):
    """x = exp(ln low + (ln high − ln low)·u): each decade in [low, high) equally likely.

    Notes: the right prior for scale parameters such as the learning rate, where 1e-4 →
           1e-3 matters as much as 1e-2 → 1e-1. Both bounds must be > 0.
    """

    def __init__(self, low: float, high: float) -> None:
        where = f"LogUniform({low!r}, {high!r})"
        self.low = float(_number(where, "low", low))
        self.high = float(_number(where, "high", high))
        if self.low <= 0 or self.high <= 0:
            raise ConfigError(
                message(
                    where,
                    "log-uniform bounds must be positive",
                    f"low={low!r}, high={high!r}",
                    "0 < low < high",
                    "ln x is undefined for x ≤ 0; use Uniform for ranges that include 0",
                )
            )
        _ordered(where, self.low, self.high)

    @property
    def log_scale(self) -> bool:
        return True

    def sample(self, rng: np.random.Generator) -> float:
        log_low, log_high = math.log(self.low), math.log(self.high)
        return float(math.exp(log_low + (log_high - log_low) * rng.random()))

    def __repr__(self) -> str:
        return f"LogUniform({self.low!r}, {self.high!r})"


class IntUniform(Distribution):
    """x ∈ {low, low + 1, …, high}, both ends included, each with chance 1/(high − low + 1)."""

    def __init__(self, low: int, high: int) -> None:
        where = f"IntUniform({low!r}, {high!r})"
        self.low = int(_number(where, "low", low, integer=True))
        self.high = int(_number(where, "high", high, integer=True))
        _ordered(where, self.low, self.high)

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high, endpoint=True))

    def __repr__(self) -> str:
        return f"IntUniform({self.low!r}, {self.high!r})"


class Choice(Distribution):
    """x = options[k] with k uniform on {0, …, K − 1}: one of K options, each with chance 1/K.

    Options are returned as given (ints, strings, tuples such as layer sizes ``(64, 32)``).
    """

    def __init__(self, options: Sequence) -> None:
        if isinstance(options, str | bytes | Mapping) or not isinstance(options, Sequence):
            raise ConfigError(
                message(
                    "Choice",
                    "options must be a list or tuple of values",
                    repr(options),
                    "a sequence such as [32, 64, 128]",
                )
            )
        if len(options) == 0:
            raise ConfigError(
                message("Choice", "there is nothing to choose from", "[]", "at least one option")
            )
        self.options = tuple(options)

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]

    def __repr__(self) -> str:
        return f"Choice({list(self.options)!r})"


def check_space(space: object, where: str = "random_search") -> dict[str, Distribution]:
    """Validate a search space: a non-empty mapping of names to distributions."""
    if not isinstance(space, Mapping) or len(space) == 0:
        raise ConfigError(
            message(
                where,
                "the search space is empty"
                if isinstance(space, Mapping)
                else "space must be a dict",
                repr(space),
                "a dict such as {'lr': LogUniform(1e-4, 1e-1)}",
            )
        )
    for name, dist in space.items():
        if not isinstance(name, str) or not name:
            raise ConfigError(
                message(where, "space names must be non-empty strings", repr(name), "e.g. 'lr'")
            )
        if not isinstance(dist, Distribution):
            raise ConfigError(
                message(
                    where,
                    f"space[{name!r}] is not a distribution",
                    repr(dist),
                    "Uniform, LogUniform, IntUniform or Choice",
                    f"a fixed value is Choice([{dist!r}])",
                )
            )
    return dict(space)


def _parse_option(text: str):
    """``"64"`` → 64, ``"0.5"`` → 0.5, ``"64,32"`` → (64, 32), anything else stays a string."""
    if "," in text:
        return tuple(_parse_option(part) for part in text.split(",") if part)
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def parse(text: str) -> Distribution:
    """A distribution from its text form: ``loguniform:1e-4:1e-1``, ``choice:32|64,32``.

    >>> parse("choice:32|64,32")
    Choice([32, (64, 32)])
    >>> parse("int:1:3")
    IntUniform(1, 3)
    """
    kind, _, rest = text.partition(":")
    kinds = {"uniform": Uniform, "loguniform": LogUniform, "int": IntUniform, "choice": Choice}
    usage = "uniform:LOW:HIGH, loguniform:LOW:HIGH, int:LOW:HIGH or choice:A|B|C"
    if kind.lower() not in kinds or not rest:
        raise ConfigError(message("search space", "unknown distribution", repr(text), usage))
    if kind.lower() == "choice":
        return Choice([_parse_option(option) for option in rest.split("|")])
    bounds = [_parse_option(part) for part in rest.split(":")]
    if len(bounds) != 2 or not all(isinstance(b, int | float) for b in bounds):
        raise ConfigError(
            message("search space", f"{kind} needs two numeric bounds", repr(text), usage)
        )
    return kinds[kind.lower()](*bounds)


def parse_space(items: Sequence[str]) -> dict[str, Distribution]:
    """A search space from ``NAME=DIST`` strings (the ``--space`` flags of ``glassnet tune``)."""
    space: dict[str, Distribution] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(
                message(
                    "search space",
                    "each entry must read NAME=DIST",
                    repr(item),
                    "for example lr=loguniform:1e-4:1e-1",
                )
            )
        space[name.strip()] = parse(text.strip())
    return check_space(space, "search space")
