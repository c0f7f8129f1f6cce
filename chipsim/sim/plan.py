"""Plans: the ordered ops a strategy emits, by phase, with static accounting.

A plan is data: it can be printed, counted and checked without running it.
The **forward** phase computes the loss (it must end with a(L) in registers);
the **backward** phase runs from the loss gradient down to layer 1. A plan is
stored as two columns (kind codes and layer numbers, numpy arrays), so a
million-op plan costs about ten bytes an op; ``Op`` tuples are made only
when something iterates over it.

Prefetching loads (``Op(..., prefetch=True)``) land in staging registers. A
``fwd l`` or ``bwd l`` takes its input a(l-1) from staging when a prefetch
left it there, else from the working register; ``staged`` records, op by op,
which ops touch staging, and ``staging_slots_needed`` the registers it takes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from ..model.chip import ChipConfig
from ..model.ops import KIND_CODE, OP_KINDS, RECORDED_BWD, Op, OpCounts
from . import plan_cut
from . import plan_memory as memory
from .plan_checks import LOWEST_LAYER, PHASES, check_columns, check_layers, check_ranges, encode_op

if TYPE_CHECKING:
    from ..model.costs import Costs
    from ..model.stages import Chain


_FWD, _BWD = KIND_CODE["fwd"], KIND_CODE["bwd"]


@dataclass(frozen=True, eq=False)
class Plan:
    """A strategy's schedule for an L-layer network.

    ``strategy`` is the spec that produced it (for messages). ``kind_codes``
    (int8, indices into OP_KINDS) and ``layer_numbers`` (int64) hold every op
    in execution order, the first ``forward_ops`` of them in the forward
    phase; ``prefetch`` (bool, None for all False) marks prefetching loads,
    ``record`` (likewise) recording forwards; ``notes`` say what the strategy
    assumed (shown with the plan); ``activation_bytes``, the bytes of each
    a(l) when they differ (``make_plan`` sets it), makes ``str(plan)`` count
    the buffer in bytes. Build one with ``Plan.build``.
    """

    strategy: str
    layers: int
    kind_codes: np.ndarray
    layer_numbers: np.ndarray
    forward_ops: int
    prefetch: np.ndarray | None = None
    notes: tuple[str, ...] = ()
    record: np.ndarray | None = None
    activation_bytes: np.ndarray | None = None

    def __post_init__(self) -> None:
        check_layers(self.strategy, self.layers)
        if self.record is None:  # no forward records (filled first: messages show ops)
            object.__setattr__(self, "record", np.zeros(len(self.kind_codes), dtype=bool))
        check_columns(self)
        if self.prefetch is None:
            object.__setattr__(self, "prefetch", np.zeros(len(self.kind_codes), dtype=bool))
        check_ranges(self)
        if self.prefetch.any():
            _ = self._staging  # refuses a plan holding staging across the phase barrier

    @classmethod
    def build(
        cls,
        strategy: str,
        layers: int,
        forward: Iterable[Op],
        backward: Iterable[Op],
        *,
        notes: tuple[str, ...] = (),
    ) -> Plan:
        """Encode the ops of each phase; a malformed op is a ``PlanError`` naming it.

        An op is ``(kind, layer)``, ``(kind, layer, prefetch)`` or ``(kind, layer,
        prefetch, record)``: kind one of OP_KINDS, layer a whole number (not a
        bool), prefetch and record bools. The ops
        are consumed one at a time: a million-op plan never exists as a
        million Op objects.
        """
        check_layers(strategy, layers)
        kinds: list[int] = []
        numbers: list[int] = []
        marked: tuple[list[int], list[int]] = ([], [])  # positions of prefetches, records
        forward_ops = 0
        code_of, lowest = KIND_CODE.get, LOWEST_LAYER.tolist()
        for phase, ops in (("forward", forward), ("backward", backward)):
            start = len(kinds)
            for op in ops:
                quick = type(op) is Op and op[2] is False and op[3] is False
                if quick and type(op[1]) is int:
                    code = code_of(op[0])
                    if code is not None and lowest[code] <= op[1] <= layers:
                        kinds.append(code)
                        numbers.append(op[1])
                        continue
                code, layer, *marks = encode_op(strategy, layers, phase, len(kinds) - start, op)
                for positions, mark in zip(marked, marks, strict=True):
                    if mark:
                        positions.append(len(kinds))
                kinds.append(code)
                numbers.append(layer)
            if phase == "forward":
                forward_ops = len(kinds)
        flags = np.zeros((2, len(kinds)), dtype=bool)
        for row, positions in enumerate(marked):
            flags[row, positions] = True
        return cls(
            strategy,
            layers,
            np.array(kinds, dtype=np.int8),
            np.array(numbers, dtype=np.int64),
            forward_ops,
            flags[0],
            notes,
            flags[1],
        )

    def up_to(self, lowest: int) -> Plan:
        """This plan with its backward phase ending at ``bwd lowest``: what training stages
        ``lowest``..L alone needs, no forward below it recording, and no checkpoint or
        prefetch that only the cut ops read (``plan_cut``)."""
        steps = np.flatnonzero((self.kind_codes == _BWD) & (self.layer_numbers == lowest))
        if lowest <= 1 or not steps.size:
            return self
        end = int(steps[-1]) + 1
        keep = plan_cut.kept_ops(self.kind_codes, self.layer_numbers, self.prefetch, end)
        below = (self.kind_codes[:end] == _FWD) & (self.layer_numbers[:end] < lowest)
        note = f"backprop ends at stage {lowest}: the stages below it are frozen"
        kinds, numbers = self.kind_codes[:end][keep], self.layer_numbers[:end][keep]
        return dataclasses.replace(
            self, kind_codes=kinds, layer_numbers=numbers, prefetch=self.prefetch[:end][keep],
            forward_ops=int(keep[: self.forward_ops].sum()),
            record=(self.record[:end] & ~below)[keep], notes=(*self.notes, note),
        )  # fmt: skip

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
        flags = self.prefetch[where].tolist()
        records = self.record[where].tolist()
        for code, layer, prefetch, record in zip(kinds, numbers, flags, records, strict=True):
            yield Op(OP_KINDS[code], layer, prefetch, record)

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
        return memory.slots_in_use(self.kind_codes)

    @property
    def buffer_slots_needed(self) -> int:
        """Peak buffer occupancy over the whole plan."""
        return memory.peak_in_use(self)

    @cached_property
    def _staging(self) -> tuple[np.ndarray, np.ndarray]:
        """(staged, in use) per op (``plan_memory.staging``)."""
        return memory.staging(self)

    @property
    def staged(self) -> np.ndarray:
        """Per op: a prefetch that writes a staging register, or a fwd/bwd that reads one."""
        return self._staging[0]

    def staging_in_use(self) -> np.ndarray:
        """Staging registers holding an activation after each op, in execution order."""
        return self._staging[1]

    @property
    def staging_slots_needed(self) -> int:
        """Peak staging occupancy: the ``staging_slots`` a chip needs to run the plan."""
        return memory.peak(self.staging_in_use())

    def bytes_in_use(self, activation_bytes: np.ndarray) -> np.ndarray:
        """Buffer bytes held after each op, given the bytes of each a(l), l = 0..L."""
        return memory.bytes_in_use(self, activation_bytes)

    def buffer_bytes_needed(self, chain: Chain) -> int:
        """Peak buffer bytes over the whole plan on ``chain``'s activations."""
        return memory.peak_in_use(self, chain.activation_bytes)

    def check_fits(self, chip: ChipConfig, chain: Chain | None = None) -> None:
        """Refuse, before anything runs, a plan that needs more room than the chip has
        (``plan_memory.check_fits``)."""
        memory.check_fits(self, chip, chain)

    @cached_property
    def price_codes(self) -> np.ndarray:
        """Each op's row in a cost table: its kind code, or ``RECORDED_BWD`` for a
        ``bwd`` whose stage a recording ``fwd`` kept (``plan_memory.recorded``)."""
        if not self.record.any():
            return self.kind_codes
        return np.where(memory.recorded_bwds(self), RECORDED_BWD, self.kind_codes).astype(np.int8)

    def op_costs(self, prices: ChipConfig | Costs) -> np.ndarray:
        """Each op's expected cost: a chip's fixed latency per kind, or a cost table's price."""
        if isinstance(prices, ChipConfig):
            fixed = [prices.op_latency_ns(kind) for kind in (*OP_KINDS, "bwd")]
            return np.array(fixed)[self.price_codes]
        return prices.of_ops(self.price_codes, self.layer_numbers)

    def latency_ns(self, prices: ChipConfig | Costs, phase: str) -> int | float:
        """Serial-mode latency of a phase: the ops' costs summed in plan order.

        A running sum, as the engine times a serial run, so the two agree to
        the last bit for float latencies too.
        """
        self.phase_slice(phase)  # a valid phase name
        ends = np.cumsum(self.op_costs(prices))
        forward = ends[self.forward_ops - 1].item() if self.forward_ops else 0
        if phase == "forward":
            return forward
        return (ends[-1].item() if len(ends) else 0) - forward

    def op(self, index: int) -> Op:
        """The op at ``index`` in execution order."""
        kind = OP_KINDS[self.kind_codes[index]]
        marks = bool(self.prefetch[index]), bool(self.record[index])
        return Op(kind, int(self.layer_numbers[index]), *marks)

    def phase_of(self, index: int) -> str:
        return "forward" if index < self.forward_ops else "backward"

    def position(self, index: int) -> str:
        """Where op ``index`` sits, as messages name it: "op 3 of the backward phase"."""
        phase = self.phase_of(index)
        return f"op {index - (self.forward_ops if phase == 'backward' else 0)} of the {phase} phase"

    def __str__(self) -> str:
        """Op by op, each with the buffer slots (or bytes, ``activation_bytes``) in use after it."""
        return self.listing(self.activation_bytes)

    def listing(self, activation_bytes: np.ndarray | None = None) -> str:
        """Op by op, each with the buffer's slots in use after it, or its bytes in use
        when given the bytes of each a(l) (a network whose sizes differ)."""
        return memory.listing(self, activation_bytes)
