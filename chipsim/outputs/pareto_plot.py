"""The Pareto figure: backward latency against energy, one marker per run plan.

Colour is the buffer budget; filled markers are on the front (over budget,
latency and energy), hollow ones dominated; built-in strategies are labelled.
"""

from __future__ import annotations

from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from ..study.pareto import Point


def pareto_chart(points: list[Point], *, title: str = "") -> Figure:
    """Latency (x) against energy (y); ``chipsim.outputs.plots.save`` writes it."""
    figure = Figure(figsize=(8, 5))
    axes = figure.subplots()
    budgets = [point.buffer_bytes for point in points]
    norm = Normalize(min(budgets, default=0), max(max(budgets, default=0), 1))
    cmap = colormaps["viridis"]
    for point in points:
        colour = cmap(norm(point.buffer_bytes))
        axes.scatter(
            point.latency_ns,
            point.energy_nj,
            s=40,
            facecolors=colour if point.on_front else "none",
            edgecolors=colour,
            zorder=3 if point.on_front else 2,
        )
        if not point.strategy.startswith("optimal:objective="):
            axes.annotate(point.strategy, (point.latency_ns, point.energy_nj), fontsize=7)
    figure.colorbar(cmap_mappable(cmap, norm), ax=axes, label="buffer budget (bytes)")
    axes.set_xlabel("backward latency (ns)")
    axes.set_ylabel("energy of the run (nJ)")
    axes.set_title(title or "memory, time and energy: filled = on the front, hollow = dominated")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def cmap_mappable(cmap, norm):  # type: ignore[no-untyped-def]
    """A colour scale for the colorbar, without pyplot."""
    from matplotlib.cm import ScalarMappable

    return ScalarMappable(norm=norm, cmap=cmap)
