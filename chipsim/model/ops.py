"""The op vocabulary: what a plan may ask the chip to do.

Seven kinds, after SPEC.md's op table. Each kind runs on one port of the chip
and costs one latency field of ``ChipConfig`` (``free`` is bookkeeping and
costs nothing). ``layer`` is the layer index for ``fwd``/``bwd`` (1..L) and
the activation index a(layer) for the data-moving kinds (0..L; a0 is the
network input).

A load may be marked ``prefetch``: it puts the activation into a staging
register instead of the working register, and the ``fwd``/``bwd`` that next
needs it takes it from there. It is still a ``loadmem``/``loaddisk`` (counted
and priced as one); only where the data lands differs, which is what lets
overlapped timing run it while the compute unit works.

A ``fwd`` may be marked ``record`` (SPEC.md, "What a stage keeps"): it keeps
the stage's saved tensors until that stage's ``bwd``, which then costs the
gradient work alone; a ``bwd`` whose stage was not recorded recomputes them
from a(l-1) first (forward plus backward work), as the course's ``bwd`` does.
Costs tell the two apart by *price code*: the kind codes, plus
``RECORDED_BWD`` for a ``bwd`` that finds its stage recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

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

#: Compact codes for columnar plans and traces: an op kind's index in OP_KINDS,
#: and for each kind code, its port's index in PORTS.
KIND_CODE: dict[str, int] = {kind: code for code, kind in enumerate(OP_KINDS)}
PORT_CODE_OF_KIND: tuple[int, ...] = tuple(PORTS.index(OP_PORT[kind]) for kind in OP_KINDS)


#: How each kind changes the buffer's count of activations: +1 ``storemem``, -1 ``free``.
BUFFER_CHANGE: tuple[int, ...] = tuple(
    {"storemem": 1, "free": -1}.get(kind, 0) for kind in OP_KINDS
)

#: The kinds a plan may mark ``prefetch``.
LOAD_KINDS: tuple[str, ...] = ("loadmem", "loaddisk")

#: The price code of a ``bwd`` whose stage a recording ``fwd`` kept: one past the
#: kind codes, so cost tables have one row per price code.
RECORDED_BWD = len(OP_KINDS)
PRICE_CODES = len(OP_KINDS) + 1


class Op(NamedTuple):
    """One step of a plan, e.g. ``Op("loadmem", 5)``, ``Op("loaddisk", 8, prefetch=True)``
    or ``Op("fwd", 3, record=True)``."""

    kind: str
    layer: int
    prefetch: bool = False
    record: bool = False

    def __str__(self) -> str:
        mark = " (prefetch)" if self.prefetch else " (record)" if self.record else ""
        return f"{self.kind} {self.layer}{mark}"


class OpCounts(dict[str, int]):
    """How many ops of each kind ran (every kind listed, 0 where unused).

    Compares equal to any mapping that agrees on every kind, a kind the
    mapping leaves out counting as 0: ``ops == {"fwd": 20, "loadmem": 10}``
    says "20 fwd, 10 loadmem and nothing else". ``chipsim.testing.assert_ops``
    checks only the kinds it is given.
    """

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return all(self.get(kind, 0) == other.get(kind, 0) for kind in set(self) | set(other))

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]  # mutable, like dict

    def __repr__(self) -> str:
        used = ", ".join(f"{kind}={count}" for kind, count in self.items() if count)
        return f"OpCounts({used})"

    def differences(self, other: Mapping[str, Any]) -> dict[str, tuple[int, Any]]:
        """``{kind: (ours, theirs)}`` for every kind where the two disagree."""
        kinds = [*self, *(kind for kind in other if kind not in self)]
        return {
            kind: (self.get(kind, 0), other.get(kind, 0))
            for kind in kinds
            if self.get(kind, 0) != other.get(kind, 0)
        }


def zero_counts() -> OpCounts:
    """A count of every op kind, all zero (reports always list every kind)."""
    return OpCounts(dict.fromkeys(OP_KINDS, 0))
