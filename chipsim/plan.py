"""Plans: the ordered ops a strategy emits, by phase, with static accounting.

A plan is data: it can be printed, counted and checked without running it.
The **forward** phase computes the loss (it must end with a(L) in registers);
the **backward** phase runs from the loss gradient down to layer 1. A plan is
stored as two columns (kind codes and layer numbers, numpy arrays), so a
million-op plan costs about nine bytes an op; ``Op`` tuples are made only
when something iterates over it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from .chip import ChipConfig
from .errors import DoesNotFit, ModelViolation
from .ops import KIND_CODE, OP_KINDS, Op, OpCounts

PHASES: tuple[str, ...] = ("forward", "backward")

_LOWEST_LAYER = np.array([1 if kind in ("fwd", "bwd") else 0 for kind in OP_KINDS])
_SLOT_CHANGE = np.array([{"storemem": 1, "free": -1}.get(kind, 0) for kind in OP_KINDS])


@dataclass(frozen=True, eq=False)
class Plan:
    """A strategy's schedule for an L-layer network.

    ``strategy`` is the spec that produced it (for messages). ``kind_codes``
    (int8, indices into OP_KINDS) and ``layer_numbers`` (int64) hold every op
    in execution order, the first ``forward_ops`` of them in the forward
    phase. Build one with ``Plan.build``.
    """

    strategy: str
    layers: int
    kind_codes: np.ndarray
    layer_numbers: np.ndarray
    forward_ops: int

    def __post_init__(self) -> None:
        low = _LOWEST_LAYER[self.kind_codes]
        bad = np.flatnonzero((self.layer_numbers < low) | (self.layer_numbers > self.layers))
        if bad.size:
            index = int(bad[0])
            op = self._op(index)
            raise ModelViolation(
                f"{self.strategy}: `{op}` in the {self._phase_of(index)} phase is out of range; "
                f"{op.kind} takes {_LOWEST_LAYER[KIND_CODE[op.kind]]}..{self.layers} "
                f"for L={self.layers}"
            )

    @classmethod
    def build(
        cls, strategy: str, layers: int, forward: Iterable[Op], backward: Iterable[Op]
    ) -> Plan:
        """Encode the ops of each phase; an unknown op kind is a ModelViolation."""
        kinds: list[int] = []
        numbers: list[int] = []
        forward_ops = 0
        for phase, ops in (("forward", forward), ("backward", backward)):
            for kind, layer in ops:
                code = KIND_CODE.get(kind)
                if code is None:
                    raise ModelViolation(
                        f"{strategy}: unknown op {kind!r} in the {phase} phase; "
                        f"valid ops are {', '.join(OP_KINDS)}"
                    )
                kinds.append(code)
                numbers.append(layer)
            if phase == "forward":
                forward_ops = len(kinds)
        return cls(
            strategy,
            layers,
            np.array(kinds, dtype=np.int8),
            np.array(numbers, dtype=np.int64),
            forward_ops,
        )

    def __len__(self) -> int:
        return len(self.kind_codes)

    @property
    def forward(self) -> tuple[Op, ...]:
        return tuple(self.phase_ops("forward"))

    @property
    def backward(self) -> tuple[Op, ...]:
        return tuple(self.phase_ops("backward"))

    def phase(self, name: str) -> tuple[Op, ...]:
        return tuple(self.phase_ops(name))

    def phase_slice(self, name: str) -> slice:
        """Where a phase's ops sit in the columns."""
        if name not in PHASES:
            raise ValueError(f"unknown phase {name!r}; valid phases: {', '.join(PHASES)}")
        return slice(0, self.forward_ops) if name == "forward" else slice(self.forward_ops, None)

    def phase_ops(self, name: str) -> Iterator[Op]:
        """A phase's ops in order, made one at a time."""
        where = self.phase_slice(name)
        kinds = self.kind_codes[where].tolist()
        numbers = self.layer_numbers[where].tolist()
        for code, layer in zip(kinds, numbers, strict=True):
            yield Op(OP_KINDS[code], layer)

    def ops(self) -> Iterator[tuple[str, Op]]:
        """Every op with its phase, in execution order."""
        for name in PHASES:
            for op in self.phase_ops(name):
                yield name, op

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

    def _op(self, index: int) -> Op:
        return Op(OP_KINDS[self.kind_codes[index]], int(self.layer_numbers[index]))

    def _phase_of(self, index: int) -> str:
        return "forward" if index < self.forward_ops else "backward"

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
