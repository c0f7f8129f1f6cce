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

On a chip with one memory (``memory_bytes``) the budgets are ``memory_bytes``
(default: from the least any plan needs to the chip's) and the memory axis is
the run's peak in that memory, every role included (``plan_memory.use_of``);
a built-in that does not fit the chip is placed at the peak its plan needs,
marked ``fits = False``, and is never on the front (nor does it dominate).
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
from ..sim.plan_memory import use_of
from .fit import roomy_bytes
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
    """One run plan on the (memory, time, energy) axes. On a chip with one memory,
    ``memory_bytes`` is the run's peak there (the memory axis), ``memory_budget_bytes``
    the ``memory_bytes`` it ran with, and ``fits`` whether that peak fits the chip;
    ``buffer_bytes`` is then its checkpoints' peak alone."""

    buffer_bytes: int
    latency_ns: int | float
    energy_nj: float
    strategy: str
    on_front: bool = False
    memory_bytes: int | None = None
    memory_budget_bytes: int | None = None
    fits: bool = True

    @property
    def axis_bytes(self) -> int:
        """The memory axis: the one memory's peak on such a chip, else the buffer's bytes."""
        return self.buffer_bytes if self.memory_bytes is None else self.memory_bytes

    @property
    def axes(self) -> tuple[float, float, float]:
        """The three coordinates, to ``SIGNIFICANT_DIGITS``: plans that tie exactly but
        sum their floats in another order must not dominate each other by an ulp."""
        return tuple(float(f"{value:.{SIGNIFICANT_DIGITS}g}") for value in self._raw)  # type: ignore[return-value]

    @property
    def _raw(self) -> tuple[float, float, float]:
        return (self.axis_bytes, self.latency_ns, self.energy_nj)

    def as_dict(self) -> dict[str, Any]:
        """The JSON entry; the one-memory fields only on a chip that has one."""
        entry = asdict(self)
        if self.memory_bytes is None:
            for key in ("memory_bytes", "memory_budget_bytes", "fits"):
                del entry[key]
        return entry


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
    """Run ``strategy`` with a buffer of ``budget_bytes`` (on a chip with one memory, a
    ``memory_bytes`` of it); None when it cannot run there."""
    field = "buffer_bytes" if scenario.chip.memory_bytes is None else "memory_bytes"
    try:
        result = _run(scenario, strategy, scenario.chip.replace({field: budget_bytes}))
    except CANNOT_RUN:
        return None
    return _point(budget_bytes, result, scenario.chip)


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
    return _point(result.peak_buffer_bytes, result, scenario.chip)


def _at_least_budget(scenario: Scenario, strategy: str) -> Point | None:
    """``strategy`` run at the bytes its plan needs when nothing stops it: a buffer's,
    or the one memory's peak (a point that does not fit the chip)."""
    chain, chip = scenario.chain, scenario.chip
    one_memory = chip.memory_bytes is not None
    field, roomy = (
        ("memory_bytes", roomy_bytes(chain, chip))
        if one_memory
        else ("buffer_bytes", int(chain.activation_bytes.sum()))
    )
    trial = chip.replace({field: roomy})
    try:
        plan = make_plan(strategy, chain, trial)
    except CANNOT_RUN:
        return None
    needed = (
        use_of(plan, trial, chain).peak_bytes if one_memory else plan.buffer_bytes_needed(chain)
    )
    return run_point(scenario, strategy, needed)


def _run(scenario: Scenario, strategy: str, chip: ChipConfig) -> RunResult:
    """The timing-only run of ``strategy`` on the scenario's network and ``chip``."""
    return simulate(strategy, chip, network=scenario.chain, seed=scenario.seed, math=False)


def _point(budget_bytes: int, result: RunResult, chip: ChipConfig) -> Point:
    """The run's point; on a chip with one memory (``chip``, the scenario's), its peak
    there and whether that fits the chip."""
    assert result.energy_nj is not None
    point = Point(budget_bytes, result.backward.latency_ns, result.energy_nj, result.strategy)
    if chip.memory_bytes is None:
        return point
    assert result.memory_at_peak is not None  # the run's chip is the scenario's, one memory
    peak = result.memory_at_peak.peak_bytes
    return replace(
        point,
        buffer_bytes=result.peak_buffer_bytes,
        memory_bytes=peak,
        memory_budget_bytes=result.chip.memory_bytes,
        fits=peak <= chip.memory_bytes,
    )


def mark_front(points: list[Point]) -> list[Point]:
    """The points, each ``on_front`` when no other point dominates it; a point that does
    not fit the chip is never on the front and dominates none."""
    table = np.array([point.axes for point in points if point.fits], dtype=float).reshape(-1, 3)
    return [
        replace(point, on_front=point.fits and not _dominated(table, np.array(point.axes)))
        for point in points
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
    """0 … ``DEFAULT_BUDGET_ACTIVATIONS`` (at most L−1) of the largest activation, in bytes;
    on a chip with one memory, ``memory_budgets``."""
    if scenario.chip.memory_bytes is not None:
        return memory_budgets(scenario)
    chain = scenario.chain
    largest = int(chain.activation_bytes[1:].max())
    return [k * largest for k in range(min(DEFAULT_BUDGET_ACTIVATIONS, chain.layers - 1) + 1)]


def memory_budgets(scenario: Scenario) -> list[int]:
    """``DEFAULT_BUDGET_ACTIVATIONS`` + 1 memories evenly from the least any plan needs
    (what ``optimal``'s refusal names) to the chip's ``memory_bytes``; none where even
    the least is more than the chip has (the built-ins then show what each needs)."""
    chip = scenario.chip
    assert chip.memory_bytes is not None
    try:
        make_plan("optimal", scenario.chain, chip.replace({"memory_bytes": 1}))
        least = 1
    except DoesNotFit as refusal:
        least = refusal.bytes_needed
    except CANNOT_RUN:
        return []
    if least > chip.memory_bytes:
        return []
    steps = np.linspace(least, chip.memory_bytes, DEFAULT_BUDGET_ACTIVATIONS + 1)
    return sorted({int(budget) for budget in steps})


def default_weights(scenario: Scenario) -> list[float]:
    """``RELATIVE_WEIGHTS`` times the time-optimal run's ns per nJ at the scenario's budget."""
    chip, chain = scenario.chip, scenario.chain
    budget = chip.memory_bytes or chip.buffer_capacity_bytes(chain)
    point = run_point(scenario, TIME_OPTIMUM, budget)
    if point is None or point.energy_nj == 0:
        return [1.0]
    scale = point.latency_ns / point.energy_nj
    return [scale * factor for factor in RELATIVE_WEIGHTS]


def front_table(points: list[Point]) -> str:
    """The points as a text table, front first, each group by bytes then latency;
    each column in one unit, named in its header (``chipsim.formatting``). On a chip
    with one memory the bytes are its peak, with a ``fits`` column (the chip's)."""
    ordered = sorted(points, key=lambda p: (not p.on_front, not p.fits, p.axis_bytes, p.latency_ns))
    one_memory = any(point.memory_bytes is not None for point in points)
    columns: dict[str, list[str]] = {}
    for name, values, units in (
        ("memory" if one_memory else "buffer", [p.axis_bytes for p in ordered], BYTE_UNITS),
        ("backward", [p.latency_ns for p in ordered], TIME_UNITS),
        ("energy", [p.energy_nj for p in ordered], ENERGY_UNITS),
    ):
        unit, scale = column_unit(values, units)
        columns[f"{name}_{'bytes' if unit == 'B' else unit}"] = column_cells(values, scale)
    if one_memory:
        columns["fits"] = ["yes" if p.fits else "no" for p in ordered]
    columns["on_front"] = ["yes" if p.on_front else "no" for p in ordered]
    rows = [
        (point.strategy, [cells[i] for cells in columns.values()])
        for i, point in enumerate(ordered)
    ]
    return text_table("strategy", list(columns), rows, name_line=False)
