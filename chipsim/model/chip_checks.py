"""The checks of a ChipConfig's fields: each a one-line ConfigError naming the field,
what it got and what would be valid (as plan_checks.py is for plans)."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from ..limits import MAX_LATENCY_NS, MAX_TOTAL, shown
from .latency import Distribution


def latency(name: str, value: Any) -> Any:
    """A latency field's value: ns, or a distribution (a mapping is converted to one)."""
    if isinstance(value, Mapping):
        return Distribution.from_mapping(name, value)
    if isinstance(value, Distribution):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(
            f"chip field {name} must be a number of nanoseconds, got {value!r} "
            '(or a distribution, e.g. {dist = "lognormal", median = 50, sigma = 0.5})'
        )
    if (isinstance(value, float) and not math.isfinite(value)) or value < 0:
        raise ConfigError(f"chip field {name} must be a finite number >= 0 ns, got {value!r}")
    if value > MAX_LATENCY_NS:  # so a plan's total stays a finite float
        raise ConfigError(
            f"chip field {name} must be at most {MAX_LATENCY_NS:.0e} ns "
            f"(chipsim.limits), got {shown(value)}"
        )
    return value


def buffer(slots: int | None, capacity_bytes: int | None, memory_bytes: int | None) -> None:
    """Checkpoints live in a buffer sized in slots or bytes, or in the one memory: one of them."""
    given = {"buffer_slots": slots, "buffer_bytes": capacity_bytes, "memory_bytes": memory_bytes}
    named = [f"{name} ({value})" for name, value in given.items() if value is not None]
    if len(named) > 1 and memory_bytes is None:
        raise ConfigError(
            f"chip fields {' and '.join(named)} both size the buffer; give one of them"
        )
    if len(named) > 1:
        raise ConfigError(
            f"chip fields {' and '.join(named)} both size where checkpoints live; give one of "
            "them (memory_bytes is the one memory, which holds the checkpoints too)"
        )
    if slots is not None:
        whole("buffer_slots", slots, 1)
    elif capacity_bytes is not None:
        whole("buffer_bytes", capacity_bytes, 0)


def one_of(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"chip field {name} must be one of {', '.join(choices)}, got {value!r}")


def probability(name: str, value: Any) -> None:
    """At least 0 and below 1: a read that always fails could never finish."""
    number(name, value, "a probability")
    if not 0 <= value < 1:
        raise ConfigError(f"chip field {name} must be >= 0 and < 1, got {shown(value)}")


def whole(name: str, value: Any, low: int, high: int = MAX_TOTAL) -> None:
    """A whole number in [low, high]; every integer field is at most ``MAX_TOTAL`` (int64)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"chip field {name} must be a whole number >= {low}, got {shown(value)}")
    if value > high:
        limit = "2**62 (chipsim.limits.MAX_TOTAL)" if high == MAX_TOTAL else str(high)
        raise ConfigError(f"chip field {name} must be at most {limit}, got {shown(value)}")


def rate(name: str, value: Any) -> None:
    """A bandwidth term: unset, or a finite number > 0."""
    if value is not None:
        number(name, value, "a number > 0 (omit it for fixed latencies)")
        if value <= 0:
            raise ConfigError(f"chip field {name} must be > 0, got {value!r}")


def energy(name: str, value: Any) -> None:
    """An energy term: unset, or a finite number >= 0 (a distribution is not an energy)."""
    if value is not None:
        number(name, value, "a finite number >= 0 (omit it for no energy)")
        if value < 0:
            raise ConfigError(f"chip field {name} must be >= 0, got {value!r}")


def number(name: str, value: Any, expected: str) -> None:
    """A finite int or float (an int must also fit a float, to divide by)."""
    if isinstance(value, int) and not isinstance(value, bool):
        finite = abs(value) <= sys.float_info.max
    else:
        finite = isinstance(value, float) and math.isfinite(value)
    if not finite:
        raise ConfigError(f"chip field {name} must be {expected}, got {shown(value)}")
