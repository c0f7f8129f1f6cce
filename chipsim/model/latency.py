"""Latency distributions: an op's latency as a seeded random draw instead of a number.

A chip latency field is either a number of nanoseconds or a table naming a
distribution, as in a scenario file::

    loaddisk_ns = {dist = "lognormal", median = 50, sigma = 0.5}

Planners and predictions use a distribution's mean (``mean_ns``); runs draw
one value per executed op from a seeded numpy Generator, so the same seed
gives the same trace. Families and their parameters are in ``FAMILIES``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..limits import MAX_LATENCY_NS, shown

#: Each family's parameters, in the order they are written.
FAMILIES: dict[str, tuple[str, ...]] = {
    "lognormal": ("median", "sigma"),
    "uniform": ("low", "high"),
    "exponential": ("mean",),
}


@dataclass(frozen=True)
class Distribution:
    """A latency distribution in nanoseconds: a family and its parameters."""

    dist: str
    params: tuple[tuple[str, float], ...]

    @classmethod
    def from_mapping(cls, field: str, table: Mapping[str, Any]) -> Distribution:
        """Validate a ``{dist = ..., ...}`` table; errors name the field and what is valid."""
        family = table.get("dist")
        if not isinstance(family, str) or family not in FAMILIES:
            raise ConfigError(
                f"chip field {field}: dist must be one of {', '.join(FAMILIES)}, got {family!r}"
            )
        names = FAMILIES[family]
        usage = f'{{dist = "{family}", ' + ", ".join(f"{n} = ..." for n in names) + "}"
        given = set(table) - {"dist"}
        unknown, missing = sorted(given - set(names)), [n for n in names if n not in given]
        if unknown or missing:
            problem = f"unknown {unknown[0]!r}" if unknown else f"no {missing[0]}"
            raise ConfigError(f"chip field {field}: {problem}; a {family} latency is {usage}")
        values = {}
        for name in names:
            value = table[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(
                    f"chip field {field}: {name} must be a number, got {shown(value)}"
                )
            if (isinstance(value, float) and not math.isfinite(value)) or value < 0:
                raise ConfigError(
                    f"chip field {field}: {name} must be finite and >= 0, got {value}"
                )
            if value > MAX_LATENCY_NS:
                raise ConfigError(
                    f"chip field {field}: {name} must be at most {MAX_LATENCY_NS:.0e} "
                    f"(chipsim.limits), got {shown(value)}"
                )
            values[name] = value
        if family == "lognormal" and values["median"] <= 0:
            raise ConfigError(f"chip field {field}: median must be > 0 ns, got {values['median']}")
        if family == "uniform" and values["low"] > values["high"]:
            raise ConfigError(
                f"chip field {field}: low must be <= high, got low={values['low']}, "
                f"high={values['high']}"
            )
        distribution = cls(family, tuple((name, values[name]) for name in names))
        try:
            mean = distribution.mean_ns
        except OverflowError:
            mean = math.inf
        if not math.isfinite(mean):
            raise ConfigError(f"chip field {field}: its mean is not a finite number of ns")
        if mean > MAX_LATENCY_NS:
            raise ConfigError(
                f"chip field {field}: its mean ({mean:g} ns) must be at most "
                f"{MAX_LATENCY_NS:.0e} ns (chipsim.limits)"
            )
        return distribution

    @property
    def mean_ns(self) -> float:
        """The expected latency: what planners and predictions use."""
        p = dict(self.params)
        if self.dist == "lognormal":
            return p["median"] * math.exp(p["sigma"] ** 2 / 2)
        if self.dist == "uniform":
            return (p["low"] + p["high"]) / 2
        return p["mean"]

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent latencies (float64 ns)."""
        p = dict(self.params)
        if self.dist == "lognormal":
            return rng.lognormal(math.log(p["median"]), p["sigma"], size)
        if self.dist == "uniform":
            return rng.uniform(p["low"], p["high"], size)
        return rng.exponential(p["mean"], size)

    def as_dict(self) -> dict[str, Any]:
        """The scenario-file table this distribution was read from."""
        return {"dist": self.dist, **dict(self.params)}

    def toml(self) -> str:
        """The inline TOML table: what a scenario file or ``--set`` takes back."""
        return f'{{dist = "{self.dist}", ' + ", ".join(f"{k} = {v}" for k, v in self.params) + "}"

    def __str__(self) -> str:
        return f"{self.dist}(" + ", ".join(f"{k}={v:g}" for k, v in self.params) + ")"
