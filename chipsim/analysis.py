"""Questions asked of several runs: side-by-side comparison and break-even points."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from .chip import LATENCY_FIELDS, ChipConfig
from .errors import ChipsimError, ConfigError, DoesNotFit, NoBreakEven
from .ops import OP_LATENCY_FIELD
from .plan import PHASES, Plan
from .run import RunResult, simulate
from .scenario import Scenario
from .strategies import make_plan, parse_spec


@dataclass(frozen=True)
class Outcome:
    """One strategy on one scenario: a result, or why it could not run."""

    strategy: str
    result: RunResult | None
    refusal: DoesNotFit | None


def run_strategy(scenario: Scenario, strategy: str) -> RunResult:
    """``simulate`` with the scenario's network and chip."""
    return simulate(
        strategy, scenario.chip, layers=scenario.layers, width=scenario.width, seed=scenario.seed
    )


def compare(scenario: Scenario, strategies: list[str]) -> list[Outcome]:
    """Run each strategy; one that does not fit the chip is reported, not raised."""
    outcomes = []
    for strategy in strategies:
        spec = str(parse_spec(strategy))
        try:
            outcomes.append(Outcome(spec, run_strategy(scenario, spec), None))
        except DoesNotFit as refusal:
            outcomes.append(Outcome(spec, None, refusal))
    return outcomes


@dataclass(frozen=True)
class BreakEven:
    """The value of ``param`` at which two strategies' phase latencies tie."""

    param: str
    value: Fraction
    strategy: str
    against: str
    phase: str
    latency_ns: int | float  # of both strategies at ``value``, as simulated

    def to_dict(self) -> dict[str, object]:
        return {
            "param": self.param,
            "value": float(self.value),
            "strategy": self.strategy,
            "against": self.against,
            "phase": self.phase,
            "latency_ns": self.latency_ns,
        }


def breakeven(
    scenario: Scenario, param: str, strategy: str, against: str, *, phase: str = "backward"
) -> BreakEven:
    """Solve exactly where ``strategy`` and ``against`` tie, then confirm by simulating both.

    For a fixed plan a phase's serial latency is linear in each latency
    parameter (intercept + count of the ops it prices × value), so the tie is
    the crossing of two lines, solved in exact fractions. Raises NoBreakEven
    when the lines are parallel or cross below zero.
    """
    if param not in LATENCY_FIELDS:
        raise ConfigError(
            f"cannot solve for {param!r}; choose a latency field: {', '.join(LATENCY_FIELDS)}"
        )
    if phase not in PHASES:
        raise ConfigError(f"unknown phase {phase!r}; valid phases: {', '.join(PHASES)}")
    specs = [str(parse_spec(strategy)), str(parse_spec(against))]
    lines = []
    for spec in specs:
        plan = make_plan(spec, scenario.layers, scenario.chip)
        plan.check_fits(scenario.chip)
        lines.append(_latency_line(plan, scenario.chip, param, phase))
    (intercept_a, slope_a), (intercept_b, slope_b) = lines
    if slope_a == slope_b:
        relation = "always tie" if intercept_a == intercept_b else "never tie"
        raise NoBreakEven(
            f"{specs[0]} and {specs[1]} {relation}: both {phase} latencies change by "
            f"{slope_a} ns per ns of {param}"
        )
    value = (intercept_b - intercept_a) / (slope_a - slope_b)
    if value < 0:
        raise NoBreakEven(
            f"{specs[0]} and {specs[1]} never tie for {param} >= 0 "
            f"(the lines cross at {float(value):g} ns)"
        )
    return _confirm(scenario, param, value, specs, phase)


def _latency_line(plan: Plan, chip: ChipConfig, param: str, phase: str) -> tuple[Fraction, int]:
    """(intercept, slope) of the phase's serial latency as a function of ``param``."""
    intercept, slope = Fraction(0), 0
    for kind, count in plan.counts(phase).items():
        if OP_LATENCY_FIELD[kind] == param:
            slope += count
        else:
            intercept += Fraction(chip.op_latency_ns(kind)) * count
    return intercept, slope


def _confirm(
    scenario: Scenario, param: str, value: Fraction, specs: list[str], phase: str
) -> BreakEven:
    exact = int(value) if value.denominator == 1 else float(value)
    at_value = scenario.with_overrides(chip={param: exact})
    latencies = [run_strategy(at_value, spec).phase(phase).latency_ns for spec in specs]
    if not math.isclose(latencies[0], latencies[1], rel_tol=1e-9, abs_tol=1e-9):
        raise ChipsimError(
            f"solved {param} = {float(value):g} ns, but simulating there gives "
            f"{specs[0]} {latencies[0]} ns and {specs[1]} {latencies[1]} ns"
        )
    return BreakEven(param, value, specs[0], specs[1], phase, latencies[0])
