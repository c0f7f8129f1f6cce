"""Text for people: the tables and one-line summaries the commands print."""

from __future__ import annotations

from ..formatting import (
    TIME_UNITS,
    column_cells,
    column_unit,
    exact_text,
    text_table,
    time_text,
)
from ..model.ops import OP_KINDS
from ..sim.plan import PHASES
from ..study.analysis import Outcome
from ..study.breakeven import BreakEven
from ..study.run import RunResult
from ..study.scenario import Scenario


def format_ns(value: int | float) -> str:
    """A latency for people, in its own unit (``chipsim.formatting.time_text``)."""
    return time_text(value)


def phase_table(result: RunResult) -> str:
    """Latency and op counts per phase, one row each, and the whole step's (their sum)."""
    phases = [result.phase(name) for name in PHASES]
    latencies = [phase.latency_ns for phase in phases] + [result_step_ns(result)]
    unit, scale = column_unit(latencies, TIME_UNITS)
    counts = [[phase.ops[kind] for kind in OP_KINDS] for phase in phases]
    counts.append([sum(column) for column in zip(*counts, strict=True)])
    rows = [
        (name, [cell, *ops])
        for name, cell, ops in zip(
            (*PHASES, "step"), column_cells(latencies, scale), counts, strict=True
        )
    ]
    return text_table("phase", [f"latency_{unit}", *OP_KINDS], rows)


def result_step_ns(result: RunResult) -> int | float:
    """The whole training step: forward and backward."""
    return result.forward.latency_ns + result.backward.latency_ns


def comparison_table(outcomes: list[Outcome], scenario: Scenario) -> str:
    """The strategies side by side (``chipsim.outputs.tables.summary``)."""
    from ..outputs.summary import rows_of, summary_columns

    columns = summary_columns(outcomes, scenario)
    rows = rows_of(columns, [outcome.strategy for outcome in outcomes])
    return text_table("strategy", list(columns), rows)


def describe_breakeven(point: BreakEven) -> str:
    """The tie in one sentence, in human units; a value that rounded also exactly (as a
    fraction, where that is short enough to read: a bandwidth in binary floats makes
    long ones)."""
    return (
        f"{point.strategy} ties {point.against} at {point.param} = {_tie_value(point)}: "
        f"{point.phase} latency {format_ns(point.latency_ns)} each (confirmed by simulation)"
    )


def _tie_value(point: BreakEven) -> str:
    value = point.value
    if point.unit != "ns":  # a bandwidth: bytes or MACs per ns, as a plain number
        exact = f" [{value}]" if 1 < value.denominator < 10**6 else ""
        return f"{float(value):.4g} {point.unit}{exact}"
    shown = time_text(float(value))
    if value.denominator == 1:
        return exact_text(shown, int(value), "ns")
    if value.denominator < 10**6:
        return f"{shown} [{value} ns]"
    return shown


def strip_lines(text: str) -> str:
    """pandas pads the index-name line with spaces; drop trailing blanks."""
    return "\n".join(line.rstrip() for line in text.splitlines())
