"""The course MLP's figures: latency against a chip field (break-even) and against L.

Both are computed from plans (serial latency is exactly the plan's sum of op
latencies, which the engine is tested to match), so they cost no math.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

from ..errors import ChipsimError
from ..planners import make_plan
from ..study.breakeven import breakeven
from ..study.scenario import Scenario
from .axis_units import human, log_if_wide, unit_axis
from .occupancy import draw_limit
from .plots import PALETTE, Figure, figure_with_axes


def breakeven_chart(
    scenario: Scenario,
    strategies: Sequence[str],
    *,
    param: str = "loaddisk_ns",
    against: str = "disk-offload",
    points: int = 81,
) -> Figure:
    """Backward latency against ``param`` for each strategy, with ``against``'s crossings marked."""
    crossings = _crossings(scenario, strategies, param, against)
    known = [float(p.value) for p in crossings.values()]
    reach = max([*known, getattr(scenario.planning_chip, param)])
    values = np.linspace(0, 2 * reach, points)
    figure, axes = figure_with_axes(figsize=(8, 4.5))
    colours, highest = {}, 0.0
    for index, spec in enumerate(strategies):
        latencies = _latencies_against(scenario, spec, param, values)
        if np.all(np.isnan(latencies)):
            continue
        colours[spec] = PALETTE[index % len(PALETTE)]
        axes.plot(values, latencies, label=spec, color=colours[spec],
                  linewidth=2.5 if spec == against else 1.5)  # fmt: skip
        if spec != against:
            highest = max(highest, float(np.nanmax(latencies)))
    for spec, point in crossings.items():
        x, y = float(point.value), float(point.latency_ns)
        colour = colours.get(spec, "black")
        axes.plot([x], [y], "o", color=colour, markeredgecolor="black", markersize=8, zorder=5)
        label = human(x, "time") if param.endswith("_ns") else f"{x:g}"
        axes.annotate(label, (x, y), textcoords="offset points", xytext=(-10, 8), ha="right",
                      fontsize=9, color=colour)  # fmt: skip
    axes.set_xlim(0, values[-1])
    axes.set_ylim(0, 1.6 * highest if highest else None)
    _label_param_axis(axes, param)
    unit_axis(axes, "y", "time", "backward latency")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="lower right")
    axes.set_title(
        f"backward latency against {param} (L={scenario.layers}{_serial_note(scenario)});\n"
        f"dots: where {against} ties each strategy"
    )
    return figure


def _crossings(scenario: Scenario, strategies: Sequence[str], param: str, against: str) -> dict:
    crossings = {}
    for spec in strategies:
        if spec == against:
            continue
        try:
            crossings[spec] = breakeven(scenario, param, against, spec, math=False)
        except ChipsimError:
            continue  # no crossing (or the strategy does not fit): nothing to mark
    return crossings


def _latencies_against(
    scenario: Scenario, spec: str, param: str, values: np.ndarray
) -> list[float]:
    latencies = []
    for value in values:
        chip = scenario.with_overrides(chip={param: float(value)}).planning_chip
        plan = make_plan(spec, scenario.layers, chip)
        fits = plan.buffer_slots_needed <= chip.buffer_slots
        latencies.append(plan.latency_ns(chip, "backward") if fits else np.nan)
    return latencies


def _label_param_axis(axes: Any, param: str) -> None:
    """A chip field's axis: in time units for ``*_ns`` fields, plain otherwise."""
    if param.endswith("_ns"):
        unit_axis(axes, "x", "time", param.removesuffix("_ns") + " latency")
    else:
        axes.set_xlabel(param)


def scaling_chart(scenario: Scenario, strategies: Sequence[str], layers: Sequence[int]) -> Figure:
    """Backward latency and buffer slots needed against L, both on log axes; dotted
    where a strategy does not fit, x where it first stops fitting."""
    figure, (latency_axes, slot_axes) = figure_with_axes(2, figsize=(12, 4.5))
    slots, chip = scenario.chip.buffer_slots, scenario.planning_chip
    handles, all_latencies = [], []
    for index, spec in enumerate(strategies):
        colour = PALETTE[index % len(PALETTE)]
        plans = [make_plan(spec, count, chip) for count in layers]
        latency = [plan.latency_ns(chip, "backward") for plan in plans]
        needed = np.array([plan.buffer_slots_needed for plan in plans])
        all_latencies += latency
        fits = needed <= slots
        latency_axes.plot(layers, np.where(fits, latency, np.nan), color=colour, marker=".")
        latency_axes.plot(layers, latency, color=colour, linestyle=":", alpha=0.6)
        slot_axes.plot(layers, np.where(needed > 0, needed, np.nan), color=colour, marker=".")
        _mark_first_misfit(slot_axes, layers, needed, fits, colour)
        zero = " (0 slots at every L: below a log axis)" if not needed.any() else ""
        handles.append(Line2D([], [], color=colour, marker=".", label=spec + zero))
    draw_limit(slot_axes, slots, f"the chip has {slots} slots")
    for axes in (latency_axes, slot_axes):
        _layers_axis(axes)
    log_if_wide(latency_axes, "y", all_latencies)
    unit_axis(latency_axes, "y", "time", "backward latency")
    latency_axes.set_title(f"backward latency{_serial_note(scenario)}\n(solid: fits; dotted: not)")
    slot_axes.set_yscale("log")
    slot_axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    slot_axes.yaxis.set_minor_formatter(NullFormatter())
    slot_axes.set_ylabel("buffer slots needed")
    slot_axes.set_title(f"memory\n(x: first L that no longer fits {slots} slots)")
    figure.legend(handles=handles, loc="outside right upper", fontsize=8, title="strategy")
    return figure


def _mark_first_misfit(
    axes: Any, layers: Sequence[int], needed: np.ndarray, fits: np.ndarray, colour: Any
) -> None:
    misfits = np.flatnonzero(~fits)
    if misfits.size and fits.any():
        first = int(misfits[0])
        axes.plot([layers[first]], [needed[first]], "x", color=colour, markersize=9, mew=2)


def _layers_axis(axes: Any) -> None:
    axes.set_xscale("log", base=2)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axes.set_xlabel("layers L")
    axes.grid(alpha=0.3, which="both")


def _serial_note(scenario: Scenario) -> str:
    """What a chart of planned latencies shows, where runs on this chip would differ."""
    chip = scenario.chip
    if chip.mode == "serial" and not chip.is_random:
        return ""
    return ", serial" + (", expected latencies" if chip.is_random else "")
