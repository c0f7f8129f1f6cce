"""Break-even points: the value of a latency or bandwidth at which two strategies tie,
solved exactly on the plans' latency lines and confirmed by simulating both."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import isclose

from ..errors import ChipsimError, ConfigError, NoBreakEven, did_you_mean
from ..model.chip import BANDWIDTH_FIELDS, LATENCY_FIELDS
from ..model.costs import PRICE_KINDS, Costs
from ..model.ops import OP_LATENCY_FIELD, RECORDED_BWD
from ..planners import make_plan, parse_spec
from ..sim.plan import PHASES, Plan
from .analysis import run_strategy
from .scenario import Scenario


@dataclass(frozen=True)
class BreakEven:
    """The value of ``param`` at which two strategies' phase latencies tie."""

    param: str
    value: Fraction
    strategy: str
    against: str
    phase: str
    latency_ns: int | float  # of both strategies at ``value``, as simulated

    @property
    def unit(self) -> str:
        """The unit of ``value``: ns for a latency, bytes or MACs per ns for a bandwidth."""
        return _unit(self.param)

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
    scenario: Scenario,
    param: str,
    strategy: str,
    against: str,
    *,
    phase: str = "backward",
    math: bool = True,
) -> BreakEven:
    """Solve exactly where ``strategy`` and ``against`` tie, then confirm by simulating both.

    For a fixed plan a phase's serial latency is linear in each latency
    parameter (intercept + count of the ops it prices × value), so two fixed
    plans tie where their lines cross, solved in exact fractions. Cost-aware
    strategies (``optimal``) change plan with the parameter, making latency
    piecewise linear: the crossing is re-planned and solved again until the
    plans stop changing (Newton's method on a piecewise-linear function).
    Bandwidth terms are constants added to their ops, so ``param`` is the
    fixed part of the latency. Raises NoBreakEven when the lines are
    parallel or cross below zero. ``math=False`` confirms by simulating
    timing only. Only serial timing with fixed latencies is linear like
    this: other chips are refused with a ConfigError.
    """
    if param not in SOLVABLE_FIELDS:
        raise ConfigError(
            f"cannot solve for {param!r}; choose a latency or bandwidth field: "
            f"{', '.join(SOLVABLE_FIELDS)}{did_you_mean(param, SOLVABLE_FIELDS)}"
        )
    if phase not in PHASES:
        raise ConfigError(f"unknown phase {phase!r}; valid phases: {', '.join(PHASES)}")
    chip = scenario.chip
    if chip.mode != "serial" or chip.is_random:
        jitter = chip.is_random and chip.disk_fault_rate == 0
        why = (
            f"mode={chip.mode}"
            if chip.mode != "serial"
            else ("a latency distribution" if jitter else f"disk_fault_rate={chip.disk_fault_rate}")
        )
        raise ConfigError(
            f"breakeven solves serial timing with fixed latencies, but the chip has {why}; "
            "use --set mode=serial, fixed latencies and disk_fault_rate=0"
        )
    specs = [str(parse_spec(strategy)), str(parse_spec(against))]
    value = Fraction(getattr(scenario.chip, param) or 1)  # an unset bandwidth: start at 1
    for _ in range(MAX_ROUNDS):
        at_value = _with_value(scenario, param, value)
        chip, chain = at_value.chip, at_value.chain
        lines = []
        for spec in specs:
            plan = make_plan(spec, chain, chip)
            plan.check_fits(chip, chain)
            lines.append(_latency_line(plan, at_value, param, phase))
        crossing = _crossing(lines, specs, param, phase)
        if param in BANDWIDTH_FIELDS:  # the lines are in 1/rate: ns per byte or per MAC
            if crossing == 0:
                raise NoBreakEven(f"{specs[0]} and {specs[1]} tie only at an infinite {param}")
            crossing = 1 / crossing
        if crossing == value:
            return _confirm(at_value, param, value, specs, phase, math)
        value = crossing
    raise ChipsimError(
        f"no break-even found for {param}: the plans of {specs[0]} and {specs[1]} kept "
        f"changing after {MAX_ROUNDS} rounds"
    )


MAX_ROUNDS = 100

#: What ``breakeven`` solves for: a latency, or a bandwidth (its ops' latency is then
#: linear in its inverse).
SOLVABLE_FIELDS: tuple[str, ...] = (*LATENCY_FIELDS, *BANDWIDTH_FIELDS)
#: The bandwidth field that prices each op kind's bytes or multiply-adds.
RATE_FIELD = {
    "fwd": "compute_macs_per_ns",
    "bwd": "compute_macs_per_ns",
    "loadmem": "mem_bytes_per_ns",
    "storemem": "mem_bytes_per_ns",
    "loaddisk": "disk_bytes_per_ns",
    "storedisk": "disk_bytes_per_ns",
}


def _crossing(
    lines: list[tuple[Fraction, Fraction]], specs: list[str], param: str, phase: str
) -> Fraction:
    (intercept_a, slope_a), (intercept_b, slope_b) = lines
    if slope_a == slope_b:
        relation = "always tie" if intercept_a == intercept_b else "never tie"
        raise NoBreakEven(
            f"{specs[0]} and {specs[1]} {relation}: both {phase} latencies change by "
            + (
                f"{slope_a} ns per ns of {param}"
                if param not in BANDWIDTH_FIELDS
                else f"{slope_a} {_unit(param).split()[0]} over {param}"
            )
        )
    value = (intercept_b - intercept_a) / (slope_a - slope_b)
    if value < 0:
        raise NoBreakEven(
            f"{specs[0]} and {specs[1]} never tie for {param} >= 0 "
            f"(the lines cross at {float(value):g} {_unit(param, inverse=True)})"
        )
    return value


def _unit(param: str, *, inverse: bool = False) -> str:
    """``param``'s unit, or with ``inverse`` what the latency lines are drawn against."""
    if param not in BANDWIDTH_FIELDS:
        return "ns"
    work = "MACs" if param.startswith("compute") else "bytes"
    return f"{work} per ns" if not inverse else f"ns per {work[:-1]} (1/{param})"


def _with_value(scenario: Scenario, param: str, value: Fraction) -> Scenario:
    """The scenario with ``param`` set to ``value`` (an int when it is whole)."""
    exact = int(value) if value.denominator == 1 else float(value)
    return scenario.with_overrides(chip={param: exact})


def _latency_line(
    plan: Plan, scenario: Scenario, param: str, phase: str
) -> tuple[Fraction, Fraction]:
    """(intercept, slope) of the phase's serial latency as a function of ``param``, or
    of 1/``param`` for a bandwidth (ns per byte or per multiply-add).

    A latency's ops add ``param`` itself (the slope) and their bandwidth term
    (in the intercept); a bandwidth's ops add their bytes or multiply-adds over
    it (the slope) and their fixed latency; every other op its full latency.
    """
    intercept, slope = Fraction(0), Fraction(0)
    chip, costs, where = (
        scenario.chip,
        Costs(scenario.chip, scenario.chain),
        plan.phase_slice(phase),
    )
    kinds, layers = plan.price_codes[where], plan.layer_numbers[where]
    for code, kind in enumerate(PRICE_KINDS):
        recorded = code == RECORDED_BWD
        chosen = layers[kinds == code]
        count, transfer = costs.transfer_fraction(kind, chosen, recorded=recorded)
        fixed = Fraction(chip.op_latency_ns(kind)) * count
        if OP_LATENCY_FIELD[kind] == param:
            slope += count
            intercept += transfer
        elif RATE_FIELD.get(kind) == param:
            slope += int(costs.work(kind, recorded=recorded)[chosen].astype(object).sum())
            intercept += fixed
        else:
            intercept += transfer + fixed
    return intercept, slope


def _confirm(
    at_value: Scenario, param: str, value: Fraction, specs: list[str], phase: str, math: bool
) -> BreakEven:
    latencies = [run_strategy(at_value, spec, math=math).phase(phase).latency_ns for spec in specs]
    if not isclose(latencies[0], latencies[1], rel_tol=1e-9, abs_tol=1e-9):
        raise ChipsimError(
            f"solved {param} = {float(value):g} ns, but simulating there gives "
            f"{specs[0]} {latencies[0]} ns and {specs[1]} {latencies[1]} ns"
        )
    return BreakEven(param, value, specs[0], specs[1], phase, latencies[0])
