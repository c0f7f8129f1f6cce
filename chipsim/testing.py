"""Timing assertions for your own tests, with failures that explain themselves.

Each helper takes a ``RunResult`` (from ``chipsim.simulate`` or the pytest
fixture ``chip_sim``). A failure says what was expected and what happened,
the difference, which op kinds account for the time, and the longest ops.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import abs as _magnitude  # the builtin, which a parameter below shadows
from typing import TYPE_CHECKING, Any

from .formatting import bytes_of, bytes_text, energy_text, exact_text, time_text
from .model.ops import OP_KINDS, OpCounts, zero_counts

if TYPE_CHECKING:
    from .study.run import RunResult

PHASE_CHOICES = ("forward", "backward", "total")
LONGEST_SHOWN = 3


def assert_latency(
    result: RunResult,
    expected_ns: float,
    *,
    phase: str = "backward",
    rel: float | None = None,
    abs: float | None = None,  # the pytest.approx spelling users know
) -> None:
    """Assert a phase's latency (``"total"``: forward + backward), exactly unless given a tolerance.

    ``rel`` is relative to ``expected_ns``, ``abs`` in ns; with both, the
    larger tolerance wins (as in ``pytest.approx``).
    """
    __tracebackhide__ = True
    actual = latency_ns(result, phase)
    difference, tolerance = _off_by(actual, expected_ns, rel, abs)
    if difference is None:
        return
    kinds = [
        f"{kind} {count} × {time_text(each)} = {time_text(total)}"
        if each is not None
        else f"{kind} {count} ops = {time_text(total)}"
        for kind, (count, each, total) in _expected_by_kind(result, phase).items()
        if count and total
    ]
    raise AssertionError(
        f"{result.strategy} {phase} latency is {_ns(actual)}, expected {_ns(expected_ns)} "
        f"({_signed(difference, time_text)}{_percent(difference, expected_ns)}; tolerance "
        f"{time_text(tolerance)}). Time by op kind (count × latency): {', '.join(kinds)}. "
        f"{_longest_ops(result, phase)}"
    )


def assert_ops(result: RunResult, phase: str = "backward", **expected_counts: int) -> None:
    """Assert the counts of the op kinds named (others are not checked)."""
    __tracebackhide__ = True
    unknown = [kind for kind in expected_counts if kind not in OP_KINDS]
    if unknown:
        raise TypeError(
            f"assert_ops() got unknown op kind {unknown[0]!r}; valid kinds: {', '.join(OP_KINDS)}"
        )
    actual = op_counts(result, phase)
    wrong = {kind: n for kind, n in expected_counts.items() if actual[kind] != n}
    if not wrong:
        return
    effect, parts = 0, []
    priced = _expected_by_kind(result, phase)
    for kind, expected in wrong.items():
        extra = actual[kind] - expected
        count, each, total = priced[kind]
        each = each if each is not None else total / count  # sizes differ: their mean
        effect += extra * each
        parts.append(
            f"{kind} expected {expected}, got {actual[kind]} "
            f"({extra:+} × {time_text(each)} = {_signed(extra * each, time_text)})"
        )
    raise AssertionError(
        f"{result.strategy} {phase} op counts differ from those expected: {'; '.join(parts)}. "
        f"Latency effect of these differences: {_signed(effect, _ns)}. "
        f"{_longest_ops(result, phase)}"
    )


def assert_fits(
    result: RunResult,
    slots: int | None = None,
    *,
    bytes: int | None = None,
    memory: int | None = None,
) -> None:
    """Assert the run never held more than ``slots`` activations or ``bytes`` bytes in the
    buffer, or more than ``memory`` bytes in a chip's one memory at any op (any of them).

    On a chip with one memory (``memory_bytes``) ``bytes`` is refused: the checkpoints
    alone would pass a run whose memory, weights and all, is far fuller; ``memory``
    checks what the chip holds."""
    __tracebackhide__ = True
    if slots is None and bytes is None and memory is None:
        raise TypeError("assert_fits() needs slots=N, bytes=B or memory=M")
    if bytes is not None and result.chip.memory_bytes is not None:
        raise ValueError(
            f"assert_fits(bytes=...) checks the checkpoints alone, but {result.strategy} ran "
            f"on a chip with one memory (memory_bytes): use memory={bytes} for its peak "
            "(weights, gradients and the op in flight included)"
        )
    if slots is not None and result.peak_buffer_slots > slots:
        raise AssertionError(_too_full(result, "buffer_slots_used", slots))
    if bytes is not None and result.peak_buffer_bytes > bytes:
        raise AssertionError(_too_full(result, "buffer_bytes_used", bytes))
    if memory is not None:
        _check_memory(result, memory)


def _check_memory(result: RunResult, limit: int) -> None:
    """The one memory's peak against ``limit``: where it falls and what it holds."""
    __tracebackhide__ = True
    if result.chip.memory_bytes is None:
        raise ValueError(f"{result.strategy} ran on a chip without one memory: set memory_bytes")
    peak = result.to_dict()["memory"]
    if peak["peak_bytes"] <= limit:
        return
    held = ", ".join(f"{role} {bytes_text(n)}" for role, n in peak["by_role"].items() if n)
    raise AssertionError(
        f"{result.strategy} holds {bytes_text(peak['peak_bytes'])} [{peak['peak_bytes']} B] of "
        f"memory at `{peak['peak_op']}` ({peak['peak_at']}), over the {bytes_text(limit)} "
        f"[{limit} B] asserted: {held}."
    )


def assert_energy(
    result: RunResult,
    expected_nj: float,
    *,
    phase: str = "total",
    rel: float | None = None,
    abs: float | None = None,
) -> None:
    """Assert the energy of a phase, or of the whole run (``"total"``, static power
    included), in nJ: exactly unless given a tolerance, as ``assert_latency``."""
    __tracebackhide__ = True
    actual = energy_nj(result, phase)
    difference, tolerance = _off_by(actual, expected_nj, rel, abs)
    if difference is None:
        return
    raise AssertionError(
        f"{result.strategy} {phase} energy is {_nj(actual)}, expected {_nj(expected_nj)} "
        f"({_signed(difference, energy_text)}{_percent(difference, expected_nj)}; tolerance "
        f"{energy_text(tolerance)}). Energy by op kind: {_energy_by_kind(result, phase)}."
    )


def _off_by(
    actual: float, expected: float, rel: float | None, abs: float | None
) -> tuple[float | None, float]:
    """(actual - expected, or None when within the tolerance; the tolerance): ``rel`` of
    ``expected`` or ``abs``, the larger one (as in ``pytest.approx``)."""
    tolerance = max((rel or 0) * _magnitude(expected), abs or 0)
    difference = actual - expected
    return (None if _magnitude(difference) <= tolerance else difference), tolerance


def energy_nj(result: RunResult, phase: str) -> float:
    """A phase's energy, or the whole run's for ``"total"`` (static power included)."""
    _check_phase(phase)
    if result.energy_nj is None:
        raise ValueError(
            f"{result.strategy} ran on a chip that declares no energy: set compute_pj_per_mac, "
            "mem_pj_per_byte, … (docs/energy.md) or use a preset that has them"
        )
    return result.energy_nj if phase == "total" else result.trace.energy_of(phase)


def latency_ns(result: RunResult, phase: str) -> int | float:
    """A phase's latency, or forward + backward for ``"total"``."""
    _check_phase(phase)
    if phase == "total":
        return result.forward.latency_ns + result.backward.latency_ns
    return result.phase(phase).latency_ns


def op_counts(result: RunResult, phase: str) -> OpCounts:
    """A phase's op counts, or their sum for ``"total"``."""
    _check_phase(phase)
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


def _check_phase(phase: str) -> None:
    if phase not in PHASE_CHOICES:
        raise ValueError(f"unknown phase {phase!r}; valid: {', '.join(PHASE_CHOICES)}")


def _longest_ops(result: RunResult, phase: str) -> str:
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


def _too_full(result: RunResult, column: str, limit: int) -> str:
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
            where = f"{row.phase} op `{row.op} {row.layer}` at {_ns(row.end_ns)}"
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


def _energy_by_kind(result: RunResult, phase: str) -> str:
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


def _ns(value: float) -> str:
    """A time for people, the exact ns in brackets when it rounded."""
    return exact_text(time_text(value), value, "ns")


def _nj(value: float) -> str:
    return exact_text(energy_text(value), value, "nJ")


def _signed(value: float, text: Callable[[float], str]) -> str:
    return ("-" if value < 0 else "+") + text(_magnitude(value))


def _percent(difference: float, expected: float) -> str:
    return f", {100 * difference / expected:+.1f}%" if expected else ""


def _expected_by_kind(result: RunResult, phase: str) -> dict[str, tuple[int, Any, Any]]:
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
