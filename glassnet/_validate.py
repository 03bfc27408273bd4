"""Setting validators: one place that says what a valid setting is and how a bad one reads.

Layers, optimizers, schedules, callbacks, ``DataLoader`` and the search distributions check
their constructor arguments with these functions before allocating anything. Each takes
``where`` (who is being configured: ``"Dense"``, ``"SGD"``), ``name`` (the argument) and
the value, returns the value in its canonical type (``int`` or ``float``), and otherwise
raises :class:`~glassnet.errors.ConfigError` in the house template::

    Dense: in_features must be a positive int. Got 0; expected an int ≥ 1.

Rules shared by all of them: ``True``/``False`` are not numbers (``True`` is not a
count), NumPy scalars are (``np.int64(3)`` is a count), and NaN or ±inf are never a
valid real-valued setting.

Import order: this module depends on :mod:`glassnet.errors` only, so any module may use it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from glassnet.errors import ConfigError, message

__all__ = [
    "is_number",
    "is_int",
    "positive_int",
    "int_at_least",
    "positive_number",
    "non_negative_number",
    "finite_number",
    "fraction",
    "unit_interval",
    "choice",
]


_NUMBER = (int, float, np.integer, np.floating)  # built once: a union per call costs µs
_INT = (int, np.integer)
_BOOL = (bool, np.bool_)


def is_number(value) -> bool:
    """True for a real number (Python or NumPy int/float), False for bools and the rest."""
    return isinstance(value, _NUMBER) and not isinstance(value, _BOOL)


def is_int(value) -> bool:
    """True for a Python or NumPy integer that is not a bool."""
    return isinstance(value, _INT) and not isinstance(value, _BOOL)


def int_sizes(where: str, name: str, value, rank: int, minimum: int = 1) -> tuple[int, ...]:
    """``3`` → (3, …, 3) of ``rank`` ints; a tuple/list of ``rank`` ints ≥ ``minimum`` stays
    (a kernel size, stride or dilation per spatial axis)."""
    values = (value,) * rank if isinstance(value, _INT) else value
    if (
        not isinstance(values, tuple | list)
        or len(values) != rank
        or not all(isinstance(v, _INT) and v >= minimum for v in values)
    ):
        some = "a pair" if rank == 2 else str(rank)
        raise ConfigError(
            message(
                where,
                f"{name} must be an int ≥ {minimum} or {some} of them",
                repr(value),
                f"e.g. {name}=2 or {name}={(2,) * rank}",
            )
        )
    return tuple(int(v) for v in values)


def positive_int(where: str, name: str, value) -> int:
    """``value`` as an int when it is an integer ≥ 1 (a size, a count of units)."""
    if not is_int(value) or value < 1:
        raise ConfigError(
            message(where, f"{name} must be a positive int", repr(value), "an int ≥ 1")
        )
    return int(value)


def int_at_least(where: str, name: str, value, low: int) -> int:
    """``value`` as an int when it is an integer ≥ ``low`` (patience ≥ 0, trials ≥ 1)."""
    if not is_int(value) or value < low:
        raise ConfigError(
            message(where, f"{name} must be an int ≥ {low}", repr(value), f"an int ≥ {low}")
        )
    return int(value)


def positive_number(where: str, name: str, value) -> float:
    """``value`` as a float when it is finite and > 0 (a learning rate, an epsilon)."""
    if not is_number(value) or not math.isfinite(value) or value <= 0:
        raise ConfigError(
            message(where, f"{name} must be a positive number", repr(value), f"{name} > 0")
        )
    return float(value)


def non_negative_number(where: str, name: str, value) -> float:
    """``value`` as a float when it is finite and ≥ 0 (a decay, a momentum, a threshold)."""
    if not is_number(value) or not math.isfinite(value) or value < 0:
        raise ConfigError(
            message(where, f"{name} must be a non-negative number", repr(value), f"{name} ≥ 0")
        )
    return float(value)


def finite_number(where: str, name: str, value) -> float:
    """``value`` as a float when it is a finite real number (a bound, an offset)."""
    if not is_number(value) or not math.isfinite(value):
        raise ConfigError(
            message(where, f"{name} must be a finite number", repr(value), "a finite number")
        )
    return float(value)


def fraction(where: str, name: str, value) -> float:
    """``value`` as a float when 0 ≤ value < 1 (a decay rate β, a drop probability p)."""
    if not is_number(value) or not 0 <= value < 1:
        raise ConfigError(
            message(where, f"{name} must be in [0, 1)", repr(value), f"0 ≤ {name} < 1")
        )
    return float(value)


def unit_interval(where: str, name: str, value) -> float:
    """``value`` as a float when 0 < value ≤ 1 (a running-average momentum)."""
    if not is_number(value) or not 0 < value <= 1:
        raise ConfigError(
            message(where, f"{name} must be in (0, 1]", repr(value), f"0 < {name} ≤ 1")
        )
    return float(value)


def choice(where: str, name: str, value, allowed: Iterable):
    """``value`` when it is one of ``allowed`` (a mode, a spelling), else 'unknown <name>'."""
    allowed = tuple(allowed)
    if not isinstance(value, str | int | float | type(None)) or value not in allowed:
        names = [repr(a) for a in allowed]
        expected = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        raise ConfigError(message(where, f"unknown {name}", repr(value), expected))
    return value
