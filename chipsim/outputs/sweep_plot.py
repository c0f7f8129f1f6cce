"""The figure of a saved sweep: backward latency against the first parameter that varies.

One line per strategy (colour) and per value of any other varying parameter
(line style); runs that do not fit the chip are left out. Axes whose values
span more than 30x are logarithmic, so no curve squashes the others, and
times, bytes and energies are in human units.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..study.grid import GRID_KEYS
from .axis_units import log_if_wide, unit_axis
from .plots import PALETTE, Figure, figure_with_axes

STYLES = ("-", "--", ":", "-.")


def sweep_chart(frame: pd.DataFrame) -> Figure:
    """Backward latency of a saved sweep's runs that fit, against the first varying parameter."""
    varying = [key for key in GRID_KEYS if key in frame and frame[key].nunique() > 1]
    fits = frame[frame["fits"].astype(bool)]
    figure, axes = figure_with_axes(figsize=(11, 5))
    if varying:
        _draw_lines(axes, fits, varying[0], varying[1:])
    else:
        axes.bar(fits["strategy"], fits["backward_latency_ns"], color=PALETTE[0])
        axes.set_title("backward latency by strategy (runs that fit the chip)")
    log_if_wide(axes, "y", fits["backward_latency_ns"])
    unit_axis(axes, "y", "time", "backward latency")
    axes.grid(alpha=0.3, which="both")
    return figure


def _draw_lines(axes: Any, fits: pd.DataFrame, x: str, others: list[str]) -> None:
    strategies = list(dict.fromkeys(fits["strategy"]))
    combos = list(dict.fromkeys(map(tuple, fits[others].to_numpy()))) if others else [()]
    for keys, group in fits.groupby(["strategy", *others], sort=False):
        strategy, values = keys[0], tuple(keys[1:])
        label = ", ".join([strategy, *(f"{k}={v}" for k, v in zip(others, values, strict=True))])
        ordered = group.sort_values(x)
        axes.plot(
            ordered[x], ordered["backward_latency_ns"], label=label, marker="o", markersize=3,
            color=PALETTE[strategies.index(strategy) % len(PALETTE)],
            linestyle=STYLES[combos.index(values) % len(STYLES)],
        )  # fmt: skip
    log_if_wide(axes, "x", fits[x])
    _label_parameter(axes, x)
    title = "colour: strategy" + (f"; line style: {', '.join(others)}" if others else "")
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), title=title,
                title_fontsize=7)  # fmt: skip
    axes.set_title(f"backward latency against {x} (runs that fit the chip)")


def _label_parameter(axes: Any, key: str) -> None:
    """The swept parameter's axis, in the unit its name carries (``*_ns``, ``*_bytes``)."""
    stem = key.rsplit("_", 1)[0]
    if key.endswith("_ns"):
        unit_axis(axes, "x", "time", f"{stem} latency")
    elif key.endswith("_bytes"):
        unit_axis(axes, "x", "bytes", f"{stem} size")
    else:
        unit_axis(axes, "x", "count", key)
