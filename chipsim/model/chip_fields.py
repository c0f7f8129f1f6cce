"""The chip's fields by role (fixed latencies, bandwidths, energy) and the defaults
they fall back to: what the chip, its checks and the cost model name."""

from __future__ import annotations

from .latency import Distribution

LATENCY_FIELDS: tuple[str, ...] = (
    "fwd_ns",
    "bwd_ns",
    "loadmem_ns",
    "storemem_ns",
    "loaddisk_ns",
    "storedisk_ns",
)
MODES: tuple[str, ...] = ("serial", "overlapped")
BANDWIDTH_FIELDS: tuple[str, ...] = ("mem_bytes_per_ns", "disk_bytes_per_ns", "compute_macs_per_ns")
#: Optional energy terms (``chipsim.model.costs`` prices them): pJ per unit of work,
#: nJ per access, and static mW (1 mW over 1 ns is 1 pJ).
ENERGY_FIELDS: tuple[str, ...] = (
    "compute_pj_per_mac",
    "mem_pj_per_byte",
    "disk_pj_per_byte",
    "loadmem_nj",
    "storemem_nj",
    "loaddisk_nj",
    "storedisk_nj",
    "static_mw",
)

Latency = int | float | Distribution

#: Retries of one read at most: every attempt is a trace row.
MAX_RETRIES = 1000

#: The course chip's buffer, when a chip sizes it neither in slots nor in bytes.
DEFAULT_BUFFER_SLOTS = 2

#: Optimizer states kept per trained parameter (SGD none, momentum one, Adam two).
OPTIMIZER_STATES: dict[str, int] = {"sgd": 0, "momentum": 1, "adam": 2}
#: When a stage's weight gradient is applied: as soon as it exists (in-place SGD,
#: MCUNetV3), or at the end of the step (a framework's default).
UPDATES: tuple[str, ...] = ("per_step", "per_stage")
#: The one memory and what it holds beside the activations (SPEC.md, "One memory").
#: Left out of ``ChipConfig.as_dict`` at their defaults, so older outputs read as before.
MEMORY_DEFAULTS: dict[str, object] = {
    "memory_bytes": None,
    "weight_dtype_bytes": None,
    "optimizer": "sgd",
    "update": "per_step",
    "train": "all",
    "weights_in": "memory",
    "flash_bytes_per_ns": None,
    "flash_pj_per_byte": None,
}
#: Where weights live: in the one memory, or (frozen ones) in read-only flash outside it.
WEIGHT_PLACES: tuple[str, ...] = ("memory", "flash")
#: The fields that size where checkpoints live: one of them at a time.
SIZING_FIELDS: tuple[str, ...] = ("buffer_slots", "buffer_bytes", "memory_bytes")
