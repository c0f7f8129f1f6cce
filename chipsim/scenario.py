"""Scenarios: a network size and a chip, from a TOML file or the built-in course.

Schema (every key optional; a missing one keeps the course value; see
scenarios/README.md)::

    name = "course"
    description = "..."
    [network]
    layers = 10
    width = 16
    seed = 0
    [chip]
    fwd_ns = 20          # any ChipConfig field
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .chip import BANDWIDTH_FIELDS, LATENCY_FIELDS, ChipConfig
from .errors import ConfigError
from .network import Network
from .run import DEFAULT_WIDTH

NETWORK_KEYS: tuple[str, ...] = ("layers", "width", "seed")
TOP_LEVEL_KEYS: tuple[str, ...] = ("name", "description", "network", "chip")

COURSE_DESCRIPTION = (
    "Berkeley deep-learning course: 10 dense layers on a chip that holds two activations"
)


@dataclass(frozen=True)
class Scenario:
    """What to simulate: the network's size and seed, and the chip."""

    name: str = "course"
    description: str = COURSE_DESCRIPTION
    layers: int = 10
    width: int = DEFAULT_WIDTH
    seed: int = 0
    chip: ChipConfig = field(default_factory=ChipConfig)

    def __post_init__(self) -> None:
        Network.check_size(self.layers, self.width, self.seed)

    def with_overrides(
        self,
        *,
        layers: int | None = None,
        width: int | None = None,
        seed: int | None = None,
        chip: Mapping[str, Any] | None = None,
    ) -> Scenario:
        """A copy with the given values replaced (None keeps the current one)."""
        changes = {
            key: value
            for key, value in (("layers", layers), ("width", width), ("seed", seed))
            if value is not None
        }
        if chip:
            changes["chip"] = self.chip.replace(chip)
        return dataclasses.replace(self, **changes)

    def describe(self) -> str:
        """Two lines: the network, then every chip parameter that is set."""
        chip = self.chip
        latencies = ", ".join(
            f"{name.removesuffix('_ns')} {getattr(chip, name)} ns" for name in LATENCY_FIELDS
        )
        timing = [f"{chip.buffer_slots} buffer slots", chip.mode]
        if chip.staging_slots:
            timing.append(f"{chip.staging_slots} staging slot{'s' * (chip.staging_slots > 1)}")
        if chip.disk_fault_rate:
            timing.append(
                f"disk reads fail {chip.disk_fault_rate:g} (≤ {chip.max_retries} retries)"
            )
        bandwidth = [f"{f} {getattr(chip, f):g}" for f in BANDWIDTH_FIELDS if getattr(chip, f)]
        if bandwidth:
            timing.append(f"{', '.join(bandwidth)}, {chip.dtype_bytes}-byte values")
        return (
            f"{self.name}: L={self.layers}, width {self.width}, seed {self.seed}\n"
            f"chip: {latencies}; {'; '.join(timing)}"
        )

    @property
    def planning_chip(self) -> ChipConfig:
        """The chip with fixed expected latencies at this width: what planners see."""
        return self.chip.resolved(self.width)

    @property
    def is_course(self) -> bool:
        """Whether this is exactly the course problem (the chip and L = 10)."""
        return self.layers == 10 and self.chip == ChipConfig()


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read a scenario file; every error names the file and the key."""
    source = Path(path)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{source}: cannot read the scenario: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None
    return scenario_from_mapping(data, where=str(source))


def scenario_from_mapping(data: Mapping[str, Any], *, where: str) -> Scenario:
    """Build a Scenario from parsed TOML; errors start with ``where``."""
    _reject_unknown(data, TOP_LEVEL_KEYS, where, "top-level key")
    values: dict[str, Any] = {"name": Path(where).stem}
    for key in ("name", "description"):
        if key in data:
            values[key] = _typed(data[key], str, f"{where}: {key}", "a string")
    network = _table(data, "network", where)
    _reject_unknown(network, NETWORK_KEYS, f"{where}: [network]", "key")
    for key in NETWORK_KEYS:
        if key in network:
            values[key] = _typed(network[key], int, f"{where}: [network] {key}", "a whole number")
    chip = _table(data, "chip", where)
    try:
        return Scenario(**values, chip=ChipConfig().replace(chip))
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: {key} must be a table ([{key}]), got {table!r}")
    return table


def _reject_unknown(data: Mapping[str, Any], valid: tuple[str, ...], where: str, what: str) -> None:
    for key in data:
        if key not in valid:
            raise ConfigError(f"{where}: unknown {what} {key!r}; valid: {', '.join(valid)}")


def _typed(value: Any, kind: type, where: str, expected: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(f"{where} must be {expected}, got {value!r}")
    return value
