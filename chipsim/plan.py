"""Plans: the ordered ops a strategy emits, by phase, with static accounting.

A plan is data: it can be printed, counted and checked without running it.
The **forward** phase computes the loss (it must end with a(L) in registers);
the **backward** phase runs from the loss gradient down to layer 1. Besides
its ``Op`` tuples a plan keeps a columnar encoding (kind codes and layer
numbers as numpy arrays) that counting, slot accounting and traces use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .chip import ChipConfig
from .errors import DoesNotFit, ModelViolation
from .ops import KIND_CODE, OP_KINDS, Op, OpCounts

PHASES: tuple[str, ...] = ("forward", "backward")

_LOWEST_LAYER = np.array([1 if kind in ("fwd", "bwd") else 0 for kind in OP_KINDS])
_SLOT_CHANGE = np.array([{"storemem": 1, "free": -1}.get(kind, 0) for kind in OP_KINDS])


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
        layers = self.layer_numbers
        low = _LOWEST_LAYER[self.kind_codes]
        bad = np.flatnonzero((layers < low) | (layers > self.layers))
        if bad.size:
            phase, op = self._locate(int(bad[0]))
            raise ModelViolation(
                f"{self.strategy}: `{op}` in the {phase} phase is out of range; "
                f"{op.kind} takes {_LOWEST_LAYER[KIND_CODE[op.kind]]}..{self.layers} "
                f"for L={self.layers}"
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

    @cached_property
    def kind_codes(self) -> np.ndarray:
        """Every op's kind as its index in OP_KINDS (int8), in execution order."""
        try:
            codes = [KIND_CODE[kind] for kind, _ in self.forward + self.backward]
        except KeyError as error:
            phase = (
                "forward" if any(op.kind == error.args[0] for op in self.forward) else "backward"
            )
            raise ModelViolation(
                f"{self.strategy}: unknown op {error.args[0]!r} in the {phase} phase; "
                f"valid ops are {', '.join(OP_KINDS)}"
            ) from None
        return np.array(codes, dtype=np.int8)

    @cached_property
    def layer_numbers(self) -> np.ndarray:
        """Every op's layer (int64), in execution order."""
        ops = self.forward + self.backward
        return np.fromiter((layer for _, layer in ops), dtype=np.int64, count=len(ops))

    def phase_slice(self, name: str) -> slice:
        """Where a phase's ops sit in the columnar encoding."""
        return slice(0, len(self.forward)) if name == "forward" else slice(len(self.forward), None)

    def counts(self, phase: str) -> OpCounts:
        """How many ops of each kind the phase holds (every kind listed)."""
        tally = np.bincount(self.kind_codes[self.phase_slice(phase)], minlength=len(OP_KINDS))
        return OpCounts(zip(OP_KINDS, tally.tolist(), strict=True))

    def slots_in_use(self) -> np.ndarray:
        """Buffer occupancy after each op, in execution order (+1 storemem, -1 free)."""
        return np.cumsum(_SLOT_CHANGE[self.kind_codes])

    @property
    def buffer_slots_needed(self) -> int:
        """Peak buffer occupancy over the whole plan."""
        in_use = self.slots_in_use()
        return max(int(in_use.max()), 0) if in_use.size else 0

    def check_fits(self, chip: ChipConfig) -> None:
        """Refuse, before anything runs, a plan that needs more slots than the chip has."""
        if self.buffer_slots_needed > chip.buffer_slots:
            raise DoesNotFit(self.strategy, self.buffer_slots_needed, chip.buffer_slots)

    def latency_ns(self, chip: ChipConfig, phase: str) -> int | float:
        """Serial-mode latency of a phase: the sum of its ops' latencies."""
        return sum(chip.op_latency_ns(kind) * n for kind, n in self.counts(phase).items())

    def _locate(self, index: int) -> tuple[str, Op]:
        if index < len(self.forward):
            return "forward", self.forward[index]
        return "backward", self.backward[index - len(self.forward)]

    def __str__(self) -> str:
        """Op by op, each with the buffer slots in use after it."""
        slots = self.buffer_slots_needed
        lines = [
            f"plan {self.strategy} for L={self.layers}: "
            f"needs {slots} buffer slot{'' if slots == 1 else 's'}"
        ]
        in_use = iter(self.slots_in_use().tolist())
        for name in PHASES:
            ops = self.phase(name)
            lines.append(f"{name} ({len(ops)} ops; slots in use after each):")
            lines.extend(f"  {op!s:<14}{next(in_use)}" for op in ops)
        return "\n".join(lines)
