"""Timing assertions for your own tests, with failures that explain themselves.

Each helper takes a ``RunResult`` (from ``chipsim.simulate`` or the pytest
fixture ``chip_sim``). A failure says what was expected and what happened,
the difference, which op kinds account for the time, and the longest ops.
"""

from __future__ import annotations

from operator import abs as _magnitude  # the builtin, which a parameter below shadows
from typing import TYPE_CHECKING

from .formatting import bytes_text, energy_text, time_text
from .model.ops import OP_KINDS
from .sim.plan_memory import held_text
from .testing_why import (
    energy_by_kind,
    energy_nj,
    expected_by_kind,
    explain_difference,
    latency_ns,
    longest_ops,
    nj_text,
    ns_text,
    op_counts,
    percent,
    signed,
    too_full,
)

__all__ = [
    "assert_energy", "assert_fits", "assert_latency", "assert_ops", "energy_nj",
    "explain_difference", "latency_ns", "op_counts",
]  # fmt: skip

if TYPE_CHECKING:
    from .study.run import RunResult


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
        for kind, (count, each, total) in expected_by_kind(result, phase).items()
        if count and total
    ]
    raise AssertionError(
        f"{result.strategy} {phase} latency is {ns_text(actual)}, expected {ns_text(expected_ns)} "
        f"({signed(difference, time_text)}{percent(difference, expected_ns)}; tolerance "
        f"{time_text(tolerance)}). Time by op kind (count × latency): {', '.join(kinds)}. "
        f"{longest_ops(result, phase)}"
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
    priced = expected_by_kind(result, phase)
    for kind, expected in wrong.items():
        extra = actual[kind] - expected
        count, each, total = priced[kind]
        each = each if each is not None else total / count  # sizes differ: their mean
        effect += extra * each
        parts.append(
            f"{kind} expected {expected}, got {actual[kind]} "
            f"({extra:+} × {time_text(each)} = {signed(extra * each, time_text)})"
        )
    raise AssertionError(
        f"{result.strategy} {phase} op counts differ from those expected: {'; '.join(parts)}. "
        f"Latency effect of these differences: {signed(effect, ns_text)}. "
        f"{longest_ops(result, phase)}"
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
        raise AssertionError(too_full(result, "buffer_slots_used", slots))
    if bytes is not None and result.peak_buffer_bytes > bytes:
        raise AssertionError(too_full(result, "buffer_bytes_used", bytes))
    if memory is not None:
        _check_memory(result, memory)


def _check_memory(result: RunResult, limit: int) -> None:
    """The one memory's peak against ``limit``: where it falls and what it holds."""
    __tracebackhide__ = True
    peak = result.memory_at_peak
    if peak is None:
        raise ValueError(f"{result.strategy} ran on a chip without one memory: set memory_bytes")
    if peak.peak_bytes <= limit:
        return
    raise AssertionError(
        f"{result.strategy} holds {bytes_text(peak.peak_bytes)} [{peak.peak_bytes} B] of "
        f"memory at `{peak.peak_op}` ({peak.peak_at}), over the {bytes_text(limit)} "
        f"[{limit} B] asserted: {held_text(peak)}."
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
        f"{result.strategy} {phase} energy is {nj_text(actual)}, expected {nj_text(expected_nj)} "
        f"({signed(difference, energy_text)}{percent(difference, expected_nj)}; tolerance "
        f"{energy_text(tolerance)}). Energy by op kind: {energy_by_kind(result, phase)}."
    )


def _off_by(
    actual: float, expected: float, rel: float | None, abs: float | None
) -> tuple[float | None, float]:
    """(actual - expected, or None when within the tolerance; the tolerance): ``rel`` of
    ``expected`` or ``abs``, the larger one (as in ``pytest.approx``)."""
    tolerance = max((rel or 0) * _magnitude(expected), abs or 0)
    difference = actual - expected
    return (None if _magnitude(difference) <= tolerance else difference), tolerance
