"""The strategies side by side as text cells, without pandas: what ``chipsim compare``
prints (``chipsim.formatting.text_table``) and reports show (``tables.summary``).

Every time, size and energy column has one unit, named in its header and chosen
from its largest value (``chipsim.formatting``), except one memory's, which reads in
its budget's unit ("memory KiB (of 256)"); JSON keeps the exact numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import DiskReadError
from ..formatting import (
    BYTE_UNITS,
    ENERGY_UNITS,
    TIME_UNITS,
    column_cells,
    column_unit,
    number_text,
    unit_for,
)
from ..model.ops import KIND_CODE
from ..study.analysis import Outcome
from ..study.run import RunResult
from ..study.scenario import Scenario

Columns = dict[str, list[object]]

#: The backward op counts that decide the question, and their column names.
COUNTS: tuple[tuple[str, str], ...] = (
    ("recompute_fwd", "fwd"),
    ("loadmem", "loadmem"),
    ("loaddisk", "loaddisk"),
)


def summary_columns(outcomes: Sequence[Outcome], scenario: Scenario) -> Columns:
    """Column name → one text cell per outcome, in order (see ``tables.summary``)."""
    ran = [outcome.result for outcome in outcomes]
    columns: Columns = {"fits": [_fit(outcome) for outcome in outcomes]}
    columns.update(_budget_column(outcomes, scenario))
    columns.update(_timed("forward", [r and r.forward.latency_ns for r in ran], TIME_UNITS))
    columns.update(_timed("backward", [r and r.backward.latency_ns for r in ran], TIME_UNITS))
    columns.update(_timed("step", [r and _step_ns(r) for r in ran], TIME_UNITS))
    references = {o.gap_reference for o in outcomes if o.result is not None}
    gap_column = "vs_approx_optimal" if references - {"optimal"} else "vs_optimal"
    if len(references) == 1 and references.pop().startswith("optimal over "):  # N units
        gap_column = "vs_" + next(o.gap_reference for o in outcomes).replace(" ", "_")
    columns[gap_column] = [_gap(outcome) for outcome in outcomes]
    for name, kind in COUNTS:
        columns[name] = ["-" if r is None else r.backward.ops[kind] for r in ran]
        if name == "recompute_fwd" and scenario.chip.memory_bytes is not None:
            columns["recompute_in_bwd"] = ["-" if r is None else _unrecorded_bwds(r) for r in ran]
    if scenario.chip.has_energy:
        columns.update(_timed("energy", [r and r.energy_nj for r in ran], ENERGY_UNITS))
    columns.update(_spread_columns(ran, scenario))
    return columns


def _unrecorded_bwds(result: RunResult) -> int:
    """The ``bwd`` ops that recompute their stage's forward first (not recorded): on one
    memory, recomputation that ``recompute_fwd`` (the backward's ``fwd`` ops) misses."""
    return int((result.plan.price_codes == KIND_CODE["bwd"]).sum())


def _step_ns(result: RunResult) -> int | float:
    """The whole training step: forward and backward."""
    return result.forward.latency_ns + result.backward.latency_ns


def _fit(outcome: Outcome) -> str:
    if outcome.result is not None:
        return "yes"
    return "failed" if isinstance(outcome.refusal, DiskReadError) else "no"


def _budget_column(outcomes: Sequence[Outcome], scenario: Scenario) -> Columns:
    """Room needed: slots of the chip's slots, bytes of its buffer bytes, or on a chip with
    one memory, the plan's peak in it (``memory_bytes``)."""
    chip = scenario.chip
    if chip.buffer_slots is not None:
        needed = [_needed(outcome, scenario) for outcome in outcomes]
        return {f"slots (of {chip.buffer_slots})": ["-" if n is None else n for n in needed]}
    needed = [_needed(outcome, scenario) for outcome in outcomes]
    if chip.memory_bytes is not None:  # in the budget's unit: "memory KiB (of 256)"
        unit, scale = unit_for(chip.memory_bytes, BYTE_UNITS)
        name, budget = f"memory {unit}", chip.memory_bytes
    else:
        budget = chip.buffer_bytes
        unit, scale = column_unit([*needed, budget], BYTE_UNITS)
        name = "bytes" if unit == "B" else unit
    return {f"{name} (of {number_text(budget / scale)})": column_cells(needed, scale)}


def _needed(outcome: Outcome, scenario: Scenario) -> int | None:
    """What a run needed of the chip's room, or what its refusal says it needs."""
    chip, chain, result, refusal = scenario.chip, scenario.chain, outcome.result, outcome.refusal
    if result is not None:
        if result.memory_at_peak is not None:
            return result.memory_at_peak.peak_bytes
        plan = result.plan
        return plan.buffer_slots_needed if chip.buffer_slots else plan.buffer_bytes_needed(chain)
    if isinstance(refusal, DiskReadError) or refusal is None:
        return None
    if chip.memory_bytes is not None:
        return refusal.bytes_needed if refusal.field == "memory_bytes" else None
    return refusal.buffer_slots_needed if chip.buffer_slots else refusal.buffer_bytes_needed


def _timed(name: str, values: list[float | None], units: Sequence[tuple[str, float]]) -> Columns:
    """``name_<unit>``: the values in the one unit their largest reads in."""
    unit, scale = column_unit(values, units)
    return {f"{name}_{unit}": column_cells(values, scale)}


def _gap(outcome: Outcome) -> str:
    gap = outcome.gap_to_optimal_pct
    if outcome.result is None or gap is None:
        return "-"
    return f"{round(gap, 1) + 0.0:+.1f}%"  # + 0.0: no "-0.0%"


def _spread_columns(ran: list[RunResult | None], scenario: Scenario) -> Columns:
    """With replications: the backward latency's p50 and p99 (and the energy's)."""
    spreads = [None if r is None else r.replications for r in ran]
    if all(spread is None for spread in spreads):
        return {}
    columns: Columns = {}
    for statistic in ("p50", "p99"):
        values = [s and s.summary()[statistic] for s in spreads]
        columns.update(_timed(f"backward_{statistic}", values, TIME_UNITS))
    if scenario.chip.has_energy:
        for statistic in ("p50", "p99"):
            values = [_energy_statistic(s, statistic) for s in spreads]
            columns.update(_timed(f"energy_{statistic}", values, ENERGY_UNITS))
    return columns


def _energy_statistic(spread: object, statistic: str) -> float | None:
    energy = getattr(spread, "energy_nj", None)
    return None if energy is None else spread.summary(energy)[statistic]  # type: ignore[attr-defined]


def rows_of(columns: Columns, labels: Sequence[str]) -> list[tuple[str, list[object]]]:
    """The columns as (label, cells) rows, one per label (for ``text_table``)."""
    return [(label, [cells[i] for cells in columns.values()]) for i, label in enumerate(labels)]
