"""Axis ticks in the units people read: ns/µs/ms/s, B/KiB/MiB/GiB, nJ/µJ/mJ/J.

A linear axis takes one unit for all its ticks, named once in its label
("backward latency (ms)"); a log axis, which spans decades, names the unit on
each tick ("100 ns", "1 µs", "10 µs"), and a byte axis steps in powers of two
(32 KiB, 64 KiB, ...). ``log_if_wide`` picks the scale: log where the values
span more than ``WIDE_SPAN`` times.

The unit tables match the text units of ``chipsim.formatting`` (issue 22); an axis
picks its unit by magnitude alone (text keeps whole numbers below 10,000 in
the base unit, which would make a log axis read "1000 ns" beside "10 µs").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

Quantity = Literal["time", "bytes", "energy", "count"]

#: (name, size in the base unit), smallest first. Times are in ns, energy in nJ.
UNITS: dict[str, tuple[tuple[str, float], ...]] = {
    "time": (("ns", 1.0), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)),
    "bytes": (("B", 1.0), ("KiB", 2.0**10), ("MiB", 2.0**20), ("GiB", 2.0**30)),
    "energy": (("nJ", 1.0), ("µJ", 1e3), ("mJ", 1e6), ("J", 1e9)),
    "count": (("", 1.0),),
}

#: Values spanning more than this ratio get a log axis (issue 22: "more than 30x").
WIDE_SPAN = 30.0


def unit_for(value: float, quantity: Quantity) -> tuple[str, float]:
    """The largest unit no bigger than ``|value|`` (the smallest for 0): (name, size)."""
    units = UNITS[quantity]
    fitting = [unit for unit in units if abs(value) >= unit[1]]
    return fitting[-1] if fitting else units[0]


def human(value: float, quantity: Quantity) -> str:
    """One value with its own unit, to 4 significant digits: "1.5 µs", "64 KiB", "510.6 mJ"."""
    name, size = unit_for(value, quantity)
    return f"{value / size:.4g} {name}".rstrip()


def is_wide(values: Iterable[float]) -> bool:
    """Whether the positive finite values span more than ``WIDE_SPAN`` times."""
    data = np.asarray([v for v in values if np.isfinite(v) and v > 0], dtype=float)
    return bool(data.size) and float(data.max()) > WIDE_SPAN * float(data.min())


def log_if_wide(axes: Any, which: str, values: Iterable[float]) -> bool:
    """Set ``which`` ("x" or "y") of ``axes`` to a log scale when the values are wide."""
    wide = is_wide(values)
    if wide:
        (axes.set_xscale if which == "x" else axes.set_yscale)("log")
    return wide


def unit_axis(axes: Any, which: str, quantity: Quantity, label: str) -> str:
    """Label ``which`` axis of ``axes`` in human units; call after the data and limits are set.

    Returns the unit a linear axis uses ("" on a log axis, whose ticks each name theirs).
    """
    axis = axes.xaxis if which == "x" else axes.yaxis
    low, high = axes.get_xlim() if which == "x" else axes.get_ylim()
    if axis.get_scale() == "log":
        _log_ticks(axis, quantity, low, high)
        axis.set_label_text(label)
        return ""
    name, size = unit_for(max(abs(low), abs(high)), quantity)
    axis.set_major_locator(UnitLocator(size))
    axis.set_major_formatter(FuncFormatter(lambda v, _: _tick_text(v / size, axis, size)))
    axis.set_label_text(f"{label} ({name})" if name else label)
    return name


def _tick_text(value: float, axis: Any, size: float) -> str:
    """A linear tick in the axis's unit, with as many decimals as the tick step needs
    (a step of 0.25 takes two)."""
    locations = axis.get_majorticklocs()
    step = float(np.min(np.diff(locations))) / size if len(locations) > 1 else 1.0
    decimals = next(
        (d for d in range(9) if abs(step * 10**d - round(step * 10**d)) < 1e-6 * step * 10**d),
        9,
    )
    return f"{value:.{decimals}f}"


def _log_ticks(axis: Any, quantity: Quantity, low: float, high: float) -> None:
    """Each tick names its unit; bytes step by 2×, the rest by 10×. An axis of under
    three decades labels its 2× and 5× minor ticks too (one of under one decade,
    every minor tick), or it would show two or three numbers at most."""
    decades = np.log10(high / max(low, 1e-300))
    if quantity == "bytes":
        axis.set_major_locator(LogLocator(base=2, numticks=9))
        axis.set_minor_formatter(NullFormatter())
    elif decades < 3:
        every = decades < 1
        axis.set_minor_formatter(FuncFormatter(lambda v, _: _minor_text(v, quantity, every)))
    else:
        axis.set_minor_formatter(NullFormatter())
    axis.set_major_formatter(FuncFormatter(lambda v, _: human(v, quantity)))


def _minor_text(value: float, quantity: Quantity, every: bool) -> str:
    leading = round(value / 10 ** np.floor(np.log10(value))) if value > 0 else 0
    return human(value, quantity) if every or leading in (2, 5) else ""


class UnitLocator(MaxNLocator):
    """Round ticks in the axis's unit (0, 16, 32, 48 KiB, not 19.53 KiB)."""

    def __init__(self, size: float) -> None:
        super().__init__(nbins="auto", steps=[1, 2, 2.5, 5, 10])
        self.size = size

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        return super().tick_values(vmin / self.size, vmax / self.size) * self.size
