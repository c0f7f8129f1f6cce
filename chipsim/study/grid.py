"""Sweep grids: ``--grid`` values parsed, counted before anything is built, enumerated lazily.

A grid maps keys (``layers``, ``width`` or any ChipConfig field) to values.
``KEY=V1,V2,...`` lists values, each read as a TOML value (``20``, ``37.5``,
``"serial"``, ``{dist = "lognormal", median = 50, sigma = 0.5}``) or, for a
text field such as ``mode``, as a bare word (``mode=serial,overlapped``).
``KEY=START:STOP:STEP`` is an inclusive range, kept as its three numbers:
its size is known at once, and a grid of more than ``MAX_RUNS`` runs is
refused, with its size, before a single run is made.
"""

from __future__ import annotations

import itertools
import math
import tomllib
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..model.chip import ChipConfig
from ..model.latency import Distribution
from ..planners import parse_spec
from .scenario import Scenario

NETWORK_KEYS: tuple[str, ...] = ("layers", "width")
GRID_KEYS: tuple[str, ...] = (*NETWORK_KEYS, *ChipConfig.field_names())
#: Keys whose values may be bare words: the chip's text fields.
TEXT_KEYS: tuple[str, ...] = tuple(
    name for name, value in ChipConfig().as_dict().items() if isinstance(value, str)
)
#: The most runs one sweep may have (strategies × grid points).
MAX_RUNS = 1_000_000

Value = int | float | str | Distribution


@dataclass(frozen=True)
class Point:
    """One run of a sweep: a strategy and the grid values it runs with."""

    strategy: str
    values: tuple[tuple[str, Value], ...]

    @property
    def key(self) -> str:
        """The run's identity, e.g. ``stride:k=5|layers=10|loaddisk_ns=50``."""
        return "|".join([self.strategy, *(f"{k}={text(v)}" for k, v in self.values)])

    def seed(self, sweep_seed: int) -> int:
        child = np.random.SeedSequence(sweep_seed, spawn_key=(zlib.crc32(self.key.encode()),))
        return int(child.generate_state(1)[0])


class Steps(Sequence):
    """The inclusive range START:STOP:STEP as a sequence that holds only its three numbers."""

    def __init__(self, start: int | float, step: int | float, count: int) -> None:
        self.start, self.step, self.count = start, step, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.count))]
        if not -self.count <= index < self.count:
            raise IndexError(index)
        return self.start + (index % self.count) * self.step

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"Steps(start={self.start}, step={self.step}, count={self.count})"


class Runs(Sequence):
    """Every run of a sweep, strategies outermost, keys in the order given; made on demand."""

    def __init__(self, specs: list[str], grid: dict[str, Sequence[Value]]) -> None:
        self.specs, self.grid = specs, grid
        self.count = len(specs) * math.prod(len(values) for values in grid.values())

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):  # type: ignore[override]
        return list(self)[index]  # only for small grids (tests); iterate otherwise

    def __iter__(self) -> Iterator[Point]:
        for spec in self.specs:
            for combo in itertools.product(*self.grid.values()):
                yield Point(spec, tuple(zip(self.grid, combo, strict=True)))


def text(value: Value) -> str:
    """A grid value as text: a distribution as its inline TOML table, else ``str``."""
    return value.toml() if isinstance(value, Distribution) else str(value)


def parse_grid(items: Sequence[str], base: Scenario) -> dict[str, Sequence[Value]]:
    """``["layers=4:16:4", "loaddisk_ns=20,50"]`` → values per key, each checked on ``base``."""
    grid: dict[str, Sequence[Value]] = {}
    for item in items:
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or not raw.strip():
            raise ConfigError(f"--grid {item!r}: expected KEY=V1,V2,... or KEY=START:STOP:STEP")
        if key not in GRID_KEYS:
            raise ConfigError(
                f"--grid {item}: unknown key {key!r}; valid keys: {', '.join(GRID_KEYS)}"
            )
        if key in grid:
            raise ConfigError(f"--grid {item}: {key} is given twice")
        if _is_range(raw):
            grid[key] = _range(item, raw)
            for value in (grid[key][0], grid[key][-1]):  # every check on a field is a bound
                _checked(base, item, key, value)
        else:
            values = (_value(item, key, part) for part in _items(item, raw))
            grid[key] = [_checked(base, item, key, value) for value in values]
    return grid


def points(strategies: Sequence[str], grid: dict[str, Sequence[Value]]) -> Runs:
    """The runs of a sweep, counted at once and refused beyond ``MAX_RUNS``; no run twice."""
    specs = list(dict.fromkeys(str(parse_spec(spec)) for spec in strategies))
    runs = Runs(specs, grid)
    if runs.count > MAX_RUNS:
        sizes = " × ".join(str(n) for n in [len(specs), *map(len, grid.values())])
        raise ConfigError(
            f"--grid: the sweep has {runs.count:,} runs ({sizes}); the most is {MAX_RUNS:,}"
        )
    return runs


def apply(base: Scenario, values: tuple[tuple[str, Value], ...]) -> Scenario:
    """``base`` with a point's grid values set."""
    network = {k: v for k, v in values if k in NETWORK_KEYS}
    chip = {k: v for k, v in values if k not in NETWORK_KEYS}
    return base.with_overrides(**network, chip=chip)  # type: ignore[arg-type]


def _checked(base: Scenario, item: str, key: str, value: Any) -> Value:
    """The value as the scenario holds it (a table becomes a Distribution), or ConfigError."""
    try:
        scenario = apply(base, ((key, value),))
    except ConfigError as error:
        raise ConfigError(f"--grid {item}: {error}") from None
    return getattr(scenario, key) if key in NETWORK_KEYS else getattr(scenario.chip, key)


def _items(item: str, raw: str) -> list[str]:
    """Split on the commas outside ``{...}`` tables and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(raw):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(raw[start:i])
            start = i + 1
    parts.append(raw[start:])
    if any(not part.strip() for part in parts):
        raise ConfigError(f"--grid {item}: an empty value; expected KEY=V1,V2,...")
    return parts


def _value(item: str, key: str, raw: str) -> Any:
    """A TOML value, a Python number (``.5``), or for a text field a bare word."""
    raw = raw.strip()
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError as error:
        if raw.startswith("{"):
            raise ConfigError(f"--grid {item}: not a valid TOML table {raw} ({error})") from None
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    if key in TEXT_KEYS:
        return raw
    raise ConfigError(f"--grid {item}: {raw!r} is not a number")


def _is_range(raw: str) -> bool:
    return ":" in raw and not raw.lstrip().startswith(("{", '"', "'"))


def _range(item: str, raw: str) -> Steps:
    parts = raw.split(":")
    if len(parts) != 3:
        raise ConfigError(f"--grid {item}: a range is START:STOP:STEP, e.g. layers=4:256:4")
    numbers = []
    for part in parts:
        number = _value(item, "", part)
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise ConfigError(f"--grid {item}: {part.strip()!r} is not a number")
        if not _finite(number):
            raise ConfigError(f"--grid {item}: a range needs finite numbers, got {part.strip()}")
        numbers.append(number)
    start, stop, step = numbers
    if step <= 0 or stop < start:
        raise ConfigError(f"--grid {item}: a range needs STEP > 0 and STOP >= START")
    try:
        steps = (stop - start) / step  # float division: never an exact huge int built
    except OverflowError:
        steps = math.inf
    if not steps < MAX_RUNS:
        raise ConfigError(
            f"--grid {item}: the range has {steps + 1:.3g} values; a sweep has at most "
            f"{MAX_RUNS:,} runs"
        )
    return Steps(start, step, int(steps + 1e-9) + 1)


def _finite(number: int | float) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an int beyond any float
        return False
