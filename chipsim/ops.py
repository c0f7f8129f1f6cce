"""The op vocabulary: what a plan may ask the chip to do.

Seven kinds, after SPEC.md's op table. Each kind runs on one port of the chip
and costs one latency field of ``ChipConfig`` (``free`` is bookkeeping and
costs nothing). ``layer`` is the layer index for ``fwd``/``bwd`` (1..L) and
the activation index a(layer) for the data-moving kinds (0..L; a0 is the
network input).
"""

from __future__ import annotations

from typing import NamedTuple

#: Op kinds in the order every count table and report lists them.
OP_KINDS: tuple[str, ...] = ("fwd", "bwd", "storemem", "loadmem", "storedisk", "loaddisk", "free")

#: The chip port each op kind occupies while it runs.
OP_PORT: dict[str, str] = {
    "fwd": "compute",
    "bwd": "compute",
    "storemem": "buffer",
    "loadmem": "buffer",
    "free": "buffer",
    "storedisk": "disk",
    "loaddisk": "disk",
}

#: The ChipConfig field holding each op kind's latency (None: always 0 ns).
OP_LATENCY_FIELD: dict[str, str | None] = {
    "fwd": "fwd_ns",
    "bwd": "bwd_ns",
    "storemem": "storemem_ns",
    "loadmem": "loadmem_ns",
    "storedisk": "storedisk_ns",
    "loaddisk": "loaddisk_ns",
    "free": None,
}

#: Ports of the chip, in the order traces and figures list them.
PORTS: tuple[str, ...] = ("compute", "buffer", "disk")


class Op(NamedTuple):
    """One step of a plan, e.g. ``Op("loadmem", 5)``."""

    kind: str
    layer: int

    def __str__(self) -> str:
        return f"{self.kind} {self.layer}"


def zero_counts() -> dict[str, int]:
    """A count of every op kind, all zero (reports always list every kind)."""
    return dict.fromkeys(OP_KINDS, 0)
