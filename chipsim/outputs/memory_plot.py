"""The one memory over a run's simulated time, stacked by role, against ``memory_bytes``.

Each op holds its roles' bytes (``chipsim.sim.plan_memory.use_of``: checkpoints,
recorded tensors, the op in flight's activations, gradients and workspace,
what stays resident, and any role the model adds) from its start in the trace
until the next op starts (in overlapped mode, the next to start); the last
holds until it ends, and of ops that start at one instant the last is drawn. A
retried disk read holds its bytes on every attempt. Only the roles that hold a
byte somewhere in the run are stacked: those that never change (weights,
optimizer state) at the bottom, then the others by their mean bytes, so the
top edge shows what the plan varies; each role has one colour in every figure.
The peak is marked with its bytes, even where it lasts no time. Drawn with the
shared pieces of ``occupancy`` (stack, budget line, backward phase) and
``axis_units`` (ns…s, B…GiB; a log axis where the budget is over
``axis_units.WIDE_SPAN`` times the peak).

``memory_steps`` gives the numbers behind the chart as a DataFrame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..model.training_memory import ROLES
from ..sim.plan_memory import use_of
from ..study.results import RunResult
from .axis_units import human, log_if_wide, unit_axis
from .occupancy import draw_limit, draw_stacked_levels, mark_backward
from .plots import PALETTE, figure_with_axes, save


def role_colour(role: str) -> tuple[float, ...]:
    """One colour per role in every figure: the model's own roles by their place in
    ``ROLES``, any other after them."""
    known = list(ROLES)
    index = known.index(role) if role in known else len(known) + sum(map(ord, role))
    return PALETTE[index % len(PALETTE)]


def memory_steps(result: RunResult) -> pd.DataFrame:
    """Per trace row: ``start_ns``, ``end_ns``, then the bytes of each role present
    (a role that holds no byte during the run is left out), in ``use_of``'s order."""
    use = use_of(result.plan, result.chip, result.chain)
    trace = result.trace
    op_index = np.cumsum(np.asarray(trace.attempt) == 1) - 1  # a retry repeats its op
    columns = {"start_ns": trace.start_ns, "end_ns": trace.end_ns}
    for role, column in use.by_role.items():
        if column.any():
            columns[role] = column[op_index]
    return pd.DataFrame(columns)


def memory_chart(result: RunResult, *, title: str = "") -> Figure:
    """Memory over simulated time, stacked by role, with the ``memory_bytes`` line."""
    budget = result.chip.memory_bytes
    steps = memory_steps(result).sort_values("start_ns", kind="stable")
    end_ns = float(steps["end_ns"].max()) if len(steps) else 0.0
    figure, axes = figure_with_axes(figsize=(9, 4.2))
    levels = steps.groupby("start_ns").last()  # of ops starting at one instant, the last
    roles = _stack_order(levels)
    axes.set_prop_cycle(color=[role_colour(role) for role in roles])
    stacked = {role.replace("_", " "): levels[role].tolist() for role in roles}
    draw_stacked_levels(axes, levels.index.tolist(), stacked, end_ns)
    peak = _mark_peak(axes, steps, end_ns, levels[roles].sum(axis=1))
    if budget is not None:
        draw_limit(axes, budget, f"memory_bytes {human(budget, 'bytes')}")
    mark_backward(axes, result.frame)
    _scale(axes, peak, budget, _floor(levels, roles))
    axes.set_xlim(0, max(end_ns, 1.0))
    handles, labels = axes.get_legend_handles_labels()
    axes.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.0, 1.0),
                fontsize=8)  # fmt: skip
    axes.set_title(title or "memory by role", fontsize=10)
    unit_axis(axes, "x", "time", "simulated time")
    unit_axis(axes, "y", "bytes", "memory")
    return figure


def _stack_order(levels: pd.DataFrame) -> list[str]:
    """The roles present, bottom first: those constant over the run, then the others by
    their mean bytes, largest first, so the thin, quick ones ride on top."""
    roles = [role for role in levels.columns if role != "end_ns"]
    return sorted(roles, key=lambda role: (levels[role].nunique() > 1, -levels[role].mean()))


def _mark_peak(axes: Axes, steps: pd.DataFrame, end_ns: float, drawn: pd.Series) -> int:
    """A marker at the first op holding the most bytes, labelled toward the middle; one
    that lasts no time is joined by a dotted line to the level drawn then (``drawn``,
    the stack's top by time). Returns the peak's bytes."""
    totals = steps.drop(columns=["start_ns", "end_ns"]).sum(axis=1)
    if not len(totals) or not totals.max():
        return 0
    row = steps.loc[totals.idxmax()]
    peak, middle = int(totals.max()), (row["start_ns"] + row["end_ns"]) / 2
    text = f"peak {peak:,} B"
    if row["end_ns"] == row["start_ns"]:
        level = float(drawn[drawn.index <= middle].iloc[-1])
        axes.vlines(middle, level, peak, colors="black", linestyles=":", linewidth=1)
        text += " (for 0 ns)"
    axes.plot([middle], [peak], marker="v", color="black", markersize=6, linestyle="none")
    right = middle > end_ns / 2
    axes.annotate(
        text, (middle, peak), xytext=(-8 if right else 8, 4), textcoords="offset points",
        ha="right" if right else "left", va="bottom", fontsize=8,
    )  # fmt: skip
    return peak


def _floor(levels: pd.DataFrame, roles: list[str]) -> float:
    """The least positive level of the bottom band: where a log axis starts."""
    if not roles:
        return 1.0
    bottom = levels[roles[0]]
    return float(bottom[bottom > 0].min()) if (bottom > 0).any() else 1.0


def _scale(axes: Axes, peak: int, budget: int | None, floor_bytes: float) -> None:
    """Linear from 0 with room above the peak and the budget; logarithmic where the
    budget is over ``WIDE_SPAN`` times the peak (a linear axis would flatten the stack)."""
    highest = max(peak, budget or 0, 1)
    if peak and budget is not None and log_if_wide(axes, "y", [peak, budget]):
        axes.set_ylim(floor_bytes / 2, 2 * highest)
        return
    axes.set_ylim(0, 1.15 * highest)


#: The report's file and caption for this figure.
REPORT_FIGURE = ("memory.png", "Memory over the traced run, stacked by role, against memory_bytes")


def report_figures(result: RunResult, folder: Path, title: str) -> tuple[tuple[str, str], ...]:
    """Draw the figure into ``folder`` for ``chipsim report`` where the run's chip has one
    memory (``memory_bytes``); nothing otherwise."""
    if result.chip.memory_bytes is None:
        return ()
    save(memory_chart(result, title=title), folder / REPORT_FIGURE[0])
    return (REPORT_FIGURE,)
