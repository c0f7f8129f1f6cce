"""Scenarios: a network size and a chip, from a TOML file or the built-in course.

Schema (every key optional; a missing one keeps the course value; see
scenarios/README.md)::

    name = "course"
    description = "..."
    [network]
    layers = 10          # the course's equal-width MLP: layers and width, or
    width = 16
    spec = "resnet18:batch=8"   # any network spec or stage-table file (not with layers/width)
    seed = 0
    [chip]
    fwd_ns = 20          # any ChipConfig field

A stage-table path in ``spec`` is relative to the scenario file.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import ConfigError, did_you_mean
from ..files import loads_toml, read_input
from ..formatting import bytes_text, time_text
from ..model.chip import BANDWIDTH_FIELDS, ENERGY_FIELDS, LATENCY_FIELDS, ChipConfig
from ..model.network import Network
from ..model.networks import COURSE_LAYERS, is_stage_file
from ..model.stages import Chain
from .run import DEFAULT_WIDTH, network_of

NETWORK_KEYS: tuple[str, ...] = ("layers", "width", "seed", "spec")
TOP_LEVEL_KEYS: tuple[str, ...] = ("name", "description", "network", "chip")

COURSE_DESCRIPTION = (
    "Berkeley deep-learning course: 10 dense layers on a chip that holds two activations"
)


@dataclass(frozen=True)
class Scenario:
    """What to simulate: the network and its seed, and the chip.

    The network is ``network`` (a spec or stage-table path) when given, else
    the course's MLP of ``layers`` × ``width`` (10 × 16 by default). With a
    spec, ``layers`` and ``width`` are read from it (``width`` is None when
    the activations differ in size).
    """

    name: str = "course"
    description: str = COURSE_DESCRIPTION
    layers: int | None = None
    width: int | None = None
    seed: int = 0
    chip: ChipConfig = field(default_factory=ChipConfig)
    network: str | None = None

    def __post_init__(self) -> None:
        if self.network is None:
            layers = COURSE_LAYERS if self.layers is None else self.layers
            width = DEFAULT_WIDTH if self.width is None else self.width
            Network.check_size(layers, width, self.seed)
        else:
            Network.check_size(1, 1, self.seed)
            layers, width = self.chain.layers, self.chain.equal_width
            if self.layers not in (None, layers) or self.width not in (None, width):
                network_of(self.chip, self.network, self.layers, self.width)  # refuses, naming both
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "width", width)

    @cached_property
    def chain(self) -> Chain:
        """The network's stage table, built as a run builds it (``run.network_of``)."""
        if self.network is None:
            return network_of(self.chip, None, self.layers, self.width)
        return network_of(self.chip, self.network, None, None)

    def with_overrides(
        self,
        *,
        layers: int | None = None,
        width: int | None = None,
        seed: int | None = None,
        chip: Mapping[str, Any] | None = None,
        network: str | None = None,
    ) -> Scenario:
        """A copy with the given values replaced (None keeps the current one).

        A new ``network`` replaces the course MLP's size; ``layers`` or
        ``width`` on a scenario with a network spec is refused.
        """
        changes: dict[str, Any] = {"seed": seed} if seed is not None else {}
        if chip:
            changes["chip"] = self.chip.replace(chip)
        if network is not None or self.network is not None:
            changes.update(network=network or self.network, layers=layers, width=width)
        else:
            sizes = (("layers", layers), ("width", width))
            changes.update({key: value for key, value in sizes if value is not None})
        return dataclasses.replace(self, **changes)

    def describe(self) -> str:
        """Two lines: the network, then every chip parameter that is set."""
        chip = self.chip
        latencies = ", ".join(
            f"{name.removesuffix('_ns')} {_latency_text(getattr(chip, name))}"
            for name in LATENCY_FIELDS
        )
        buffer = (
            f"{chip.buffer_slots} buffer slots"
            if chip.buffer_slots is not None
            else f"{bytes_text(chip.buffer_bytes)} buffer"
            if chip.memory_bytes is None
            else f"{bytes_text(chip.memory_bytes)} memory"
        )
        timing = [buffer, chip.mode]
        if chip.staging_slots:
            timing.append(f"{chip.staging_slots} staging slot{'s' * (chip.staging_slots > 1)}")
        if chip.disk_fault_rate:
            timing.append(
                f"disk reads fail {chip.disk_fault_rate:g} (≤ {chip.max_retries} retries)"
            )
        bandwidth = [f"{f} {getattr(chip, f):g}" for f in BANDWIDTH_FIELDS if getattr(chip, f)]
        if bandwidth:
            timing.append(f"{', '.join(bandwidth)}, {self.chain.dtype_bytes}-byte values")
        energy = [
            f"{f} {getattr(chip, f):g}" for f in ENERGY_FIELDS if getattr(chip, f) is not None
        ]
        if energy:
            timing.append(f"energy: {', '.join(energy)}")
        return f"{self.name}: {self._network_line()}\nchip: {latencies}; {'; '.join(timing)}"

    def _network_line(self) -> str:
        if self.network is None:
            return f"L={self.layers}, width {self.width}, seed {self.seed}"
        sizes = self.chain.activation_bytes[1:]
        low, high = bytes_text(int(sizes.min())), bytes_text(int(sizes.max()))
        shown = low if low == high else f"{low}–{high}"
        return f"{self.chain.name}, L={self.layers}, activations {shown}, seed {self.seed}"

    @property
    def planning_chip(self) -> ChipConfig:
        """The chip with fixed expected latencies at this width: what equal-size planners see."""
        if self.width is None:
            raise ConfigError(f"{self.chain.name} has activations of different sizes: no one width")
        return self.chip.resolved(self.width)

    @property
    def is_course(self) -> bool:
        """Whether this is exactly the course problem (the chip and L = 10)."""
        return self.network is None and self.layers == 10 and self.chip == ChipConfig()


def _latency_text(value: Any) -> str:
    """A fixed latency in its unit (``formatting.time_text``); a distribution as it is."""
    return time_text(value) if isinstance(value, int | float) else f"{value} ns"


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read a scenario file; every error names the file and the key."""
    source = Path(path)
    if not source.exists() and not source.is_symlink():
        raise ConfigError(f"{source}: no such scenario file")
    data = loads_toml(read_input(source, "scenario"), str(source))
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
    for key in ("layers", "width", "seed"):
        if key in network:
            values[key] = _typed(network[key], int, f"{where}: [network] {key}", "a whole number")
    if "spec" in network:
        spec = _typed(network["spec"], str, f"{where}: [network] spec", "a network spec")
        values["network"] = _beside(spec, where)
    chip = _table(data, "chip", where)
    try:
        return Scenario(**values, chip=ChipConfig().replace(chip))
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None


def _beside(spec: str, where: str) -> str:
    """A stage-table path relative to the scenario file; any other spec as written."""
    if not is_stage_file(spec) or Path(spec).is_absolute():
        return spec
    return str(Path(where).parent / spec)


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: {key} must be a table ([{key}]), got {table!r}")
    return table


def _reject_unknown(data: Mapping[str, Any], valid: tuple[str, ...], where: str, what: str) -> None:
    for key in data:
        if key not in valid:
            raise ConfigError(
                f"{where}: unknown {what} {key!r}; valid: {', '.join(valid)}"
                + did_you_mean(key, valid)
            )


def _typed(value: Any, kind: type, where: str, expected: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(f"{where} must be {expected}, got {value!r}")
    return value
