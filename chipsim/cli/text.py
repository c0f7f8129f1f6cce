"""Text for people: the tables and one-line summaries the commands print."""

from __future__ import annotations

from typing import Any

from ..analysis import BreakEven, Outcome
from ..errors import DiskReadError
from ..ops import OP_KINDS
from ..plan import PHASES
from ..run import RunResult
from ..scenario import Scenario


def format_ns(value: int | float) -> str:
    """A latency for people: whole ns exactly, others to six significant figures."""
    return f"{value} ns" if isinstance(value, int) else f"{value:.6g} ns"


def phase_table(result: RunResult) -> str:
    import pandas as pd  # the text table only: `run --json` starts without pandas

    rows = {
        name: {"latency_ns": result.phase(name).latency_ns, **result.phase(name).ops}
        for name in PHASES
    }
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["latency_ns", *OP_KINDS])
    return strip_lines(frame.rename_axis("phase").to_string())


def comparison_table(outcomes: list[Outcome], scenario: Scenario) -> str:
    from ..tables import summary  # pandas: only for the text table

    return strip_lines(summary(outcomes, scenario).to_string())


def strip_lines(text: str) -> str:
    """pandas pads the index-name line with spaces; drop trailing blanks."""
    return "\n".join(line.rstrip() for line in text.splitlines())


def outcome_dict(outcome: Outcome) -> dict[str, Any]:
    if outcome.result is not None:
        return {
            "fits": True,
            **outcome.result.to_dict(),
            "gap_to_optimal_pct": outcome.gap_to_optimal_pct,
        }
    refusal = outcome.refusal
    if isinstance(refusal, DiskReadError):  # it fit and ran, until a read failed
        return {"strategy": outcome.strategy, "fits": True, "failed": True, "reason": str(refusal)}
    assert refusal is not None
    return {
        "strategy": outcome.strategy,
        "fits": False,
        "buffer_slots_needed": refusal.buffer_slots_needed,
        **({"buffer_bytes_needed": needed} if (needed := refusal.buffer_bytes_needed) else {}),
        "reason": str(refusal),
    }


def describe_breakeven(point: BreakEven) -> str:
    value = point.value
    shown = f"{value}" if value.denominator == 1 else f"{float(value):g} ({value})"
    return (
        f"{point.strategy} ties {point.against} at {point.param} = {shown} ns: "
        f"{point.phase} latency {point.latency_ns} ns each (confirmed by simulation)"
    )
