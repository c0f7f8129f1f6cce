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
