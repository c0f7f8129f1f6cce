"""Pareto fronts over memory, time and energy: which plans no other plan beats on all three.

For one scenario (network + chip that declares energy) ``pareto`` sweeps the
buffer budget and the weight W of ``optimal:objective=weighted,ns_per_nj=W``
(with the time and energy optima as its endpoints), *runs* every plan, and
places the built-in strategies on the same axes. A point is (budget in
buffer bytes, backward latency, the whole run's energy); it is on the front
when no other point is at most as large on all three axes and smaller on one
(compared to 12 significant digits, so float rounding makes no trade-off).
Each point is reproduced by running ``strategy`` on the chip with
``buffer_bytes`` set to the point's ``buffer_bytes``. docs/energy.md has usage.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from .errors import ConfigError, DiskReadError, Refusal, StrategyError
from .run import simulate
from .scenario import Scenario
from .strategies import DEFAULT_COMPARISON, make_plan

#: Weights tried, as multiples of the chip's own exchange rate (the time-optimal
#: run's latency over its energy): 10^-3 … 10^3, half a decade apart.
RELATIVE_WEIGHTS: tuple[float, ...] = tuple(10 ** (k / 2) for k in range(-6, 7))

#: Budgets swept by default: 0 … this many of the largest activation.
DEFAULT_BUDGET_ACTIVATIONS = 8

#: Digits the front compares: float sums of one plan's ops in another order
#: differ in the last bits, which is no trade-off.
SIGNIFICANT_DIGITS = 12

#: The optima every budget also runs: the weighted sweep's two endpoints.
ENDPOINTS: tuple[str, ...] = ("optimal:objective=total", "optimal:objective=energy")


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
    specs = [*ENDPOINTS, *(f"optimal:objective=weighted,ns_per_nj={w:.6g}" for w in weights)]
    swept = [point for b in budgets for s in specs if (point := run_point(scenario, s, b))]
    placed = [point for s in strategies if (point := _built_in(scenario, s))]
    return mark_front(_distinct(swept) + placed)


def run_point(scenario: Scenario, strategy: str, budget_bytes: int) -> Point | None:
    """Run ``strategy`` with a buffer of ``budget_bytes``; None when it cannot run there."""
    chip = scenario.chip.replace({"buffer_bytes": budget_bytes})
    try:
        result = simulate(strategy, chip, network=scenario.chain, seed=scenario.seed, math=False)
    except (Refusal, StrategyError, DiskReadError):
        return None
    assert result.energy_nj is not None
    return Point(budget_bytes, result.backward.latency_ns, result.energy_nj, result.strategy)


def _built_in(scenario: Scenario, strategy: str) -> Point | None:
    """A built-in strategy at the least budget its plan (for the scenario's chip) needs."""
    chain = scenario.chain
    try:
        needed = make_plan(strategy, chain, scenario.chip).buffer_bytes_needed(chain)
    except (Refusal, StrategyError):
        roomy = scenario.chip.replace({"buffer_bytes": int(chain.activation_bytes.sum())})
        try:
            needed = make_plan(strategy, chain, roomy).buffer_bytes_needed(chain)
        except (Refusal, StrategyError):
            return None
    return run_point(scenario, strategy, needed)


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
    point = run_point(scenario, ENDPOINTS[0], chip.buffer_capacity_bytes(chain))
    if point is None or point.energy_nj == 0:
        return [1.0]
    scale = point.latency_ns / point.energy_nj
    return [scale * factor for factor in RELATIVE_WEIGHTS]


def front_table(points: list[Point]) -> str:
    """The points as a text table, front first, each group by budget then latency."""
    import pandas as pd

    frame = pd.DataFrame([point.as_dict() for point in points])
    frame = frame.sort_values(
        ["on_front", "buffer_bytes", "latency_ns"], ascending=[False, True, True]
    )
    frame["on_front"] = frame["on_front"].map({True: "yes", False: "no"})
    frame["energy_nj"] = frame["energy_nj"].map(lambda value: f"{value:.6g}")
    columns = ["strategy", "buffer_bytes", "latency_ns", "energy_nj", "on_front"]
    text = frame[columns].to_string(index=False)
    return "\n".join(line.rstrip() for line in text.splitlines())
