"""Text for people: the tables and one-line summaries the commands print."""

from __future__ import annotations

from ..formatting import ns_text
from ..model.ops import OP_KINDS
from ..sim.plan import PHASES
from ..study.analysis import BreakEven, Outcome
from ..study.run import RunResult
from ..study.scenario import Scenario


def format_ns(value: int | float) -> str:
    """A latency for people (``chipsim.formatting.ns_text``), with its unit."""
    return f"{ns_text(value)} ns"


def phase_table(result: RunResult) -> str:
    """Latency and op counts per phase, one row each."""
    import pandas as pd  # the text table only: `run --json` starts without pandas

    rows = {
        name: {"latency_ns": _cell(result.phase(name).latency_ns), **result.phase(name).ops}
        for name in PHASES
    }
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["latency_ns", *OP_KINDS])
    return strip_lines(frame.rename_axis("phase").to_string())


def _cell(value: int | float) -> int | str:
    """Whole ns as a number (the column aligns), a float as ``ns_text`` gives it."""
    return value if isinstance(value, int) else ns_text(value)


def comparison_table(outcomes: list[Outcome], scenario: Scenario) -> str:
    """The strategies side by side (``chipsim.outputs.tables.summary``)."""
    from ..outputs.tables import summary  # pandas: only for the text table

    return strip_lines(summary(outcomes, scenario).to_string())


def strip_lines(text: str) -> str:
    """pandas pads the index-name line with spaces; drop trailing blanks."""
    return "\n".join(line.rstrip() for line in text.splitlines())


def describe_breakeven(point: BreakEven) -> str:
    """The tie in one sentence; a fractional value also as an exact fraction, where
    that is short enough to read (a bandwidth in binary floats makes long ones)."""
    value = point.value
    shown = f"{float(value):g}"
    if value.denominator == 1:
        shown = f"{value}"
    elif value.denominator < 10**6:
        shown += f" ({value})"
    return (
        f"{point.strategy} ties {point.against} at {point.param} = {shown} ns: "
        f"{point.phase} latency {format_ns(point.latency_ns)} each (confirmed by simulation)"
    )
