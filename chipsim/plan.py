"""Plans: the ordered ops a strategy emits, by phase, with static accounting.

A plan is data: it can be printed, counted and checked without running it.
The **forward** phase computes the loss (it must end with a(L) in registers);
the **backward** phase runs from the loss gradient down to layer 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .chip import ChipConfig
from .errors import DoesNotFit, ModelViolation
from .ops import OP_KINDS, Op, zero_counts

PHASES: tuple[str, ...] = ("forward", "backward")

_COMPUTE_KINDS = frozenset({"fwd", "bwd"})


@dataclass(frozen=True)
class Plan:
    """A strategy's schedule for an L-layer network.

    ``strategy`` is the spec that produced it (for messages); ``forward`` and
    ``backward`` are the ops of each phase in order.
    """

    strategy: str
    layers: int
    forward: tuple[Op, ...]
    backward: tuple[Op, ...]

    def __post_init__(self) -> None:
        for phase, op in self.ops():
            if op.kind not in OP_KINDS:
                raise ModelViolation(
                    f"{self.strategy}: unknown op {op.kind!r} in the {phase} phase; "
                    f"valid ops are {', '.join(OP_KINDS)}"
                )
            low = 1 if op.kind in _COMPUTE_KINDS else 0
            if not low <= op.layer <= self.layers:
                raise ModelViolation(
                    f"{self.strategy}: `{op}` in the {phase} phase is out of range; "
                    f"{op.kind} takes {low}..{self.layers} for L={self.layers}"
                )

    @classmethod
    def build(
        cls, strategy: str, layers: int, forward: Iterable[Op], backward: Iterable[Op]
    ) -> Plan:
        return cls(strategy, layers, tuple(forward), tuple(backward))

    def phase(self, name: str) -> tuple[Op, ...]:
        return {"forward": self.forward, "backward": self.backward}[name]

    def ops(self) -> Iterator[tuple[str, Op]]:
        """Every op with its phase, in execution order."""
        for name in PHASES:
            for op in self.phase(name):
                yield name, op

    def counts(self, phase: str) -> dict[str, int]:
        """How many ops of each kind the phase holds (every kind listed)."""
        counts = zero_counts()
        for op in self.phase(phase):
            counts[op.kind] += 1
        return counts

    def slots_in_use(self) -> list[int]:
        """Buffer occupancy after each op, in execution order (+1 storemem, -1 free)."""
        used, after = 0, []
        for _, op in self.ops():
            used += (op.kind == "storemem") - (op.kind == "free")
            after.append(used)
        return after

    @property
    def buffer_slots_needed(self) -> int:
        """Peak buffer occupancy over the whole plan."""
        return max(self.slots_in_use(), default=0)

    def check_fits(self, chip: ChipConfig) -> None:
        """Refuse, before anything runs, a plan that needs more slots than the chip has."""
        if self.buffer_slots_needed > chip.buffer_slots:
            raise DoesNotFit(self.strategy, self.buffer_slots_needed, chip.buffer_slots)

    def latency_ns(self, chip: ChipConfig, phase: str) -> int | float:
        """Serial-mode latency of a phase: the sum of its ops' latencies."""
        return sum(chip.op_latency_ns(kind) * n for kind, n in self.counts(phase).items())

    def __str__(self) -> str:
        """Op by op, each with the buffer slots in use after it."""
        slots = self.buffer_slots_needed
        lines = [
            f"plan {self.strategy} for L={self.layers}: "
            f"needs {slots} buffer slot{'' if slots == 1 else 's'}"
        ]
        in_use = iter(self.slots_in_use())
        for name in PHASES:
            ops = self.phase(name)
            lines.append(f"{name} ({len(ops)} ops; slots in use after each):")
            lines.extend(f"  {op!s:<14}{next(in_use)}" for op in ops)
        return "\n".join(lines)
