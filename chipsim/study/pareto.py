"""Pareto fronts over memory, time and energy: which plans no other plan beats on all three.

For one scenario (network + chip that declares energy) ``pareto`` runs, at
each buffer budget, the three optima (backward latency, total latency,
energy) and ``optimal:objective=weighted,ns_per_nj=W`` for each weight W,
and places the built-in strategies on the same axes as ``compare`` runs
them. A point is (buffer bytes, backward latency, the whole run's energy);
it is on the front when no other point run is at most as large on all
three axes and smaller on one (compared to 12 significant digits, so float
rounding makes no trade-off). A swept point reproduces by running its
``strategy`` with ``buffer_bytes`` set to the point's; a built-in point by
running it on the scenario's chip (the bytes are what its plan needs).
docs/energy.md says what is exact and what is not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from ..errors import ConfigError, DiskReadError, DoesNotFit, Refusal, StrategyError
from ..formatting import (
    BYTE_UNITS,
    ENERGY_UNITS,
    TIME_UNITS,
    column_cells,
    column_unit,
    text_table,
)
from ..model.chip import ChipConfig
from ..planners import DEFAULT_COMPARISON, make_plan
from .run import RunResult, simulate
from .scenario import Scenario

#: Weights tried, as multiples of the chip's own exchange rate (the time-optimal
#: run's latency over its energy): 10^-3 … 10^3, half a decade apart.
RELATIVE_WEIGHTS: tuple[float, ...] = tuple(10 ** (k / 2) for k in range(-6, 7))

#: Budgets swept by default: 0 … this many of the largest activation.
DEFAULT_BUDGET_ACTIVATIONS = 8

#: Digits the front compares: float sums of one plan's ops in another order
#: differ in the last bits, which is no trade-off.
SIGNIFICANT_DIGITS = 12

#: The least total latency: the weighted sweep's W = 0 end, and its exchange rate.
TIME_OPTIMUM = "optimal:objective=total"

#: The optima every budget runs besides the weights: the fastest backward phase (the
#: front's latency axis, which the weighted sweep, pricing total latency, can miss)
#: and the weighted sweep's two endpoints.
OPTIMA: tuple[str, ...] = ("optimal:objective=backward", TIME_OPTIMUM, "optimal:objective=energy")


#: Why a plan cannot run on a chip: it does not fit, cannot be planned, or a read fails.
CANNOT_RUN = (Refusal, StrategyError, DiskReadError)


@dataclass(frozen=True)
class Point:
    """One run plan on the (memory, time, energy) axes."""

    buffer_bytes: int
    latency_ns: int | float
    energy_nj: float
    strategy: str
    on_front: bool = False

    @property
    def axes(self) -> tuple[float, float, float]:
        """The three coordinates, to ``SIGNIFICANT_DIGITS``: plans that tie exactly but
        sum their floats in another order must not dominate each other by an ulp."""
        return tuple(float(f"{value:.{SIGNIFICANT_DIGITS}g}") for value in self._raw)  # type: ignore[return-value]

    @property
    def _raw(self) -> tuple[float, float, float]:
        return (self.buffer_bytes, self.latency_ns, self.energy_nj)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def pareto(
    scenario: Scenario,
    *,
    budgets: list[int] | None = None,
    weights: list[float] | None = None,
    strategies: tuple[str, ...] = DEFAULT_COMPARISON,
) -> list[Point]:
    """Every swept and built-in point, run and marked ``on_front`` or dominated."""
    if not scenario.chip.has_energy:
        raise ConfigError(
            "pareto needs a chip that declares energy, e.g. --set compute_pj_per_mac=5 "
            "(docs/energy.md lists the fields)"
        )
    budgets = default_budgets(scenario) if budgets is None else budgets
    weights = default_weights(scenario) if weights is None else weights
    specs = [*OPTIMA, *(f"optimal:objective=weighted,ns_per_nj={w:.6g}" for w in weights)]
    swept = [point for b in budgets for s in specs if (point := run_point(scenario, s, b))]
    placed = [point for s in strategies if (point := _built_in(scenario, s))]
    return mark_front(_distinct(swept) + placed)


def run_point(scenario: Scenario, strategy: str, budget_bytes: int) -> Point | None:
    """Run ``strategy`` with a buffer of ``budget_bytes``; None when it cannot run there."""
    try:
        result = _run(scenario, strategy, scenario.chip.replace({"buffer_bytes": budget_bytes}))
    except CANNOT_RUN:
        return None
    return _point(budget_bytes, result)


def _built_in(scenario: Scenario, strategy: str) -> Point | None:
    """A built-in strategy's run on the scenario's own chip, as ``compare`` runs it, at
    the buffer bytes that plan needs. One the chip refuses as too small runs where the
    plan it makes on a roomy chip fits (the budget ``compare``'s refusal would name)."""
    try:
        result = _run(scenario, strategy, scenario.chip)
    except DoesNotFit:
        return _at_least_budget(scenario, strategy)
    except CANNOT_RUN:
        return None
    return _point(result.peak_buffer_bytes, result)


def _at_least_budget(scenario: Scenario, strategy: str) -> Point | None:
    """``strategy`` run at the buffer bytes its plan needs when nothing stops it."""
    chain = scenario.chain
    roomy = scenario.chip.replace({"buffer_bytes": int(chain.activation_bytes.sum())})
    try:
        needed = make_plan(strategy, chain, roomy).buffer_bytes_needed(chain)
    except CANNOT_RUN:
        return None
    return run_point(scenario, strategy, needed)


def _run(scenario: Scenario, strategy: str, chip: ChipConfig) -> RunResult:
    """The timing-only run of ``strategy`` on the scenario's network and ``chip``."""
    return simulate(strategy, chip, network=scenario.chain, seed=scenario.seed, math=False)


def _point(buffer_bytes: int, result: RunResult) -> Point:
    assert result.energy_nj is not None
    return Point(buffer_bytes, result.backward.latency_ns, result.energy_nj, result.strategy)


def mark_front(points: list[Point]) -> list[Point]:
    """The points, each ``on_front`` when no other point dominates it."""
    table = np.array([point.axes for point in points], dtype=float).reshape(-1, 3)
    return [
        replace(point, on_front=not _dominated(table, row))
        for point, row in zip(points, table, strict=True)
    ]


def _dominated(table: np.ndarray, row: np.ndarray) -> bool:
    """Whether some row is <= ``row`` everywhere and < somewhere."""
    return bool(((table <= row).all(axis=1) & (table < row).any(axis=1)).any())


def _distinct(points: list[Point]) -> list[Point]:
    """One point per (budget, latency, energy): the first plan reaching it."""
    seen: dict[tuple[float, float, float], Point] = {}
    for point in points:
        seen.setdefault(point.axes, point)
    return list(seen.values())


def default_budgets(scenario: Scenario) -> list[int]:
    """0 … ``DEFAULT_BUDGET_ACTIVATIONS`` (at most L−1) of the largest activation, in bytes."""
    chain = scenario.chain
    largest = int(chain.activation_bytes[1:].max())
    return [k * largest for k in range(min(DEFAULT_BUDGET_ACTIVATIONS, chain.layers - 1) + 1)]


def default_weights(scenario: Scenario) -> list[float]:
    """``RELATIVE_WEIGHTS`` times the time-optimal run's ns per nJ at the scenario's budget."""
    chip, chain = scenario.chip, scenario.chain
    point = run_point(scenario, TIME_OPTIMUM, chip.buffer_capacity_bytes(chain))
    if point is None or point.energy_nj == 0:
        return [1.0]
    scale = point.latency_ns / point.energy_nj
    return [scale * factor for factor in RELATIVE_WEIGHTS]


def front_table(points: list[Point]) -> str:
    """The points as a text table, front first, each group by budget then latency;
    each column in one unit, named in its header (``chipsim.formatting``)."""
    ordered = sorted(points, key=lambda p: (not p.on_front, p.buffer_bytes, p.latency_ns))
    columns: dict[str, list[str]] = {}
    for name, values, units in (
        ("buffer", [p.buffer_bytes for p in ordered], BYTE_UNITS),
        ("backward", [p.latency_ns for p in ordered], TIME_UNITS),
        ("energy", [p.energy_nj for p in ordered], ENERGY_UNITS),
    ):
        unit, scale = column_unit(values, units)
        columns[f"{name}_{'bytes' if unit == 'B' else unit}"] = column_cells(values, scale)
    columns["on_front"] = ["yes" if p.on_front else "no" for p in ordered]
    rows = [
        (point.strategy, [cells[i] for cells in columns.values()])
        for i, point in enumerate(ordered)
    ]
    return text_table("strategy", list(columns), rows, name_line=False)
