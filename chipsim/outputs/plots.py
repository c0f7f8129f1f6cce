"""matplotlib figures of one run's trace, built with the object API (no pyplot, no display).

Each function returns a ``Figure``, which renders with the Agg canvas;
``save(figure, path)`` writes one atomically. The other figures live beside
this module: ``course_plots`` (break-even, scaling in L), ``sweep_plot``,
``byte_plots`` (a real network's budget curve) and ``pareto_plot``.

Time axes are in ns, µs, ms or s (``axis_units``). Ops too short to see at
the figure's scale are drawn as ticks, each kind in its own band of the lane,
so every kind that ran is visible.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..files import write_atomically
from ..model.ops import OP_KINDS, PORTS
from .axis_units import human, unit_axis
from .occupancy import draw_levels, draw_limit, mark_backward

PALETTE = colormaps["tab10"].colors
OP_COLOURS = dict(zip(OP_KINDS, PALETTE, strict=False))
DPI = 120

#: Ops shorter than this fraction of the run are drawn as ticks (a bar would be < 2 px).
TICK_FRACTION = 0.002


def save(figure: Figure, path: str | os.PathLike[str]) -> None:
    """Write a figure (format from the extension, e.g. .png or .svg) atomically."""
    suffix = os.fspath(path).rsplit(".", 1)[-1]
    write_atomically(path, lambda tmp: figure.savefig(tmp, dpi=DPI, format=suffix))


def figure_with_axes(columns: int = 1, *, figsize: tuple[float, float]) -> tuple[Figure, Any]:
    """A figure with constrained layout (labels and outside legends kept on the canvas)."""
    figure = Figure(figsize=figsize, layout="constrained")
    return figure, figure.subplots(1, columns)


def in_bytes(frame: pd.DataFrame) -> bool:
    """Whether a trace is best read in bytes: its activations differ in size (a real
    network); a trace whose activations are all one size reads in slots."""
    if "buffer_bytes_used" not in frame or "bytes" not in frame:
        return False
    sizes = frame.loc[frame["bytes"] > 0, "bytes"]
    return sizes.nunique() > 1


def timeline(frame: pd.DataFrame, *, title: str = "") -> Figure:
    """One lane per resource, one bar per op coloured by kind, the phase boundary marked."""
    figure, axes = figure_with_axes(figsize=(11, 3.2))
    _draw_timeline(axes, frame, title)
    return figure


def buffer_chart(
    frame: pd.DataFrame,
    *,
    slots: int | None = None,
    budget_bytes: int | None = None,
    title: str = "",
) -> Figure:
    """Buffer occupancy over time against the chip's limit when known: slots, or
    bytes when ``budget_bytes`` is given."""
    figure, axes = figure_with_axes(figsize=(8, 3.2))
    bytes_given = budget_bytes is not None
    limit = budget_bytes if bytes_given else slots
    _draw_buffer(axes, frame, in_bytes=bytes_given, limit=limit, title=title)
    return figure


def trace_chart(
    frame: pd.DataFrame,
    *,
    slots: int | None = None,
    budget_bytes: int | None = None,
    title: str = "",
) -> Figure:
    """A saved trace at a glance: the timeline above the buffer, same time axis. The
    buffer is in bytes with ``budget_bytes``, or without either limit when the
    trace's activations differ in size; otherwise in slots."""
    drawn_in_bytes = budget_bytes is not None or (slots is None and in_bytes(frame))
    limit = budget_bytes if drawn_in_bytes else slots
    figure = Figure(figsize=(11, 6), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    _draw_timeline(top, frame, title)
    _draw_buffer(bottom, frame, in_bytes=drawn_in_bytes, limit=limit, title="buffer in use")
    top.set_xlabel("")
    top.set_xlim(-0.01 * bottom.get_xlim()[1], 1.01 * bottom.get_xlim()[1])  # as the timeline
    return figure


def _draw_timeline(axes: Any, frame: pd.DataFrame, title: str) -> None:
    lanes = {resource: i for i, resource in enumerate(reversed(PORTS))}
    end_ns = max(float(frame["end_ns"].max()), 1.0) if len(frame) else 1.0
    durations = frame["end_ns"] - frame["start_ns"]
    short = durations < TICK_FRACTION * end_ns
    for kind in OP_KINDS:
        rows = frame[(frame["op"] == kind) & ~short]
        for resource, group in rows.groupby("resource", observed=True):
            spans = list(zip(group["start_ns"], group["end_ns"] - group["start_ns"], strict=True))
            axes.broken_barh(spans, (lanes[resource] - 0.35, 0.7), facecolors=OP_COLOURS[kind],
                             edgecolor="white", linewidth=0.3)  # fmt: skip
    _draw_ticks(axes, frame[short], lanes)
    _mark_phases(axes, frame)
    axes.set_yticks(list(lanes.values()), list(lanes.keys()))
    axes.set_ylim(-0.6, len(PORTS) + 0.3)
    axes.set_xlim(-0.01 * end_ns, 1.01 * end_ns)  # ticks at either end clear of the spines
    unit_axis(axes, "x", "time", "simulated time")
    used = [kind for kind in OP_KINDS if (frame["op"] == kind).any()]
    axes.legend(
        handles=[Patch(color=OP_COLOURS[kind], label=kind) for kind in used],
        loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, title="op",
    )  # fmt: skip
    tick = human(TICK_FRACTION * end_ns, "time")
    axes.set_title(f"{title or 'timeline'} (ticks: ops under {tick}, too short to draw to scale)")


def _draw_ticks(axes: Any, short: pd.DataFrame, lanes: dict[str, int]) -> None:
    """Ticks for short ops: each kind in its own band of its lane, so none hides another."""
    for resource, group in short.groupby("resource", observed=True):
        kinds = [kind for kind in OP_KINDS if (group["op"] == kind).any()]
        bands = np.linspace(lanes[resource] - 0.45, lanes[resource] + 0.45, len(kinds) + 1)
        for index, kind in enumerate(kinds):
            starts = group.loc[group["op"] == kind, "start_ns"]
            axes.vlines(starts, bands[index], bands[index + 1], colors=[OP_COLOURS[kind]],
                        linewidth=1.5)  # fmt: skip


def _mark_phases(axes: Any, frame: pd.DataFrame) -> None:
    backward = frame[frame["phase"] == "backward"]
    if backward.empty:
        return
    boundary = backward["start_ns"].min()
    axes.axvline(boundary, color="black", linestyle="--", linewidth=1)
    axes.text(boundary, len(PORTS) - 0.45, "← forward ", va="bottom", ha="right", fontsize=9)
    if boundary > 0.9 * frame["end_ns"].max():  # a short backward phase: upright, in its lane
        axes.text(boundary, len(PORTS) - 0.5, " backward", rotation=90, va="top", fontsize=9)
    else:
        axes.text(boundary, len(PORTS) - 0.45, " backward →", va="bottom", fontsize=9)


def _draw_buffer(
    axes: Any, frame: pd.DataFrame, *, in_bytes: bool, limit: int | None, title: str
) -> None:
    """The buffer's level over time, in bytes or slots, the chip's limit as a labelled line."""
    column = "buffer_bytes_used" if in_bytes else "buffer_slots_used"
    end_ns = float(frame["end_ns"].max()) if len(frame) else 0.0
    levels = [0, *frame[column].tolist()]
    label = f"{'bytes' if in_bytes else 'slots'} in use"
    highest = draw_levels(axes, [0.0, *frame["end_ns"].tolist()], levels, end_ns, label=label)
    if limit is not None:
        text = f"budget {human(limit, 'bytes')}" if in_bytes else f"the chip's {limit} slots"
        draw_limit(axes, limit, text)
    mark_backward(axes, frame)
    axes.set_xlim(0, max(end_ns, 1.0))
    axes.set_ylim(0, 1.15 * max(highest, limit or 0, 1))
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    axes.set_title(title or "buffer in use")
    unit_axis(axes, "x", "time", "simulated time")
    if in_bytes:
        unit_axis(axes, "y", "bytes", "buffer in use")
    else:
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.set_ylabel("buffer slots")
