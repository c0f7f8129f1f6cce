"""Memory over time against a budget, drawn so that it reads right: the shared pieces.

The buffer charts (slots and bytes) use these, and so can any figure of a
level over simulated time with a limit (memory stacked by role, say):
``split_instants`` separates levels held for no time, ``draw_levels`` draws
the rest as steps and those as markers, ``draw_stacked_levels`` stacks several
roles' levels, ``draw_limit`` puts a labelled budget line on the chart, and
``mark_backward`` the start of the backward phase (``axis_units.unit_axis``
then names the units: simulated time in ns…s, memory in B…GiB).

A store and a free at the same instant (the last activation of the forward
pass, stored and at once freed by the backward pass that reads it) change the
level twice with no time between; drawn as plain steps that is a one-pixel
spike which looks like a glitch, so it is drawn as a marker instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

#: The legend's words for a level held for 0 ns.
INSTANT_LABEL = "stored and freed at one instant"


def split_instants(times: Sequence[float], levels: Sequence[float]) -> tuple[pd.Series, pd.Series]:
    """(steady, instants): both indexed by time. ``steady`` is the level from each
    time on (the last change at that time); ``instants`` the peaks reached and left
    within one instant, above the levels before and after it."""
    frame = pd.DataFrame({"time_ns": times, "level": levels})
    group = frame["time_ns"].ne(frame["time_ns"].shift()).cumsum()
    steady = frame.groupby(group)["level"].last()
    peak = frame.groupby(group)["level"].max()
    before = steady.shift(fill_value=0)
    at = frame.groupby(group)["time_ns"].first()
    instants = peak[(peak > steady) & (peak > before)]
    return (
        pd.Series(steady.to_numpy(), index=at.to_numpy(), name="level"),
        pd.Series(instants.to_numpy(), index=at[instants.index].to_numpy(), name="level"),
    )


def draw_levels(
    axes: Any, times: Sequence[float], levels: Sequence[float], end_ns: float, *, label: str
) -> float:
    """Steps of the steady levels up to ``end_ns``, markers at the instant peaks;
    returns the highest level drawn (for the y limit)."""
    steady, instants = split_instants(times, levels)
    xs = [*steady.index.tolist(), end_ns]
    ys = [*steady.tolist(), steady.iat[-1] if len(steady) else 0]
    axes.step(xs, ys, where="post", color="tab:blue", label=label)
    if len(instants):
        axes.vlines(instants.index, steady.reindex(instants.index), instants, colors="tab:blue",
                    linestyles=":", linewidth=1)  # fmt: skip
        axes.plot(instants.index, instants, "o", color="tab:blue", markerfacecolor="white",
                  markersize=5, label=INSTANT_LABEL, zorder=4)  # fmt: skip
    return float(max([*ys, *instants.tolist(), 0]))


def draw_stacked_levels(
    axes: Any, times: Sequence[float], roles: Mapping[str, Sequence[float]], end_ns: float
) -> float:
    """Levels of several roles (checkpoints, weights, …) stacked as steps up to
    ``end_ns``, one legend entry each; returns the highest total (for the y limit).

    ``times`` must not repeat (collapse instants with ``split_instants`` first)."""
    xs = [*times, end_ns]
    ys = [[*levels, levels[-1] if len(levels) else 0] for levels in roles.values()]
    axes.stackplot(xs, *ys, labels=list(roles), step="post", alpha=0.85)
    totals = [sum(column) for column in zip(*ys, strict=True)] if ys else [0]
    return float(max(totals, default=0))


def draw_limit(axes: Any, value: float, text: str) -> None:
    """A dashed budget line at ``value``, its ``text`` written on the line (left, above)."""
    axes.axhline(value, color="tab:red", linestyle="--", linewidth=1.2)
    axes.annotate(text, (0.01, value), xycoords=("axes fraction", "data"),
                  xytext=(0, 2), textcoords="offset points", va="bottom", fontsize=8,
                  color="tab:red")  # fmt: skip


def mark_backward(axes: Any, frame: pd.DataFrame) -> None:
    """A dotted line where the backward phase starts, if the trace has one."""
    backward = frame[frame["phase"] == "backward"]
    if not backward.empty:
        axes.axvline(
            backward["start_ns"].min(), color="grey", linestyle=":", label="backward starts"
        )
