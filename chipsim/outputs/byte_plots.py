"""Figures of real networks, where the buffer is counted in bytes.

- ``buffer_bytes_chart``: the buffer's bytes over a run's time, with the budget
  line (from the trace's ``buffer_bytes_used``).
- ``budget_chart``: backward latency against the byte budget, one curve per
  strategy on one network (the curve rotor and Checkmate plot): each strategy
  is planned at each budget and priced by the cost model (serial latency is
  the plan's sum of expected op costs, which the engine is tested to match);
  budgets where its plan does not fit, or it cannot plan, are left out.

The numbers behind each chart (``buffer_bytes_steps``, ``budget_curve``) are
plain DataFrames, so they can be checked and reused without drawing.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..errors import ChipsimError
from ..model.costs import Costs
from ..model.stages import Chain
from ..planners import make_plan
from ..study.scenario import Scenario
from .axis_units import human, log_if_wide, unit_axis
from .plots import PALETTE, buffer_chart, figure_with_axes

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def buffer_bytes_steps(frame: pd.DataFrame) -> pd.DataFrame:
    """The buffer's bytes as a step function: ``time_ns``, ``bytes`` from that time on.

    Starts at (0, 0); one row per change, at the end of the op that made it.
    """
    steps = pd.DataFrame({"time_ns": frame["end_ns"], "bytes": frame["buffer_bytes_used"]})
    start = pd.DataFrame({"time_ns": [0], "bytes": [0]}).astype(steps.dtypes.to_dict())
    steps = pd.concat([start, steps], ignore_index=True)
    return steps[steps["bytes"].ne(steps["bytes"].shift())].reset_index(drop=True)


def buffer_bytes_chart(frame: pd.DataFrame, *, budget_bytes: int, title: str = "") -> Figure:
    """Buffer bytes in use over simulated time, against the chip's byte budget."""
    return buffer_chart(frame, budget_bytes=budget_bytes, title=title or "buffer bytes in use")


def default_budgets(chain: Chain, points: int = 40) -> list[int]:
    """Byte budgets from half the largest inner activation to 10% above storing all of them."""
    inner = chain.activation_bytes[1:-1]
    if not inner.size:
        return [0]
    low, high = max(int(inner.max()) // 2, 1), int(1.1 * int(inner.sum())) + 1
    return sorted({int(b) for b in np.geomspace(low, high, points)})


def budget_curve(
    scenario: Scenario, strategies: Sequence[str], budgets: Sequence[int]
) -> pd.DataFrame:
    """Backward ns of each strategy's plan at each byte budget (NaN where it does not fit).

    Columns: ``budget_bytes``, then one per strategy; planned with the chip's
    expected costs on the scenario's network.
    """
    chain = scenario.chain
    columns: dict[str, list[float]] = {"budget_bytes": [float(b) for b in budgets]}
    for spec in strategies:
        columns[spec] = [_backward_ns(spec, chain, scenario, budget) for budget in budgets]
    frame = pd.DataFrame(columns)
    return frame.astype({"budget_bytes": "int64"})


def _backward_ns(spec: str, chain: Chain, scenario: Scenario, budget: int) -> float:
    chip = scenario.chip.replace({"buffer_bytes": int(budget)})
    try:
        plan = make_plan(spec, chain, chip)
        plan.check_fits(chip, chain)
    except ChipsimError:  # does not fit, or cannot plan this network
        return float("nan")
    return float(plan.latency_ns(Costs(chip, chain), "backward"))


def budget_chart(
    scenario: Scenario, strategies: Sequence[str], budgets: Sequence[int] | None = None
) -> Figure:
    """Backward latency against the byte budget, one curve per strategy (a marker shape
    each, so curves that coincide stay visible); the chip's own budget marked."""
    chain = scenario.chain
    curve = budget_curve(scenario, strategies, budgets or default_budgets(chain))
    figure, axes = figure_with_axes(figsize=(8, 4.5))
    for index, spec in enumerate(strategies):
        fits = curve[spec].notna().any()
        axes.plot(curve["budget_bytes"], curve[spec], marker=MARKERS[index % len(MARKERS)],
                  markersize=4, color=PALETTE[index % len(PALETTE)],
                  label=spec if fits else f"{spec} (fits no budget shown)")  # fmt: skip
    own = scenario.chip.buffer_bytes
    if own is not None:
        axes.axvline(own, color="grey", linestyle=":",
                     label=f"the chip's budget: {human(own, 'bytes')}")  # fmt: skip
    axes.set_xscale("log")
    log_if_wide(axes, "y", curve[list(strategies)].to_numpy().ravel())
    unit_axis(axes, "x", "bytes", "buffer budget")
    unit_axis(axes, "y", "time", "backward latency")
    axes.grid(alpha=0.3, which="both")
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0),
                title="strategy\n(a curve starts at the\nbudget it first fits)",
                title_fontsize=8)  # fmt: skip
    axes.set_title(f"{scenario.name}: backward latency against the buffer budget\n"
                   f"{_wrapped(chain.name)}, planned", fontsize=10)  # fmt: skip
    return figure


def _wrapped(name: str, width: int = 70) -> str:
    """A long network spec broken at its commas, so a title fits its figure."""
    return "\n".join(textwrap.wrap(name.replace(",", ", "), width)).replace(", ", ",")
