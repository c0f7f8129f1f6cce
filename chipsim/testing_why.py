"""Why a timing assertion failed (``chipsim.testing``): a result's figures by phase, and
the sentences a failure shows (time and energy by op kind, the longest ops, what the
buffer held at its peak)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import abs as _magnitude
from typing import TYPE_CHECKING, Any

from .formatting import bytes_of, bytes_text, energy_text, exact_text, time_text
from .model.ops import OP_KINDS, OpCounts, zero_counts

if TYPE_CHECKING:
    from .study.run import RunResult

PHASE_CHOICES = ("forward", "backward", "total")
LONGEST_SHOWN = 3


def energy_nj(result: RunResult, phase: str) -> float:
    """A phase's energy, or the whole run's for ``"total"`` (static power included)."""
    check_phase(phase)
    if result.energy_nj is None:
        raise ValueError(
            f"{result.strategy} ran on a chip that declares no energy: set compute_pj_per_mac, "
            "mem_pj_per_byte, … (docs/energy.md) or use a preset that has them"
        )
    return result.energy_nj if phase == "total" else result.trace.energy_of(phase)


def latency_ns(result: RunResult, phase: str) -> int | float:
    """A phase's latency, or forward + backward for ``"total"``."""
    check_phase(phase)
    if phase == "total":
        return result.forward.latency_ns + result.backward.latency_ns
    return result.phase(phase).latency_ns


def op_counts(result: RunResult, phase: str) -> OpCounts:
    """A phase's op counts, or their sum for ``"total"``."""
    check_phase(phase)
    if phase != "total":
        return result.phase(phase).ops
    total = zero_counts()
    for kind in OP_KINDS:
        total[kind] = result.forward.ops[kind] + result.backward.ops[kind]
    return total


def explain_difference(left: Mapping[str, object], right: Mapping[str, object]) -> list[str]:
    """pytest's explanation of a failed ``left == right`` where one side is OpCounts."""
    counts, other = (left, right) if isinstance(left, OpCounts) else (right, left)
    assert isinstance(counts, OpCounts)
    lines = [f"{left!r} == {right!r}", "op counts differ (a kind left out counts as 0):"]
    for kind, (ours, theirs) in counts.differences(other).items():
        delta = f" ({ours - theirs:+})" if isinstance(theirs, int) else ""
        lines.append(f"  {kind}: {ours} != {theirs}{delta}")
    return lines


def check_phase(phase: str) -> None:
    if phase not in PHASE_CHOICES:
        raise ValueError(f"unknown phase {phase!r}; valid: {', '.join(PHASE_CHOICES)}")


def longest_ops(result: RunResult, phase: str) -> str:
    """The longest ops of the phase, as one sentence."""
    frame = result.frame
    if phase != "total":
        frame = frame[frame["phase"] == phase]
    frame = frame.assign(duration_ns=frame["end_ns"] - frame["start_ns"])
    longest = frame.sort_values("duration_ns", ascending=False, kind="stable").head(LONGEST_SHOWN)
    ops = [
        f"{row.op} {row.layer} ({row.phase}) {time_text(row.duration_ns)}, from "
        f"{time_text(row.start_ns)} to {time_text(row.end_ns)}"
        for row in longest.itertuples(index=False)
    ]
    return f"Longest ops ({phase}): {'; '.join(ops)}."


def too_full(result: RunResult, column: str, limit: int) -> str:
    """Why the buffer overflowed ``limit`` (slots or bytes): the peak, where it is first
    reached and what the buffer holds then."""
    in_bytes = column == "buffer_bytes_used"
    peak = result.peak_buffer_bytes if in_bytes else result.peak_buffer_slots
    frame = result.frame
    held: set[int] = set()
    for row in frame.itertuples(index=False):
        if row.op == "storemem":
            held.add(row.layer)
        elif row.op == "free":
            held.discard(row.layer)
        if getattr(row, column) == peak:
            where = f"{row.phase} op `{row.op} {row.layer}` at {ns_text(row.end_ns)}"
            break
    if in_bytes:
        sizes = result.chain.activation_bytes
        holding = ", ".join(f"a{layer} ({bytes_text(int(sizes[layer]))})" for layer in sorted(held))
        amount = f"holds {bytes_of(peak)} at its peak, more than {bytes_of(limit)}"
        excess = f"{bytes_of(peak - limit)} too many"
    else:
        holding = ", ".join(f"a{layer}" for layer in sorted(held))
        amount = f"uses {peak} buffer slots at its peak, more than {limit}"
        excess = f"{peak - limit} too many"
    return (
        f"{result.strategy} {amount} ({excess}); the peak is first reached after {where}, "
        f"holding {holding}"
    )


def energy_by_kind(result: RunResult, phase: str) -> str:
    """Each op kind's dynamic energy in the phase, then static power's share."""
    import numpy as np  # only when an assertion fails: importing this module stays light

    from .sim.plan import PHASES

    trace = result.trace
    assert trace.energy_nj is not None
    rows = np.ones(len(trace.op), dtype=bool)
    if phase != "total":
        rows = trace.phase == PHASES.index(phase)
    parts = []
    for code, kind in enumerate(OP_KINDS):
        spent = float(trace.energy_nj[rows & (trace.op == code)].sum())
        if spent:
            parts.append(f"{kind} {energy_text(spent)}")
    static = energy_nj(result, phase) - float(trace.energy_nj[rows].sum())
    parts += [f"static power {energy_text(static)}"] if static else []
    return ", ".join(parts)


def ns_text(value: float) -> str:
    """A time for people, the exact ns in brackets when it rounded."""
    return exact_text(time_text(value), value, "ns")


def nj_text(value: float) -> str:
    return exact_text(energy_text(value), value, "nJ")


def signed(value: float, text: Callable[[float], str]) -> str:
    return ("-" if value < 0 else "+") + text(_magnitude(value))


def percent(difference: float, expected: float) -> str:
    return f", {100 * difference / expected:+.1f}%" if expected else ""


def expected_by_kind(result: RunResult, phase: str) -> dict[str, tuple[int, Any, Any]]:
    """Per op kind of the phase: (count, the expected price of each when all are equal
    else None, their expected total), from the cost model (``chipsim.model.costs``)."""
    from .model.costs import Costs  # numpy and the chip only when an assertion fails

    plan, costs = result.plan, Costs(result.chip, result.chain)
    where = plan.phase_slice(phase)
    prices = costs.of_ops(plan.kind_codes[where], plan.layer_numbers[where])
    kinds = plan.kind_codes[where]
    table = {}
    for code, kind in enumerate(OP_KINDS):
        mine = prices[kinds == code]
        same = len(mine) and bool((mine == mine[0]).all())
        each = mine[0].item() if same else (None if len(mine) else 0)
        total = len(mine) * each if each is not None else mine.sum().item()
        table[kind] = (len(mine), each, total)
    return table
