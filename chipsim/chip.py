"""The chip: validated parameters (``ChipConfig``) and the SimPy model (``Chip``).

Defaults are the course chip of SPEC.md: fwd 20 ns, loadmem 10 ns, two
activation slots, stores and backward steps free. The course leaves the disk
read latency to be solved for; the default ``loaddisk_ns = 100`` (ten buffer
loads) is an arbitrary but documented choice, above the 50 ns break-even, so
that a comparison on the default chip has a clear winner.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import simpy

from .errors import ConfigError
from .ops import OP_LATENCY_FIELD, PORTS
from .storage import ActivationBuffer, Disk, Inputs, Registers

LATENCY_FIELDS: tuple[str, ...] = (
    "fwd_ns",
    "bwd_ns",
    "loadmem_ns",
    "storemem_ns",
    "loaddisk_ns",
    "storedisk_ns",
)


@dataclass(frozen=True)
class ChipConfig:
    """Every parameter of the simulated chip, validated on construction.

    Latencies are non-negative nanoseconds (int or float; ints keep traces
    exact); ``buffer_slots`` is how many width-s activations the buffer holds.
    """

    fwd_ns: int | float = 20
    bwd_ns: int | float = 0
    loadmem_ns: int | float = 10
    storemem_ns: int | float = 0
    loaddisk_ns: int | float = 100
    storedisk_ns: int | float = 0
    buffer_slots: int = 2

    def __post_init__(self) -> None:
        for name in LATENCY_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(
                    f"chip field {name} must be a number of nanoseconds, got {value!r}"
                )
            if not math.isfinite(value) or value < 0:
                raise ConfigError(
                    f"chip field {name} must be a finite number >= 0 ns, got {value!r}"
                )
        slots = self.buffer_slots
        if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
            raise ConfigError(f"chip field buffer_slots must be a whole number >= 1, got {slots!r}")

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    def replace(self, changes: Mapping[str, Any]) -> ChipConfig:
        """A validated copy with ``changes`` applied; an unknown field is a ConfigError."""
        valid = self.field_names()
        for key in changes:
            if key not in valid:
                raise ConfigError(
                    f"unknown chip field {key!r}; valid fields are {', '.join(valid)}"
                )
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, int | float]:
        return dataclasses.asdict(self)

    def op_latency_ns(self, kind: str) -> int | float:
        """The latency of one op of ``kind`` on this chip."""
        field = OP_LATENCY_FIELD[kind]
        return 0 if field is None else getattr(self, field)


class Chip:
    """One simulated chip: a SimPy environment, its ports and its storage places.

    Ports (``compute``, ``buffer``, ``disk``) are separate capacity-1 SimPy
    resources, so an overlapped timing mode can run them concurrently; the
    serial mode simply never asks for two at once. Storage places hold the
    real numpy arrays and enforce SPEC.md's capacity and presence rules.
    """

    def __init__(self, config: ChipConfig, *, env: simpy.Environment | None = None) -> None:
        self.config = config
        self.env = env if env is not None else simpy.Environment()
        self.ports = {name: simpy.Resource(self.env, capacity=1) for name in PORTS}
        self.inputs = Inputs()
        self.buffer = ActivationBuffer(config.buffer_slots)
        self.disk = Disk()
        self.registers = Registers()
