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
The peak is marked with its bytes in the memory axis's unit, even where it lasts
no time. Drawn with the shared pieces of ``occupancy`` (stack, budget line,
backward phase) and ``axis_units`` (ns…s, B…GiB; a log axis where the budget is
over ``axis_units.WIDE_SPAN`` times the peak).

Read at a glance: a budget over ``CAP_RATIO`` times the peak (GPT-2 on an 80 GB
accelerator: 2.5 GiB of 74.5) would flatten the stack to a sliver, so the axis
ends near the peak and the budget is said in text; a phase under ``SPLIT_SHARE``
of the run (a 0.09 ms backward after a 36 ms forward) gets a panel of its own,
its time counted from its start, one memory axis for both.

``memory_steps`` gives the numbers behind the chart as a DataFrame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..model.training_memory import ROLES
from ..sim.plan import PHASES
from ..sim.plan_memory import role_words, use_of
from ..study.results import RunResult
from .axis_units import UNITS, human, log_if_wide, unit_axis
from .occupancy import draw_limit, draw_stacked_levels, mark_backward
from .plots import PALETTE, save


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
    """Memory over simulated time, stacked by role, with the ``memory_bytes`` line; a phase
    under ``SPLIT_SHARE`` of the run gets its own panel (its own time axis)."""
    budget = result.chip.memory_bytes
    steps, phases = _sorted_steps(result)
    panels = _panels(steps, phases)
    levels = steps.groupby("start_ns").last()  # of ops starting at one instant, the last
    roles = _stack_order(levels)
    figure = Figure(figsize=(11 if len(panels) > 1 else 9, 4.2), layout="constrained")
    axes_row = figure.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    peak_row = _peak_row(steps, roles)
    peak = 0 if peak_row is None else int(steps.loc[peak_row, roles].sum())
    capped = _scale(axes_row[0], peak, budget, _floor(levels, roles))
    label = _peak_text(peak, unit_axis(axes_row[0], "y", "bytes", "memory"))
    for index, (axes, (name, rows)) in enumerate(zip(axes_row, panels, strict=True)):
        origin = float(rows["start_ns"].min()) if name else 0.0
        drawn = _draw_panel(axes, rows, roles, origin)
        if budget is not None and not capped:
            _budget_line(axes, budget, labelled=not index)
        if peak_row is not None and peak_row in rows.index:
            _mark_peak(axes, steps.loc[peak_row], origin, drawn, label)
        if name:
            _panel_axis(axes, name, rows, origin, first=not index)
    if capped and budget is not None:
        _note_budget(axes_row[0], budget, peak)
    _finish(figure, axes_row, result, title or "memory by role")
    return figure


def _sorted_steps(result: RunResult) -> tuple[pd.DataFrame, np.ndarray]:
    """``memory_steps`` by start time (ties in trace order), and each row's phase code."""
    steps = memory_steps(result)
    order = np.argsort(steps["start_ns"].to_numpy(), kind="stable")
    return steps.iloc[order].reset_index(drop=True), np.asarray(result.trace.phase)[order]


def _budget_line(axes: Axes, budget: int, *, labelled: bool) -> None:
    """The ``memory_bytes`` line, its label on the first panel only."""
    if labelled:
        draw_limit(axes, budget, f"memory_bytes {human(budget, 'bytes')}")
    else:
        axes.axhline(budget, color="tab:red", linestyle="--", linewidth=1.2)


def _finish(figure: Figure, axes_row: np.ndarray, result: RunResult, title: str) -> None:
    """One panel: the backward's start and the time axis; every figure: the legend (top
    band first) right of the last panel, and the title (over the panels, where two)."""
    if len(axes_row) == 1:
        mark_backward(axes_row[0], result.frame)
        unit_axis(axes_row[0], "x", "time", "simulated time")
    handles, labels = axes_row[-1].get_legend_handles_labels()
    axes_row[-1].legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.0, 1.0),
                        fontsize=8)  # fmt: skip
    (figure.suptitle if len(axes_row) > 1 else axes_row[0].set_title)(title, fontsize=10)


#: A phase shorter than this share of the run is drawn in a panel of its own.
SPLIT_SHARE = 0.1
#: A budget more than this many times the peak is left off a linear axis, noted in text.
CAP_RATIO = 3.0


def _panels(steps: pd.DataFrame, phases: np.ndarray) -> list[tuple[str, pd.DataFrame]]:
    """("", every row), or, where one phase is under ``SPLIT_SHARE`` of the run's time
    (a backward of 0.09 ms after a 36 ms forward), one (phase, rows) per phase."""
    spans = []
    for code, name in enumerate(PHASES):
        rows = steps[phases == code]
        if not len(rows):
            return [("", steps)]
        spans.append((name, rows, float(rows["end_ns"].max() - rows["start_ns"].min())))
    whole = sum(span for _, _, span in spans)
    if not whole or min(span for _, _, span in spans) >= SPLIT_SHARE * whole:
        return [("", steps)]
    return [(name, rows) for name, rows, _ in spans]


def _draw_panel(axes: Axes, rows: pd.DataFrame, roles: list[str], origin: float) -> pd.Series:
    """The stacked roles of ``rows`` from ``origin``; returns the stack's top by time."""
    end_ns = float(rows["end_ns"].max()) - origin
    levels = rows.groupby("start_ns").last()  # of ops starting at one instant, the last
    axes.set_prop_cycle(color=[role_colour(role) for role in roles])
    stacked = {role_words(role): levels[role].tolist() for role in roles}
    draw_stacked_levels(axes, (levels.index - origin).tolist(), stacked, end_ns)
    axes.set_xlim(0, max(end_ns, 1.0))
    top = levels[roles].sum(axis=1)
    return pd.Series(top.to_numpy(), index=levels.index - origin)


def _panel_axis(axes: Axes, name: str, rows: pd.DataFrame, origin: float, *, first: bool) -> None:
    """A phase's panel: titled with its span, time counted from its start; the memory
    axis's ticks on the first panel only (the panels share it)."""
    span = float(rows["end_ns"].max()) - origin
    axes.set_title(f"{name} phase ({human(span, 'time')})", fontsize=9)
    unit_axis(axes, "x", "time", f"time from the {name} phase's start")
    if not first:
        axes.tick_params(axis="y", labelleft=False)


def _peak_text(peak: int, unit: str) -> str:
    """The peak in the y axis's unit (its own where the axis is log, whose ticks say theirs)."""
    if not unit:
        return f"peak {human(peak, 'bytes')}"
    size = dict(UNITS["bytes"])[unit]
    return f"peak {peak / size:.4g} {unit}"


def _note_budget(axes: Axes, budget: int, peak: int) -> None:
    """The budget, off a linear axis capped near the peak, said in text at the top."""
    share = f"{100 * peak / budget:.3g} %"
    text = f"memory_bytes {human(budget, 'bytes')}: above this axis (the peak is {share} of it)"
    axes.annotate(text, (0.01, 0.98), xycoords="axes fraction", va="top", fontsize=8,
                  color="tab:red", bbox=_BACKING)  # fmt: skip


#: Behind a label drawn over lines (the budget's, the backward's): it stays legible.
_BACKING = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


def _stack_order(levels: pd.DataFrame) -> list[str]:
    """The roles present, bottom first: those constant over the run, then the others by
    their mean bytes, largest first, so the thin, quick ones ride on top."""
    roles = [role for role in levels.columns if role != "end_ns"]
    return sorted(roles, key=lambda role: (levels[role].nunique() > 1, -levels[role].mean()))


def _peak_row(steps: pd.DataFrame, roles: list[str]) -> int | None:
    """The first row holding the most bytes (None where no row holds any)."""
    totals = steps[roles].sum(axis=1)
    return None if not len(totals) or not totals.max() else int(totals.idxmax())


def _mark_peak(axes: Axes, row: pd.Series, origin: float, drawn: pd.Series, text: str) -> None:
    """A marker at the peak's op, labelled toward the middle; one that lasts no time is
    joined by a dotted line to the level drawn then (``drawn``, the stack's top by time)."""
    roles = [name for name in row.index if name not in ("start_ns", "end_ns")]
    peak = float(row[roles].sum())
    start, end = row["start_ns"] - origin, row["end_ns"] - origin
    middle, right = (start + end) / 2, (start + end) / 2 > axes.get_xlim()[1] / 2
    if end == start:
        level = float(drawn[drawn.index <= middle].iloc[-1])
        axes.vlines(middle, level, peak, colors="black", linestyles=":", linewidth=1)
        text += " (for 0 ns)"
    axes.plot([middle], [peak], marker="v", color="black", markersize=6, linestyle="none")
    axes.annotate(
        text, (middle, peak), xytext=(-8 if right else 8, 4), textcoords="offset points",
        ha="right" if right else "left", va="bottom", fontsize=8, bbox=_BACKING,
    )  # fmt: skip


def _floor(levels: pd.DataFrame, roles: list[str]) -> float:
    """The least positive level of the bottom band: where a log axis starts."""
    if not roles:
        return 1.0
    bottom = levels[roles[0]]
    return float(bottom[bottom > 0].min()) if (bottom > 0).any() else 1.0


def _scale(axes: Axes, peak: int, budget: int | None, floor_bytes: float) -> bool:
    """Linear from 0 with room above the peak and the budget; logarithmic where the
    budget is over ``WIDE_SPAN`` times the peak (a linear axis would flatten the stack);
    linear up to the peak alone where the budget is over ``CAP_RATIO`` times it, which
    returns True (the budget is then said in text, not drawn)."""
    highest = max(peak, budget or 0, 1)
    if peak and budget is not None and log_if_wide(axes, "y", [peak, budget]):
        axes.set_ylim(floor_bytes / 2, 2 * highest)
        return False
    if peak and budget is not None and budget > CAP_RATIO * peak:
        axes.set_ylim(0, 1.25 * peak)
        return True
    axes.set_ylim(0, 1.15 * highest)
    return False


#: The report's file and caption for this figure.
REPORT_FIGURE = ("memory.png", "Memory over the traced run, stacked by role, against memory_bytes")


def report_figures(result: RunResult, folder: Path, title: str) -> tuple[tuple[str, str], ...]:
    """Draw the figure into ``folder`` for ``chipsim report`` where the run's chip has one
    memory (``memory_bytes``); nothing otherwise."""
    if result.chip.memory_bytes is None:
        return ()
    save(memory_chart(result, title=title), folder / REPORT_FIGURE[0])
    return (REPORT_FIGURE,)
