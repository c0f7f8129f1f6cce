"""Sweep grids: ``--grid`` values parsed, counted before anything is built, enumerated lazily.

A grid maps keys (``layers``, ``width`` or any ChipConfig field) to values.
``KEY=V1,V2,...`` lists values, each read as a TOML value (``20``, ``37.5``,
``"serial"``, ``{dist = "lognormal", median = 50, sigma = 0.5}``) or, for a
text field such as ``mode``, as a bare word (``mode=serial,overlapped``).
``KEY=START:STOP:STEP`` is an inclusive range, kept as its three numbers:
its size is known at once, and a grid of more than ``MAX_RUNS`` runs is
refused, with its size, before a single run is made.

A run has one id however it is asked for (``Point.key``): the strategy spec
in canonical form without the parameters given at their default
(``stride:k=2,prefetch=0`` is ``stride:k=2``), then the grid values that
differ from the base scenario, keys in ``GRID_KEYS`` order, numbers in
canonical text (``100.0`` is ``100``). So ``layers=4,4,4`` is one run, and a
grid naming ``loaddisk_ns=100`` on a chip whose ``loaddisk_ns`` is 100 makes
the runs it made without it.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError, did_you_mean
from ..files import setting_value
from ..model import specs
from ..model.chip import ChipConfig
from ..model.chip_fields import SIZING_FIELDS
from ..model.latency import Distribution
from ..planners import function, parse_spec
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
    """One run of a sweep: a canonical strategy spec and the grid values it runs with
    that differ from the base scenario, in ``GRID_KEYS`` order."""

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

    def __iter__(self) -> Iterator[int | float]:  # Sequence's would check every index
        return (self.start + index * self.step for index in range(self.count))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"Steps(start={self.start}, step={self.step}, count={self.count})"


class Runs(Sequence):
    """Every run of a sweep, strategies outermost, keys in the order given; made on demand.

    ``defaults`` maps a key to the text of its base value: a run's id leaves it out there.
    """

    def __init__(
        self, specs: list[str], grid: dict[str, Sequence[Value]], defaults: dict[str, str]
    ) -> None:
        self.specs, self.grid = specs, {key: unique(values) for key, values in grid.items()}
        # Setting one sizing field alone clears the others (``ChipConfig.replace``): where
        # a grid names several, none is left out of an id at its base value.
        sizes = set(SIZING_FIELDS) & set(grid)
        self.defaults = {k: v for k, v in defaults.items() if len(sizes) < 2 or k not in sizes}
        self.count = len(specs) * math.prod(len(values) for values in self.grid.values())

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):  # type: ignore[override]
        return list(self)[index]  # only for small grids (tests); iterate otherwise

    def __iter__(self) -> Iterator[Point]:
        keys = list(self.grid)
        order = sorted(range(len(keys)), key=lambda i: GRID_KEYS.index(keys[i]))
        defaults = [self.defaults.get(key) for key in keys]
        for spec in self.specs:
            for combo in itertools.product(*self.grid.values()):
                kept = (i for i in order if text(combo[i]) != defaults[i])
                yield Point(spec, tuple((keys[i], combo[i]) for i in kept))


def unique(values: Sequence[Value]) -> Sequence[Value]:
    """``values`` without repeats (by canonical text), in order; a range has none."""
    if isinstance(values, Steps):
        return values
    first: dict[str, Value] = {}
    for value in values:
        first.setdefault(text(value), value)
    return list(first.values())


def text(value: Value) -> str:
    """A grid value's canonical text: a distribution as its inline TOML table, a whole
    float as the integer it equals (``100.0`` is ``100``), anything else ``str``."""
    if isinstance(value, Distribution):
        return value.toml()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


def canonical_spec(strategy: str) -> str:
    """A strategy spec's one text: parsed, without parameters given at their default."""
    parsed = parse_spec(strategy)
    return str(specs.without_defaults(parsed, function(parsed.name)))


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
                + did_you_mean(key, GRID_KEYS)
            )
        if key in grid:
            raise ConfigError(f"--grid {item}: {key} is given twice")
        if _is_range(raw):
            grid[key] = _range(item, raw)
            for value in (grid[key][0], grid[key][-1]):  # every check on a field is a bound
                _checked(base, item, key, value)
        else:
            values = (_value(item, key, part) for part in _items(item, raw))
            grid[key] = unique([_checked(base, item, key, value) for value in values])
    return grid


def points(
    strategies: Sequence[str], grid: dict[str, Sequence[Value]], base: Scenario | None = None
) -> Runs:
    """The runs of a sweep, counted at once and refused beyond ``MAX_RUNS``; no run twice.

    With ``base``, a run's id leaves out the grid values equal to the base scenario's.
    """
    names = list(dict.fromkeys(canonical_spec(spec) for spec in strategies))
    defaults = {} if base is None else {key: text(_base_value(base, key)) for key in grid}
    runs = Runs(names, grid, defaults)
    if runs.count > MAX_RUNS:
        sizes = " × ".join(str(n) for n in [len(names), *map(len, runs.grid.values())])
        raise ConfigError(
            f"--grid: the sweep has {runs.count:,} runs ({sizes}); the most is {MAX_RUNS:,}"
        )
    return runs


def apply(base: Scenario, values: tuple[tuple[str, Value], ...]) -> Scenario:
    """``base`` with a point's grid values set."""
    network = {k: v for k, v in values if k in NETWORK_KEYS}
    chip = {k: v for k, v in values if k not in NETWORK_KEYS}
    return base.with_overrides(**network, chip=chip)  # type: ignore[arg-type]


def _base_value(base: Scenario, key: str) -> Any:
    return getattr(base, key) if key in NETWORK_KEYS else getattr(base.chip, key)


def _checked(base: Scenario, item: str, key: str, value: Any) -> Value:
    """The value as the scenario holds it (a table becomes a Distribution), or ConfigError."""
    try:
        scenario = apply(base, ((key, value),))
    except ConfigError as error:
        raise ConfigError(f"--grid {item}: {error}") from None
    return _base_value(scenario, key)


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
    return list(dict.fromkeys(part.strip() for part in parts))  # each value checked once


def _value(item: str, key: str, raw: str) -> Any:
    """A TOML value, a Python number (``.5``), or for a text field a bare word."""
    raw = raw.strip()
    value = setting_value(raw, f"--grid {item}")  # control characters, 1_000, 0x10: refused
    if not isinstance(value, str) or raw.startswith(("'", '"')) or not raw.isascii():
        return _word(item, key, value)
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return _word(item, key, raw)


def _word(item: str, key: str, value: Any) -> Any:
    """A value that is not a Python number: fine for a text field, else not a number."""
    if not isinstance(value, str) or key in TEXT_KEYS:
        return value
    raise ConfigError(f"--grid {item}: {value!r} is not a number")


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
            f"--grid {item}: the range has {_count(steps + 1)} values; a sweep has at most "
            f"{MAX_RUNS:,} runs"
        )
    return Steps(start, step, int(steps + 1e-9) + 1)


def _count(values: float) -> str:
    """A range's size for a message: 1,000,001 near the limit (not 1e+06), 1e+09 far past it."""
    return f"{values:,.0f}" if values < 10 * MAX_RUNS else f"{values:.3g}"


def _finite(number: int | float) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an int beyond any float
        return False
