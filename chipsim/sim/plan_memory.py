"""A plan's static memory accounting: what it holds after each op, and whether it fits.

Computed from the plan's columns alone, before anything runs: the buffer's
occupancy (slots, or bytes given each a(l)'s size) and the staging registers
prefetches fill. ``check_fits`` compares the peak with the chip's one byte
``Budget`` (``ChipConfig.budget``), so slots and bytes are checked alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import DoesNotFit
from ..formatting import BYTE_UNITS, bytes_text, column_cells, column_unit
from ..model.budget import Budget
from ..model.ops import BUFFER_CHANGE, KIND_CODE
from ..model.training_memory import MemoryUse, memory_use
from .plan_checks import BLOCK_OPS, PHASES, Columns, staging_barrier_error

if TYPE_CHECKING:
    from ..model.chip import ChipConfig
    from ..model.stages import Chain

_SLOT_CHANGE = np.array(BUFFER_CHANGE)
_COMPUTE_CODES = (KIND_CODE["fwd"], KIND_CODE["bwd"])


def peak(in_use: np.ndarray) -> int:
    """The most held after any op (0 for an empty plan)."""
    return max(int(in_use.max()), 0) if in_use.size else 0


def slots_in_use(kind_codes: np.ndarray) -> np.ndarray:
    """Buffer occupancy after each op, in execution order (+1 storemem, -1 free)."""
    return np.cumsum(_SLOT_CHANGE[kind_codes])


def bytes_in_use(plan: Columns, activation_bytes: np.ndarray) -> np.ndarray:
    """Buffer bytes held after each op, given the bytes of each a(l), l = 0..L."""
    return np.cumsum(_bytes_change(plan.kind_codes, plan.layer_numbers, activation_bytes))


def _bytes_change(codes: np.ndarray, layers: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    return _SLOT_CHANGE[codes] * sizes[layers]


def in_use_blocks(
    plan: Columns, activation_bytes: np.ndarray | None, block_ops: int = BLOCK_OPS
) -> Iterator[np.ndarray]:
    """``slots_in_use`` (or, given each a(l)'s bytes, ``bytes_in_use``) a block of ops at a
    time, equal to it element for element: a long plan's peak or trace needs no column
    of changes the plan's length (a whole integer running sum, so blocks change no value)."""
    held = None
    for lo in range(0, max(len(plan.kind_codes), 1), block_ops):
        codes = plan.kind_codes[lo : lo + block_ops]
        if activation_bytes is None:
            block = slots_in_use(codes)
        else:
            block = np.cumsum(_bytes_change(codes, plan.layer_numbers[lo : lo + block_ops],
                                            activation_bytes))  # fmt: skip
        if held is not None:
            block += held
        held = block[-1] if len(block) else held
        yield block


def peak_in_use(plan: Columns, activation_bytes: np.ndarray | None = None) -> int:
    """``peak`` of the slots (or bytes) in use, computed a block of ops at a time."""
    return max((peak(block) for block in in_use_blocks(plan, activation_bytes)), default=0)


def check_fits(plan: Columns, chip: ChipConfig, chain: Chain | None) -> None:
    """Refuse a plan whose buffer peak is over the chip's budget, or that needs more
    staging registers than it has (each holds one activation, so they count alike)."""
    if chip.memory_bytes is not None and chain is not None:
        check_memory(plan, chip, chain)
    else:
        sizes = (
            np.ones(plan.layers + 1, dtype=np.int64) if chain is None else chain.activation_bytes
        )
        chip.budget(chain).refuse_over(plan.strategy, peak_in_use(plan, sizes))
    registers = Budget(chip.staging_slots, "staging_slots", slot_bytes=1)
    registers.refuse_over(plan.strategy, plan.staging_slots_needed)  # a Plan caches it


def use_of(plan: Columns, chip: ChipConfig, chain: Chain) -> MemoryUse:
    """The one memory's bytes during each op, by role (``training_memory``)."""
    codes, layers = plan.kind_codes, plan.layer_numbers
    pairs = recording_pairs(plan) if plan.record.any() else None
    return memory_use(codes, layers, plan.forward_ops, chain, chip.training, pairs)


@dataclass(frozen=True)
class MemoryAtPeak:
    """The one memory at a plan's peak instant: what answers "does it fit" on a chip with
    ``memory_bytes`` (``chipsim run --json``'s ``memory`` object, ``RunResult.memory_at_peak``).

    ``peak_bytes`` is every role's bytes during ``peak_op``, the first op that holds
    the most (``peak_at`` says where it sits); ``by_role`` splits it by role
    (``chipsim.model.training_memory.ROLES``) and adds up to it.
    """

    memory_bytes: int
    peak_bytes: int
    peak_op: str
    peak_at: str
    by_role: dict[str, int]

    @property
    def fits(self) -> bool:
        return self.peak_bytes <= self.memory_bytes

    def as_dict(self) -> dict[str, Any]:
        """The JSON object, exact integers."""
        return {
            "memory_bytes": self.memory_bytes,
            "peak_bytes": self.peak_bytes,
            "peak_op": self.peak_op,
            "peak_at": self.peak_at,
            "by_role": dict(self.by_role),
        }


def memory_at_peak(plan: Columns, chip: ChipConfig, chain: Chain) -> MemoryAtPeak:
    """The one memory (``chip.memory_bytes``, set) at the plan's peak, by role."""
    return peak_of(use_of(plan, chip, chain), plan, chip.memory_bytes)


def peak_of(use: MemoryUse, plan: Columns, memory_bytes: int) -> MemoryAtPeak:
    """``memory_at_peak`` of a plan whose ``use_of`` is at hand."""
    index = use.peak_index
    return MemoryAtPeak(
        memory_bytes, use.peak_bytes, str(plan.op(index)), plan.position(index), use.at(index)
    )


def check_memory(plan: Columns, chip: ChipConfig, chain: Chain) -> None:
    """Refuse a plan whose peak in the one memory is over ``memory_bytes``, naming the
    op at the peak and what is live then (the refusal's ``memory_at_peak``)."""
    peak = memory_at_peak(plan, chip, chain)
    if peak.fits:
        return
    detail = f": the peak is at `{peak.peak_op}` ({peak.peak_at}), holding {held_text(peak)}"
    needed, available = peak.peak_bytes, chip.memory_bytes
    raise DoesNotFit(
        plan.strategy, needed, available, "memory_bytes", None, detail, memory_at_peak=peak
    )


def held_text(peak: MemoryAtPeak) -> str:
    """The roles holding bytes at the peak, in words: "activations 20 KiB, weights …"."""
    return ", ".join(role_bytes(role, size) for role, size in peak.by_role.items() if size)


def role_bytes(role: str, size_bytes: int) -> str:
    """A role's bytes in words, as refusals and ``run`` print them: "weight gradients 848 B"."""
    return f"{role_words(role)} {bytes_text(size_bytes)}"


def role_words(role: str) -> str:
    """A role's name in words (its JSON key with spaces): "weight gradients"."""
    return role.replace("_", " ")


def recording_pairs(plan: Columns) -> np.ndarray:
    """Per op: for a recording ``fwd``, the last op during which what it saved lives (the
    ``bwd`` that consumes it, the op before a re-recording of its stage, or the plan's
    last op); for a ``bwd`` that finds its stage recorded, that ``fwd``; else -1."""
    pairs = np.full(len(plan.kind_codes), -1, dtype=np.int64)
    kept: dict[int, int] = {}  # stage → its recording fwd not yet consumed
    steps = np.flatnonzero(plan.record | (plan.kind_codes == _COMPUTE_CODES[1]))
    layers, records = plan.layer_numbers[steps].tolist(), plan.record[steps].tolist()
    for index, layer, record in zip(steps.tolist(), layers, records, strict=True):
        if record:
            if layer in kept:
                pairs[kept[layer]] = index - 1
            kept[layer] = index
        elif layer in kept:
            pairs[index], pairs[kept[layer]] = kept[layer], index
            del kept[layer]
    pairs[list(kept.values())] = len(plan.kind_codes) - 1
    return pairs


def recorded_bwds(plan: Columns) -> np.ndarray:
    """Per op: a ``bwd l`` that finds stage l recorded, whose saved tensors it consumes."""
    if not plan.record.any():
        return np.zeros(len(plan.kind_codes), dtype=bool)
    return (plan.kind_codes == _COMPUTE_CODES[1]) & (recording_pairs(plan) >= 0)


def staging(plan: Columns) -> tuple[np.ndarray, np.ndarray]:
    """(staged, in use): per op, whether it writes or reads a staging register,
    and how many staging registers hold an activation after it.

    Staging must be empty at the end of the forward phase: a backward load
    prefetched across the phase barrier would be paid for by the forward
    phase and make the backward phase look faster than it is (``PlanError``).
    """
    count = len(plan.kind_codes)
    if not plan.prefetch.any():  # nothing staged: read-only views, no memory per op
        return plan.prefetch, np.broadcast_to(np.int64(0), (count,))
    staged = np.zeros(count, dtype=bool)
    in_use = np.zeros(count, dtype=np.int64)
    held: dict[int, int] = {}  # copies: two steps may prefetch one checkpoint
    total = 0  # sum of held, kept as it changes: linear in the plan's length
    codes, numbers = plan.kind_codes.tolist(), plan.layer_numbers.tolist()
    barrier = plan.forward_ops - 1  # the last forward op
    for index, (code, layer, prefetch) in enumerate(
        zip(codes, numbers, plan.prefetch.tolist(), strict=True)
    ):
        if index == barrier + 1 and total:
            raise staging_barrier_error(plan)
        if prefetch:
            held[layer] = held.get(layer, 0) + 1
            staged[index], total = True, total + 1
        elif code in _COMPUTE_CODES and held.get(layer - 1):
            held[layer - 1] -= 1
            staged[index], total = True, total - 1
        in_use[index] = total
    if barrier + 1 == count and total and barrier >= 0:  # a plan with no backward ops
        raise staging_barrier_error(plan)
    return staged, in_use


def listing(plan: Columns, activation_bytes: np.ndarray | None = None) -> str:
    """Op by op, each with the buffer's slots in use after it, or its bytes in use
    when given the bytes of each a(l) (``Plan.listing``)."""
    in_bytes = activation_bytes is not None
    in_use = plan.bytes_in_use(activation_bytes) if in_bytes else plan.slots_in_use()
    needed = peak(in_use)
    staging = plan.staging_slots_needed
    if in_bytes:  # one unit for the column (chipsim.formatting)
        unit, scale = column_unit([needed], BYTE_UNITS)
        unit = "bytes" if unit == "B" else unit
        room, shown = f"{bytes_text(needed)} of buffer", column_cells(in_use.tolist(), scale)
    else:
        unit, shown = "slots", in_use.tolist()
        room = f"{needed} buffer slot{'' if needed == 1 else 's'}"
    lines = [
        f"plan {plan.strategy} for L={plan.layers}: needs {room}"
        + (f" and {staging} staging slot{'' if staging == 1 else 's'}" if staging else "")
    ]
    lines.extend(f"note: {note}" for note in plan.notes)
    after = iter(shown)
    phases = {name: [str(op) for op in plan.phase(name)] for name in PHASES}
    longest = max((len(op) for ops in phases.values() for op in ops), default=0)
    pad = max(26 if staging else 14, longest + 2)  # "loaddisk 123 (prefetch)", "fwd 20 (record)"
    for name, ops in phases.items():
        lines.append(f"{name} ({len(ops)} ops; {unit} in use after each):")
        lines.extend(f"  {op:<{pad}}{next(after)}" for op in ops)
    return "\n".join(lines)
