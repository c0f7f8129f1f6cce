"""The one memory over a run's simulated time, stacked by role, against ``memory_bytes``.

Each op holds its roles' bytes (``chipsim.sim.plan_memory.use_of``: checkpoints,
the op in flight's activations, gradients and workspace, what stays resident,
and any role the model adds) from its start in the trace until the next op
starts (in overlapped mode, the next to start); the last holds until it ends.
A retried disk read holds its bytes on every attempt. Only the roles that hold
a byte somewhere in the run are stacked: those that never change (weights,
optimizer state) at the bottom, then the others by their mean bytes, so the
top edge shows what the plan varies. Time and bytes are in human units (µs,
ms or s; KiB, MiB or GiB); the y axis turns logarithmic where the budget is
more than ``LOG_RATIO`` times the peak, where a linear axis would flatten the
stack.

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
from .plots import PALETTE, save

#: (divisor, name): the largest unit at most the value, for times in ns and sizes in bytes.
TIME_UNITS: tuple[tuple[float, str], ...] = ((1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1, "ns"))
BYTE_UNITS: tuple[tuple[float, str], ...] = (
    (2**40, "TiB"),
    (2**30, "GiB"),
    (2**20, "MiB"),
    (2**10, "KiB"),
    (1, "B"),
)
#: A budget this many times the peak draws the bytes on a log axis.
LOG_RATIO = 20


def unit_for(value: float, units: tuple[tuple[float, str], ...]) -> tuple[float, str]:
    """The largest unit in which ``value`` is at least 1 (the smallest for 0)."""
    return next(((size, name) for size, name in units if value >= size), units[-1])


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
    times = np.append(steps["start_ns"].to_numpy(float), float(steps["end_ns"].max()))
    peak = int(steps.iloc[:, 2:].sum(axis=1).max())
    time_size, time_unit = unit_for(times[-1], TIME_UNITS)
    byte_size, byte_unit = unit_for(float(max(peak, budget or 0)), BYTE_UNITS)
    figure = Figure(figsize=(9, 4.2), layout="constrained")
    axes = figure.subplots()
    scaled = (times / time_size, byte_size)
    top = _draw_stack(axes, steps, *scaled)
    if budget is not None:
        _draw_budget(axes, budget, byte_size, byte_unit)
    if peak:
        _mark_peak(axes, *scaled, top)
    _mark_backward(axes, result, time_size)
    _scale(axes, peak, budget, byte_size, top)
    axes.set_xlim(0, times[-1] / time_size)
    axes.set_xlabel(f"simulated time ({time_unit})")
    axes.set_ylabel(f"memory ({byte_unit})")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, reverse=True)
    axes.set_title(title or "memory by role", fontsize=10)
    return figure


def _draw_stack(axes: Axes, steps: pd.DataFrame, times: np.ndarray, byte_size: float) -> np.ndarray:
    """One band per role present (``_stack_order``); the stack's top in bytes, per time."""
    below = np.zeros(len(times))
    for role in _stack_order(steps):
        column = steps[role].to_numpy(float)
        above = below + np.append(column, column[-1])
        label = role.replace("_", " ")
        axes.fill_between(
            times, below / byte_size, above / byte_size, step="post", color=role_colour(role),
            label=label, linewidth=0,
        )  # fmt: skip
        below = above
    return below


def _draw_budget(axes: Axes, budget: int, byte_size: float, byte_unit: str) -> None:
    """The ``memory_bytes`` line, labelled on the line in the axis unit and in the legend."""
    level = budget / byte_size
    axes.axhline(
        level, color="black", linestyle="--", linewidth=1.2, label=f"memory_bytes = {budget:,} B"
    )
    axes.annotate(
        f"memory_bytes {level:.3g} {byte_unit}", (0, level), xycoords=("axes fraction", "data"),
        xytext=(4, 3), textcoords="offset points", fontsize=8,
    )  # fmt: skip


def _stack_order(steps: pd.DataFrame) -> list[str]:
    """The roles present, bottom first: those constant over the run, then the others by
    their mean bytes, largest first, so the thin, quick ones ride on top."""
    roles = list(steps.columns[2:])
    return sorted(roles, key=lambda role: (steps[role].nunique() > 1, -steps[role].mean()))


def _mark_peak(axes: Axes, times: np.ndarray, byte_size: float, top: np.ndarray) -> None:
    """A marker on the first highest step, labelled with its bytes toward the middle."""
    index = int(np.argmax(top[:-1]))
    middle, level = (times[index] + times[index + 1]) / 2, top[index] / byte_size
    axes.plot([middle], [level], marker="v", color="black", markersize=6)
    right = middle > times[-1] / 2
    axes.annotate(
        f"peak {int(top[index]):,} B", (middle, level), xytext=(-8 if right else 8, 4),
        textcoords="offset points", ha="right" if right else "left", va="bottom", fontsize=8,
    )  # fmt: skip


def _mark_backward(axes: Axes, result: RunResult, time_size: float) -> None:
    """A dotted line where the backward phase starts (the end of the forward phase)."""
    start = result.trace.latency_ns("forward")
    if result.trace.latency_ns("backward"):
        axes.axvline(start / time_size, color="grey", linestyle=":", label="backward starts")


def _scale(axes: Axes, peak: int, budget: int | None, byte_size: float, top: np.ndarray) -> None:
    """Linear from 0 with room above the budget, or logarithmic where the budget is over
    ``LOG_RATIO`` times the peak."""
    highest = max(peak, budget or 0, 1)
    if budget is not None and peak and budget > LOG_RATIO * peak:
        axes.set_yscale("log")
        lowest = float(top[top > 0].min()) if (top > 0).any() else 1.0
        axes.set_ylim(lowest / 2 / byte_size, 2 * highest / byte_size)
        return
    axes.set_ylim(0, 1.08 * highest / byte_size)


#: The report's file and caption for this figure.
REPORT_FIGURE = ("memory.png", "Memory over the traced run, stacked by role, against memory_bytes")


def report_figures(result: RunResult, folder: Path, title: str) -> tuple[tuple[str, str], ...]:
    """Draw the figure into ``folder`` for ``chipsim report`` where the run's chip has one
    memory (``memory_bytes``); nothing otherwise."""
    if result.chip.memory_bytes is None:
        return ()
    save(memory_chart(result, title=title), folder / REPORT_FIGURE[0])
    return (REPORT_FIGURE,)
