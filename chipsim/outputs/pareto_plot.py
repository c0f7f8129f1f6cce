"""The Pareto figure: backward latency against energy, one marker per run plan.

Colour is the buffer budget (on a chip with one memory, the run's peak there, and a
plan that does not fit the chip is a red cross labelled with what it needs). Points
on the front (over budget, latency and energy) are filled and joined: a coloured
line through each budget's front,
a dark line through each budget's fastest front point as the budget grows;
dominated points are hollow and faded. Built-in strategies are labelled
(once per position, without overlaps). When the front is a small corner of
the whole picture, a second panel zooms in on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..formatting import bytes_text
from ..study.pareto import Point
from .axis_units import unit_axis
from .labels import place_labels

#: Zoom in when the front spans less than this share of all points on both axes.
ZOOM_SHARE = 0.25
FADED = 0.35
MISFIT = "tab:red"
CMAP = colormaps["viridis"]


def pareto_chart(points: list[Point], *, title: str = "") -> Figure:
    """Latency (x) against energy (y); ``chipsim.outputs.plots.save`` writes it."""
    front = [point for point in points if point.on_front]
    zoom = _zooms(points, front)
    figure = Figure(figsize=(13, 5.2) if zoom else (8.5, 5.2), layout="constrained")
    panels = figure.subplots(1, 2 if zoom else 1, squeeze=False)[0]
    budgets = [point.axis_bytes for point in points if point.fits]  # a misfit is drawn red
    norm = Normalize(min(budgets, default=0), max(max(budgets, default=0), 1))
    for axes in panels:
        _draw_points(axes, points, front, norm)
    if zoom:
        _zoom_to(panels[1], front + [point for point in points if not point.fits])
        (x0, x1), (y0, y1) = panels[1].get_xlim(), panels[1].get_ylim()
        panels[0].indicate_inset((x0, y0, x1 - x0, y1 - y0), edgecolor="grey")
        panels[1].set_title("near the front (zoomed in)", fontsize=10)
        panels[0].set_title("every plan", fontsize=10)
    for axes in panels:
        unit_axis(axes, "x", "time", "backward latency")
        unit_axis(axes, "y", "energy", "energy of the run")
        axes.grid(alpha=0.3)
    bar = figure.colorbar(ScalarMappable(norm=norm, cmap=CMAP), ax=panels)
    one_memory = any(point.memory_bytes is not None for point in points)
    unit_axis(bar.ax, "y", "bytes", "one memory's peak" if one_memory else "buffer budget")
    figure.legend(handles=_key(points), loc="outside lower center", ncols=2, fontsize=8)
    figure.suptitle(f"{title}: memory, time and energy" if title else "memory, time and energy")
    for axes in panels:  # memory figures where the front is read: the last panel
        place_labels(axes, _labels(points, axes, memory=axes is panels[-1]))
    return figure


def _zooms(points: Sequence[Point], front: Sequence[Point]) -> bool:
    """Whether the front is a small corner of the picture on both axes."""
    if len(front) < 2 or len(points) == len(front):
        return False
    shares = [_span(front, axis) / max(_span(points, axis), 1e-300) for axis in (1, 2)]
    return all(share < ZOOM_SHARE for share in shares)


def _span(points: Sequence[Point], axis: int) -> float:
    values = [_coordinates(point)[axis] for point in points]
    return max(values) - min(values)


def _coordinates(point: Point) -> tuple[float, float, float]:
    return (point.axis_bytes, point.latency_ns, point.energy_nj)


def _zoom_to(axes: Any, front: Sequence[Point]) -> None:
    for axis, setter in ((1, axes.set_xlim), (2, axes.set_ylim)):
        values = [_coordinates(point)[axis] for point in front]
        pad = 0.15 * (max(values) - min(values)) or 0.01 * abs(max(values))
        setter(min(values) - pad, max(values) + pad)


def _draw_points(axes: Any, points: Sequence[Point], front: Sequence[Point], norm: Any) -> None:
    by_budget = [list(g) for _, g in groupby(sorted(front, key=_order), key=_budget)]
    for group in by_budget:
        colour = CMAP(norm(group[0].axis_bytes))
        axes.plot([p.latency_ns for p in group], [p.energy_nj for p in group], color=colour,
                  linewidth=2, zorder=2)  # fmt: skip
    fastest = [group[0] for group in by_budget]
    axes.plot([p.latency_ns for p in fastest], [p.energy_nj for p in fastest], color="0.25",
              linewidth=1, zorder=1)  # fmt: skip
    for point in points:
        colour = CMAP(norm(point.axis_bytes))
        if not point.fits:  # a plan the chip's memory cannot hold: a red cross
            axes.scatter(
                point.latency_ns, point.energy_nj, s=60, marker="x", color=MISFIT, zorder=3
            )
            continue
        axes.scatter(point.latency_ns, point.energy_nj, s=36, linewidths=1.2, edgecolors=colour,
                     facecolors=colour if point.on_front else "none",
                     alpha=1.0 if point.on_front else FADED,
                     zorder=3 if point.on_front else 2)  # fmt: skip


def _order(point: Point) -> tuple[float, float]:
    return (point.axis_bytes, point.latency_ns)


def _budget(point: Point) -> int:
    return point.axis_bytes


def _labels(points: Sequence[Point], axes: Any, memory: bool) -> list[tuple[float, float, str]]:
    """One label per position shown in ``axes``: the built-in strategies there, and with
    ``memory`` the one memory's peak of each front point (on a chip that has one)."""
    (x0, x1), (y0, y1) = axes.get_xlim(), axes.get_ylim()
    names: dict[tuple[float, float], list[str]] = {}
    for point in points:
        shown = x0 <= point.latency_ns <= x1 and y0 <= point.energy_nj <= y1
        if shown and not point.strategy.startswith("optimal:objective="):
            needs = f"{point.strategy}: needs {bytes_text(point.axis_bytes)}, does not fit"
            name = point.strategy if point.fits else needs
            names.setdefault((point.latency_ns, point.energy_nj), []).append(name)
        elif shown and memory and point.on_front and point.memory_bytes is not None:
            names.setdefault((point.latency_ns, point.energy_nj), []).append(
                bytes_text(point.memory_bytes)
            )
    return [(x, y, " = ".join(strategies)) for (x, y), strategies in names.items()]


def _key(points: Sequence[Point]) -> list[Line2D]:
    """What filled, hollow, a cross and the two kinds of line mean."""
    dot = {"marker": "o", "linestyle": "", "color": CMAP(0.5), "markersize": 6}
    on_front = "on the front: no plan beats it on bytes, time and energy"
    misfit = "does not fit the chip's memory (at the peak it needs)"
    crosses = [Line2D([], [], marker="x", linestyle="", color=MISFIT, label=misfit)]
    return [
        *crosses[: not all(point.fits for point in points)],
        Line2D([], [], markerfacecolor=CMAP(0.5), label=on_front, **dot),
        Line2D([], [], markerfacecolor="none", alpha=FADED, label="dominated", **dot),
        Line2D([], [], color=CMAP(0.5), linewidth=2, label="the front at one budget"),
        Line2D([], [], color="0.25", linewidth=1, label="its fastest plan as the budget grows"),
    ]
