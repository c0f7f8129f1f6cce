"""The chip's validated parameters (``ChipConfig``); the SimPy model they size is
``chipsim.sim.machine.Chip``.

Defaults are the course chip of SPEC.md: fwd 20 ns, loadmem 10 ns, two
activation slots, stores and backward steps free, serial timing, no jitter,
faults or bandwidth terms. The course leaves the disk read latency to be
solved for; the default ``loaddisk_ns = 100`` (ten buffer loads) is an
arbitrary but documented choice, above the 50 ns break-even, so that a
comparison on the default chip has a clear winner.

Beyond the course (all optional, defaults change nothing):

- ``mode = "overlapped"``: compute, buffer port and disk port run concurrently
  (see ``chipsim.sim.overlap``); ``staging_slots`` registers hold prefetched
  activations beside the working register.
- A latency field may be a distribution (``chipsim.model.latency``); runs draw it.
- ``disk_fault_rate``: the chance a ``loaddisk`` read fails and is retried,
  at most ``max_retries`` times.
- Bandwidth: with ``mem_bytes_per_ns``, ``disk_bytes_per_ns`` or
  ``compute_macs_per_ns`` set, an op also pays for its bytes or multiply-adds
  (``transfer_ns``); ``resolved(width)`` folds that into fixed latencies.
- Memory in bytes: ``buffer_bytes`` is the buffer's capacity for networks
  whose activations differ in size; ``buffer_slots`` is the same thing in the
  course's unit (one activation of an equal-width network). Give one of them;
  with neither, the course's two slots.
- Energy (``ENERGY_FIELDS``, docs/energy.md): per multiply-add, per byte on
  each port, per access and static power; with none set a chip has no energy
  and every output is as before.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, did_you_mean
from ..limits import MAX_TOTAL, text_shown
from . import chip_checks as checks
from .budget import Budget
from .chip_fields import (
    BANDWIDTH_FIELDS,
    DEFAULT_BUFFER_SLOTS,
    ENERGY_FIELDS,
    LATENCY_FIELDS,
    MAX_RETRIES,
    MEMORY_DEFAULTS,
    MODES,
    OPTIMIZER_STATES,
    SIZING_FIELDS,
    UPDATES,
    WEIGHT_PLACES,
    Latency,
)
from .latency import Distribution
from .ops import KIND_CODE, OP_LATENCY_FIELD
from .training import Training, check_train
from .training_memory import checkpoint_room

if TYPE_CHECKING:
    from .stages import Chain

__all__ = [
    "BANDWIDTH_FIELDS",
    "DEFAULT_BUFFER_SLOTS",
    "ENERGY_FIELDS",
    "LATENCY_FIELDS",
    "MAX_RETRIES",
    "MODES",
    "ChipConfig",
]


@dataclass(frozen=True)
class ChipConfig:
    """Every parameter of the simulated chip, validated on construction.

    Latencies are non-negative nanoseconds (int or float; ints keep traces
    exact) or a ``Distribution`` (a ``{dist = ...}`` mapping is converted);
    ``buffer_slots`` is how many width-s activations the buffer holds and
    ``buffer_bytes`` its capacity in bytes: one or the other (neither: 2 slots).
    """

    fwd_ns: Latency = 20
    bwd_ns: Latency = 0
    loadmem_ns: Latency = 10
    storemem_ns: Latency = 0
    loaddisk_ns: Latency = 100
    storedisk_ns: Latency = 0
    buffer_slots: int | None = None
    buffer_bytes: int | None = None
    mode: str = "serial"
    staging_slots: int = 0
    disk_fault_rate: int | float = 0
    max_retries: int = 3
    dtype_bytes: int = 4
    mem_bytes_per_ns: int | float | None = None
    disk_bytes_per_ns: int | float | None = None
    compute_macs_per_ns: int | float | None = None
    compute_pj_per_mac: int | float | None = None
    mem_pj_per_byte: int | float | None = None
    disk_pj_per_byte: int | float | None = None
    loadmem_nj: int | float | None = None
    storemem_nj: int | float | None = None
    loaddisk_nj: int | float | None = None
    storedisk_nj: int | float | None = None
    static_mw: int | float | None = None
    memory_bytes: int | None = None
    weight_dtype_bytes: int | None = None
    optimizer: str = "sgd"
    update: str = "per_step"
    train: str | tuple[str, ...] = "all"
    weights_in: str = "memory"
    flash_bytes_per_ns: int | float | None = None
    flash_pj_per_byte: int | float | None = None

    def __post_init__(self) -> None:
        for name in LATENCY_FIELDS:
            object.__setattr__(self, name, checks.latency(name, getattr(self, name)))
        checks.buffer(self.buffer_slots, self.buffer_bytes, self.memory_bytes)
        if (self.buffer_slots, self.buffer_bytes, self.memory_bytes) == (None, None, None):
            object.__setattr__(self, "buffer_slots", DEFAULT_BUFFER_SLOTS)
        checks.one_of("mode", self.mode, MODES)
        checks.whole("staging_slots", self.staging_slots, 0)
        checks.probability("disk_fault_rate", self.disk_fault_rate)
        checks.whole("max_retries", self.max_retries, 0, MAX_RETRIES)
        checks.whole("dtype_bytes", self.dtype_bytes, 1)
        for name in BANDWIDTH_FIELDS:
            checks.rate(name, getattr(self, name))
        for name in ENERGY_FIELDS:
            checks.energy(name, getattr(self, name))
        self._check_memory()

    def _check_memory(self) -> None:
        for name in ("memory_bytes", "weight_dtype_bytes"):
            if getattr(self, name) is not None:
                checks.whole(name, getattr(self, name), 1, MAX_TOTAL)
        checks.one_of("optimizer", self.optimizer, tuple(OPTIMIZER_STATES))
        checks.one_of("update", self.update, UPDATES)
        checks.one_of("weights_in", self.weights_in, WEIGHT_PLACES)
        checks.rate("flash_bytes_per_ns", self.flash_bytes_per_ns)
        checks.energy("flash_pj_per_byte", self.flash_pj_per_byte)
        object.__setattr__(self, "train", check_train(self.train))

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    def replace(self, changes: Mapping[str, Any]) -> ChipConfig:
        """A validated copy with ``changes`` applied; an unknown field is a ConfigError.

        Setting one of ``buffer_slots``, ``buffer_bytes`` and ``memory_bytes`` clears
        the others: the later setting of where checkpoints live wins.
        """
        valid = self.field_names()
        for key in changes:
            if key not in valid:
                raise ConfigError(
                    f"unknown chip field {text_shown(key)}; valid fields are {', '.join(valid)}"
                    + did_you_mean(key, valid)
                )
        sizing = dict(changes)
        for field in SIZING_FIELDS:
            if field in changes:
                sizing.update({f: None for f in SIZING_FIELDS if f not in changes})
        return dataclasses.replace(self, **sizing)

    def budget(self, chain: Chain | None) -> Budget:
        """The buffer's capacity in bytes for ``chain``'s activations: the one conversion
        of slots into bytes. Without a chain, a slot-counting chip's slots are 1 byte each
        (a plan's slots, counted); a chip sized in bytes needs the chain.

        ``buffer_slots`` counts activations of an equal-width network, so on
        a network whose sizes differ only ``buffer_bytes`` means anything.
        """
        if self.buffer_bytes is not None or self.memory_bytes is not None:
            if chain is None:
                field = "memory_bytes" if self.buffer_bytes is None else "buffer_bytes"
                raise ConfigError(f"a chip sized in {field} needs the network's sizes")
            return self._byte_budget(chain)
        assert self.buffer_slots is not None
        slot_bytes = 1 if chain is None else self._slot_bytes(chain)
        return Budget(self.buffer_slots * slot_bytes, "buffer_slots", slot_bytes)

    def _byte_budget(self, chain: Chain) -> Budget:
        """``buffer_bytes``, or the room ``memory_bytes`` leaves for checkpoints."""
        if self.memory_bytes is None:
            return Budget(self.buffer_bytes, "buffer_bytes")
        return Budget(checkpoint_room(chain, self.memory_bytes, self.training), "memory_bytes")

    @property
    def training(self) -> Training:
        """What a training step keeps besides activations, on this chip."""
        fields = (self.weight_dtype_bytes, self.optimizer, self.update, self.train)
        return Training(*fields, self.weights_in)

    def _slot_bytes(self, chain: Chain) -> int:
        """One slot's bytes on ``chain``; a ConfigError where its activations differ."""
        if chain.equal_width is None:
            two = 2 * int(chain.activation_bytes[1:].max())
            raise ConfigError(
                f"network {chain.name} has activations of different sizes, so its buffer is "
                f"sized in bytes, not slots (buffer_slots={self.buffer_slots} counts "
                f"equal-width activations): e.g. --set buffer_bytes={two} "
                "(two of its largest activations)"
            )
        return int(chain.activation_bytes[0])

    def buffer_capacity_bytes(self, chain: Chain) -> int:
        """The buffer's capacity in bytes for ``chain``'s activations (``budget``)."""
        return self.budget(chain).capacity_bytes

    def slots_for(self, chain: Chain) -> int:
        """Equal-size slots the buffer holds for ``chain``: ``buffer_slots``, or on a
        byte budget how many of its largest activations fit (planners that count
        slots use this)."""
        return self.buffer_capacity_bytes(chain) // int(chain.activation_bytes[1:].max())

    def rate(self, kind: str) -> int | float | None:
        """Bytes (loads, stores) or multiply-adds (fwd, bwd) per ns of ``kind``'s port, or None."""
        if kind in ("fwd", "bwd"):
            return self.compute_macs_per_ns
        if OP_LATENCY_FIELD[kind] is None:
            return None
        disk = kind in ("loaddisk", "storedisk")
        return self.disk_bytes_per_ns if disk else self.mem_bytes_per_ns

    def as_dict(self, *, flat: bool = False) -> dict[str, Any]:
        """Every field as JSON-ready values: a distribution as its table, or with
        ``flat`` (for one row of a table) as its inline TOML text. Unset energy
        fields, and memory fields at their defaults, are left out, so a chip without
        them reads as it always did."""
        return {
            name: (value.toml() if flat else value.as_dict())
            if isinstance(value, Distribution)
            else value
            for name, value in ((f, getattr(self, f)) for f in self.field_names())
            if not (value is None and name in ENERGY_FIELDS)
            and not (name in MEMORY_DEFAULTS and value == MEMORY_DEFAULTS[name])
        }

    @property
    def is_random(self) -> bool:
        """Whether runs draw anything: a latency distribution or disk faults."""
        jitter = any(isinstance(getattr(self, name), Distribution) for name in LATENCY_FIELDS)
        return jitter or self.disk_fault_rate > 0

    @property
    def has_energy(self) -> bool:
        """Whether the chip declares any energy term (else runs report no energy)."""
        return any(getattr(self, name) is not None for name in ENERGY_FIELDS)

    @property
    def uses_bandwidth(self) -> bool:
        """Whether ops also pay for their bytes or multiply-adds (``transfer_ns``)."""
        return any(getattr(self, name) is not None for name in BANDWIDTH_FIELDS)

    def op_latency_ns(self, kind: str) -> int | float:
        """The expected latency of one op of ``kind``, bandwidth terms excluded.

        A distribution gives its mean. For the full cost at a width, ask the
        ``resolved(width)`` chip.
        """
        field = OP_LATENCY_FIELD[kind]
        if field is None:
            return 0
        value = getattr(self, field)
        return value.mean_ns if isinstance(value, Distribution) else value

    def transfer_ns(self, kind: str, width: int) -> int | float:
        """What one op of ``kind`` pays for its bytes or multiply-adds at ``width`` (on an
        equal-width MLP: loads and stores move width·dtype_bytes bytes, ``fwd`` is s²
        MACs, ``bwd`` three times that). 0 where the chip sets no bandwidth for the
        op's port. The cost model (``chipsim.model.costs``) prices it, as every op."""
        return _exact(float(self._costs_at(width).transfer_ns[KIND_CODE[kind], 1]))

    def transfer_fraction(self, kind: str, width: int) -> Fraction:
        """``transfer_ns`` as an exact fraction, for solving (``breakeven``)."""
        return self._costs_at(width).transfer_fraction(kind, np.ones(1, dtype=np.int64))[1]

    def resolved(self, width: int) -> ChipConfig:
        """This chip with fixed expected latencies at ``width``: what planners use.

        Each latency becomes its mean plus its ``transfer_ns``; the bandwidth
        fields are cleared so that resolving again changes nothing.
        """
        return self._costs_at(width).uniform_chip()

    def _costs_at(self, width: int) -> Any:
        """The cost model on one layer of the course's MLP at ``width``."""
        from .costs import Costs
        from .networks import course_chain

        return Costs(self, course_chain(1, width, dtype_bytes=self.dtype_bytes))


def _exact(value: int | float) -> int | float:
    """A whole float as an int, so fixed-latency traces stay exact integers."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
