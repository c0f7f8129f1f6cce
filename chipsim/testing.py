"""Timing assertions for your own tests, with failures that explain themselves.

Each helper takes a ``RunResult`` (from ``chipsim.simulate`` or the pytest
fixture ``chip_sim``). A failure says what was expected and what happened,
the difference, which op kinds account for the time, and the longest ops.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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
    tolerance = max((rel or 0) * _magnitude(expected_ns), abs or 0)
    difference = actual - expected_ns
    if _magnitude(difference) <= tolerance:
        return
    percent = f", {100 * difference / expected_ns:+.1f}%" if expected_ns else ""
    lines = [
        f"{result.strategy} {phase} latency is {actual} ns, expected {expected_ns} ns "
        f"({difference:+} ns{percent}; tolerance {tolerance} ns)",
        "time by op kind (count × latency):",
    ]
    for kind, (count, each, total) in _expected_by_kind(result, phase).items():
        if count and total:
            shown = f"{count} × {each} ns" if each is not None else f"{count} ops"
            lines.append(f"  {kind:<10}{shown} = {total} ns")
    lines += _longest_ops(result, phase)
    raise AssertionError("\n".join(lines))


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
    lines = [f"{result.strategy} {phase} op counts differ from those expected:"]
    effect = 0
    priced = _expected_by_kind(result, phase)
    for kind, expected in wrong.items():
        extra = actual[kind] - expected
        count, each, total = priced[kind]
        each = each if each is not None else total / count  # sizes differ: their mean
        effect += extra * each
        lines.append(
            f"  {kind:<10}expected {expected}, got {actual[kind]} "
            f"({extra:+} × {each} ns = {extra * each:+} ns)"
        )
    lines.append(f"latency effect of these differences: {effect:+} ns")
    lines += _longest_ops(result, phase)
    raise AssertionError("\n".join(lines))


def assert_fits(result: RunResult, slots: int) -> None:
    """Assert the run never held more than ``slots`` activations in the buffer."""
    __tracebackhide__ = True
    peak = result.peak_buffer_slots
    if peak <= slots:
        return
    frame = result.frame
    held: set[int] = set()
    for row in frame.itertuples(index=False):
        if row.op == "storemem":
            held.add(row.layer)
        elif row.op == "free":
            held.discard(row.layer)
        if row.buffer_slots_used == peak:
            where = f"{row.phase} op `{row.op} {row.layer}` at {row.end_ns} ns"
            break
    holding = ", ".join(f"a{layer}" for layer in sorted(held))
    raise AssertionError(
        f"{result.strategy} uses {peak} buffer slots at its peak, more than {slots} "
        f"({peak - slots} too many); the peak is first reached after {where}, "
        f"holding {holding}"
    )


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


def _magnitude(value: float) -> float:
    return value if value >= 0 else -value


def _longest_ops(result: RunResult, phase: str) -> list[str]:
    frame = result.frame
    if phase != "total":
        frame = frame[frame["phase"] == phase]
    frame = frame.assign(duration_ns=frame["end_ns"] - frame["start_ns"])
    longest = frame.sort_values("duration_ns", ascending=False, kind="stable").head(LONGEST_SHOWN)
    lines = [f"longest ops ({phase}):"]
    for row in longest.itertuples(index=False):
        lines.append(
            f"  {row.op} {row.layer} ({row.phase}): {row.start_ns}..{row.end_ns} ns, "
            f"{row.duration_ns} ns"
        )
    return lines


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
