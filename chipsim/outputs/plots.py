"""matplotlib figures, built with the object API (no pyplot, no display, no global state).

Each function returns a ``Figure``, which renders with the Agg canvas.

``save(figure, path)`` writes one atomically. The break-even and scaling
charts are computed from plans (serial latency is exactly the plan's sum of
op latencies, which the engine is tested to match), so they cost no math.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..errors import ChipsimError
from ..files import write_atomically
from ..model.ops import OP_KINDS, PORTS
from ..planners import make_plan
from ..study.analysis import breakeven
from ..study.scenario import Scenario
from .tables import buffer_occupancy

PALETTE = colormaps["tab10"].colors
OP_COLOURS = dict(zip(OP_KINDS, PALETTE, strict=False))
DPI = 120


def save(figure: Figure, path: str | os.PathLike[str]) -> None:
    """Write a figure (format from the extension, e.g. .png or .svg) atomically."""
    suffix = os.fspath(path).rsplit(".", 1)[-1]
    write_atomically(path, lambda tmp: figure.savefig(tmp, dpi=DPI, format=suffix))


def _subplots(columns: int = 1, *, figsize: tuple[float, float]) -> tuple[Figure, Any]:
    figure = Figure(figsize=figsize)
    return figure, figure.subplots(1, columns)


def timeline(frame: pd.DataFrame, *, title: str = "") -> Figure:
    """One lane per resource, one bar per op coloured by kind, the phase boundary marked."""
    figure, axes = _subplots(figsize=(11, 3.2))
    _draw_timeline(axes, frame, title)
    figure.tight_layout()
    return figure


def buffer_chart(frame: pd.DataFrame, *, slots: int | None = None, title: str = "") -> Figure:
    """Buffer occupancy over time, against the chip's slot limit when known."""
    figure, axes = _subplots(figsize=(8, 3.2))
    _draw_buffer(axes, frame, slots, title)
    figure.tight_layout()
    return figure


def trace_chart(frame: pd.DataFrame, *, slots: int | None = None, title: str = "") -> Figure:
    """A saved trace at a glance: the timeline above the buffer occupancy, same time axis."""
    figure = Figure(figsize=(11, 6))
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    _draw_timeline(top, frame, title)
    top.set_xlabel("")
    _draw_buffer(bottom, frame, slots, "buffer occupancy")
    figure.tight_layout()
    return figure


def sweep_chart(frame: pd.DataFrame) -> Figure:
    """Backward latency of a saved sweep against the first parameter that varies.

    One line per strategy (and per value of any other varying parameter);
    runs that do not fit the chip are left out.
    """
    from ..study.sweep import GRID_KEYS

    varying = [key for key in GRID_KEYS if key in frame and frame[key].nunique() > 1]
    fits = frame[frame["fits"].astype(bool)]
    figure, axes = _subplots(figsize=(11, 5))
    if not varying:
        axes.bar(fits["strategy"], fits["backward_latency_ns"], color=PALETTE[0])
        axes.set_ylabel("backward latency (ns)")
        axes.set_title("sweep: backward latency by strategy")
    else:
        x, others = varying[0], varying[1:]
        strategies = list(dict.fromkeys(fits["strategy"]))
        combos = list(dict.fromkeys(map(tuple, fits[others].to_numpy()))) if others else [()]
        styles = ["-", "--", ":", "-."]
        for keys, group in fits.groupby(["strategy", *others], sort=False):
            strategy, values = keys[0], tuple(keys[1:])
            label = ", ".join(
                [strategy, *(f"{k}={v}" for k, v in zip(others, values, strict=True))]
            )
            ordered = group.sort_values(x)
            axes.plot(
                ordered[x], ordered["backward_latency_ns"], label=label, marker="o", markersize=3,
                color=PALETTE[strategies.index(strategy) % len(PALETTE)],
                linestyle=styles[combos.index(values) % len(styles)],
            )  # fmt: skip
        if others:
            axes.text(0.01, 0.99, f"colour: strategy; line style: {', '.join(others)}",
                      transform=axes.transAxes, va="top", fontsize=8)  # fmt: skip
        axes.set_xlabel(x)
        axes.set_ylabel("backward latency (ns)")
        axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        axes.set_title(f"sweep: backward latency against {x} (runs that fit the chip)")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def _draw_timeline(axes: Any, frame: pd.DataFrame, title: str) -> None:
    lanes = {resource: i for i, resource in enumerate(reversed(PORTS))}
    for kind in OP_KINDS:
        rows = frame[frame["op"] == kind]
        if rows.empty:
            continue
        for resource, group in rows.groupby("resource", observed=True):
            lane = lanes[resource]
            durations = group["end_ns"] - group["start_ns"]
            timed = durations > 0
            spans = list(zip(group["start_ns"][timed], durations[timed], strict=True))
            axes.broken_barh(
                spans, (lane - 0.35, 0.7), facecolors=OP_COLOURS[kind],
                edgecolor="white", linewidth=0.3,
            )  # fmt: skip
            instants = group["start_ns"][~timed]  # 0 ns ops: a tick, or they would vanish
            axes.vlines(
                instants, lane - 0.45, lane + 0.45, colors=[OP_COLOURS[kind]], linewidth=1.5
            )
    backward = frame[frame["phase"] == "backward"]
    if not backward.empty:
        boundary = backward["start_ns"].min()
        axes.axvline(boundary, color="black", linestyle="--", linewidth=1)
        axes.text(boundary, len(PORTS) - 0.45, " backward →", va="bottom", fontsize=9)
        axes.text(boundary, len(PORTS) - 0.45, "← forward ", va="bottom", ha="right", fontsize=9)
    axes.set_yticks(list(lanes.values()), list(lanes.keys()))
    axes.set_ylim(-0.6, len(PORTS) + 0.3)
    axes.set_xlim(0, max(frame["end_ns"].max(), 1) if len(frame) else 1)
    axes.set_xlabel("simulated time (ns)")
    used = [kind for kind in OP_KINDS if (frame["op"] == kind).any()]
    axes.legend(
        handles=[Patch(color=OP_COLOURS[kind], label=kind) for kind in used],
        loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, title="op",
    )  # fmt: skip
    axes.set_title((title or "timeline") + " (ticks: ops that take 0 ns)")


def _draw_buffer(axes: Any, frame: pd.DataFrame, slots: int | None, title: str) -> None:
    steps = buffer_occupancy(frame)
    end = frame["end_ns"].max() if len(frame) else 0
    times = [*steps["time_ns"].tolist(), end]
    levels = [*steps["slots"].tolist(), steps["slots"].iat[-1]]
    axes.step(times, levels, where="post", color="tab:blue", label="slots in use")
    if slots is not None:
        axes.axhline(slots, color="tab:red", linestyle="--", label=f"chip limit ({slots})")
    backward = frame[frame["phase"] == "backward"]
    if not backward.empty:
        axes.axvline(
            backward["start_ns"].min(), color="grey", linestyle=":", label="backward starts"
        )
    axes.set_xlabel("simulated time (ns)")
    axes.set_ylabel("buffer slots")
    axes.set_ylim(0, max([*levels, slots or 0]) + 1)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="upper right", fontsize=8)
    axes.set_title(title or "buffer occupancy")


def breakeven_chart(
    scenario: Scenario,
    strategies: Sequence[str],
    *,
    param: str = "loaddisk_ns",
    against: str = "disk-offload",
    points: int = 81,
) -> Figure:
    """Backward latency against ``param`` for each strategy, with ``against``'s crossings marked."""
    crossings = {}
    for spec in strategies:
        if spec == against:
            continue
        try:
            crossings[spec] = breakeven(scenario, param, against, spec, math=False)
        except ChipsimError:
            continue  # no crossing (or the strategy does not fit): nothing to mark
    reach = max(
        [float(p.value) for p in crossings.values()] + [getattr(scenario.planning_chip, param)]
    )
    values = np.linspace(0, 2 * reach, points)
    figure, axes = _subplots(figsize=(8, 4.5))
    colours = {}
    highest = 0.0
    for spec in strategies:
        latencies = []
        for value in values:
            chip = scenario.with_overrides(chip={param: float(value)}).planning_chip
            plan = make_plan(spec, scenario.layers, chip)
            fits = plan.buffer_slots_needed <= chip.buffer_slots
            latencies.append(plan.latency_ns(chip, "backward") if fits else np.nan)
        if np.all(np.isnan(latencies)):
            continue
        (line,) = axes.plot(
            values, latencies, label=spec, linewidth=2.5 if spec == against else 1.5
        )
        colours[spec] = line.get_color()
        if spec != against:
            highest = max(highest, float(np.nanmax(latencies)))
    for spec, point in crossings.items():
        x, y = float(point.value), float(point.latency_ns)
        axes.plot([x], [y], "o", color=colours.get(spec, "black"), markeredgecolor="black",
                  markersize=8, zorder=5)  # fmt: skip
        axes.annotate(f"{x:g} ns", (x, y), textcoords="offset points", xytext=(-10, 8),
                      ha="right", fontsize=9, color=colours.get(spec, "black"))  # fmt: skip
    axes.set_xlabel(f"{param} (ns)")
    axes.set_ylabel("backward latency (ns)")
    axes.set_xlim(0, values[-1])
    axes.set_ylim(0, 1.6 * highest if highest else None)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="lower right")
    axes.set_title(
        f"backward latency against {param} (L={scenario.layers}{_serial_note(scenario)});\n"
        f"dots: where {against} ties each strategy"
    )
    figure.tight_layout()
    return figure


def scaling_chart(scenario: Scenario, strategies: Sequence[str], layers: Sequence[int]) -> Figure:
    """Backward latency and buffer slots needed against L; dashed where a strategy does not fit."""
    figure, (latency_axes, slot_axes) = _subplots(2, figsize=(12, 4.5))
    slots, chip = scenario.chip.buffer_slots, scenario.planning_chip
    for index, spec in enumerate(strategies):
        colour = PALETTE[index % len(PALETTE)]
        latency, needed = [], []
        for count in layers:
            plan = make_plan(spec, count, chip)
            latency.append(plan.latency_ns(chip, "backward"))
            needed.append(plan.buffer_slots_needed)
        fits = np.array(needed) <= slots
        latency_axes.plot(layers, np.where(fits, latency, np.nan), color=colour, label=spec)
        latency_axes.plot(layers, latency, color=colour, linestyle=":", alpha=0.6)
        slot_axes.plot(layers, needed, color=colour, label=spec)
        first_misfit = next((n for n, ok in zip(layers, fits, strict=True) if not ok), None)
        if first_misfit is not None and fits.any():
            slot_axes.plot([first_misfit], [needed[list(layers).index(first_misfit)]], "x",
                           color=colour, markersize=9)  # fmt: skip
    slot_axes.axhline(slots, color="black", linestyle="--", label=f"chip has {slots}")
    for axes in (latency_axes, slot_axes):
        axes.set_xlabel("layers L")
        axes.set_xscale("log", base=2)
        axes.grid(alpha=0.3, which="both")
    latency_axes.set_yscale("log")
    slot_axes.set_yscale("symlog", linthresh=2)  # 0 slots (disk-offload) stays on the chart
    slot_axes.set_ylim(bottom=0)
    latency_axes.set_ylabel("backward latency (ns)")
    latency_axes.set_title(
        f"backward latency{_serial_note(scenario)} (solid: fits the chip; dotted: does not)"
    )
    slot_axes.set_ylabel("buffer slots needed")
    slot_axes.set_title(f"memory (x: first L that no longer fits {slots} slots)")
    slot_axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


def _serial_note(scenario: Scenario) -> str:
    """What a chart of planned latencies shows, where runs on this chip would differ."""
    chip = scenario.chip
    if chip.mode == "serial" and not chip.is_random:
        return ""
    return ", serial" + (", expected latencies" if chip.is_random else "")
