"""Questions asked of several runs: side-by-side comparison and break-even points."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import isclose

from ..errors import (
    ChipsimError,
    ConfigError,
    DiskReadError,
    NoBreakEven,
    Refusal,
    did_you_mean,
)
from ..model.chip import BANDWIDTH_FIELDS, LATENCY_FIELDS
from ..model.costs import PRICE_KINDS, Costs
from ..model.ops import OP_LATENCY_FIELD, RECORDED_BWD
from ..planners import StrategySpec, make_plan, parse_spec
from ..sim.plan import PHASES, Plan
from .run import RunResult, simulate
from .scenario import Scenario


@dataclass(frozen=True)
class Outcome:
    """One strategy on one scenario: a result, or why it could not run.

    ``refusal`` says why there is no result: the Refusal that stopped it
    before running (it does not fit the chip, or it is too large to plan),
    or the DiskReadError of a read that failed past its retries.
    ``gap_to_optimal_pct`` is how much slower its backward phase is than the
    ``optimal`` plan's, in percent (None when it did not run, when the
    optimum could not be planned, or when the optimum is 0 ns and it is not).
    """

    strategy: str
    result: RunResult | None
    refusal: Refusal | DiskReadError | None
    gap_to_optimal_pct: float | None = None
    reference: str | None = None  # "optimal over N units" when the best optimum was cut so

    @property
    def gap_reference(self) -> str:
        """What the gap is measured against: ``optimal``, ``optimal over N units`` when the
        best optimum compared planned a byte budget over N memory units (it can then be
        beaten), or ``approximate optimum`` when the chain is beyond the exact planner
        and ``optimal`` planned it periodically."""
        if self.reference is not None:
            return self.reference
        if self.result is None:
            return OPTIMUM
        chip, chain = self.result.chip, self.result.chain
        if not Costs(chip, chain).uniform:  # the byte planner is exact or refuses
            return OPTIMUM
        from ..planners.periodic import is_exact  # the planners load only when used

        return OPTIMUM if is_exact(chain.layers, chip.slots_for(chain)) else "approximate optimum"


def run_strategy(
    scenario: Scenario, strategy: str, *, math: bool = True, replications: int | None = None
) -> RunResult:
    """``simulate`` with the scenario's network and chip."""
    return simulate(
        strategy,
        scenario.chip,
        network=scenario.chain,
        seed=scenario.seed,
        math=math,
        replications=replications,
    )


#: The strategy whose backward latency every gap is measured against.
OPTIMUM = "optimal"


def optimal_backward_ns(scenario: Scenario) -> int | float:
    """The least backward latency any plan achieves on the scenario (planned, not run).

    Beyond the exact planner's reach this is the periodic approximation's
    (``Outcome.gap_reference`` says which).
    """
    chip, chain = scenario.chip, scenario.chain
    return make_plan(OPTIMUM, chain, chip).latency_ns(Costs(chip, chain), "backward")


def compare(
    scenario: Scenario,
    strategies: str | list[str],
    *,
    math: bool = True,
    replications: int | None = None,
) -> list[Outcome]:
    """Run each strategy and give its backward gap to the optimum.

    A strategy that cannot run here (a Refusal) is reported, not raised. The
    optimum is planned once: taken from the ``optimal`` run when that is
    compared, else planned on its own; when it is too large to plan, every
    gap is None.
    """
    if isinstance(strategies, str):  # one spec, not its characters
        strategies = [strategies]
    specs = [parse_spec(strategy) for strategy in strategies]
    runs = [_run_or_refusal(scenario, str(spec), math, replications) for spec in specs]
    optima = [(spec, run) for spec, run in zip(specs, runs, strict=True) if _is_optimum(spec)]
    best, reference = _optimum(scenario, optima)
    outcomes = []
    for spec, run in zip(specs, runs, strict=True):
        if not isinstance(run, RunResult):
            outcomes.append(Outcome(str(spec), None, run))
        else:
            outcomes.append(Outcome(str(spec), run, None, _gap(run, best), reference))
    return outcomes


def _run_or_refusal(
    scenario: Scenario, spec: str, math: bool, replications: int | None
) -> RunResult | Refusal | DiskReadError:
    try:
        return run_strategy(scenario, spec, math=math, replications=replications)
    except (Refusal, DiskReadError) as refusal:
        return refusal


def _is_optimum(spec: StrategySpec) -> bool:
    """Whether the spec is ``optimal`` minimising the backward phase (however spelled)."""
    return spec.name == OPTIMUM and dict(spec.params).get("objective", "backward") == "backward"


def _optimum(
    scenario: Scenario, optima: list[tuple[StrategySpec, RunResult | Refusal | DiskReadError]]
) -> tuple[int | float | None, str | None]:
    """The best optimum's backward latency and, when it was planned over memory units,
    its label: the fastest of the compared ``optimal`` runs (whatever their units), else
    plain ``optimal`` planned; None when none can be planned."""
    ran = [(spec, run) for spec, run in optima if isinstance(run, RunResult)]
    if ran:
        spec, run = min(ran, key=lambda pair: (pair[1].backward.latency_ns, -_units(pair[0])))
        return run.backward.latency_ns, _reference(scenario, spec)
    if optima:  # each refused: planning again would refuse the same way
        return None, None
    try:
        return optimal_backward_ns(scenario), _reference(scenario, parse_spec(OPTIMUM))
    except Refusal:
        return None, None


def _units(spec: StrategySpec) -> int:
    """The memory units an ``optimal`` spec plans over: of tied optima, the finest is shown."""
    from ..planners.optimal import BYTE_UNITS

    return int(dict(spec.params).get("units", BYTE_UNITS))


def _reference(scenario: Scenario, spec: StrategySpec) -> str | None:
    """``optimal over N units`` when ``spec`` plans this scenario over N memory units."""
    from ..planners.optimal import discretised_units

    units = dict(spec.params).get("units")
    count = discretised_units(scenario.chain, scenario.chip, units)  # type: ignore[arg-type]
    return None if count is None else f"optimal over {count} units"


def _gap(result: RunResult, best: int | float | None) -> float | None:
    """Percent by which the run's backward latency exceeds ``best`` (None if unknown)."""
    latency = result.backward.latency_ns
    if best is None:
        return None
    if best:
        return 100 * (latency - best) / best
    return 0.0 if latency == 0 else None


#: What ``rank`` can order strategies by: the run's backward latency, or a
#: statistic of its replications' backward latencies.
RANKINGS: tuple[str, ...] = ("backward", "mean", "p50", "p95", "p99", "max")


def rank(outcomes: list[Outcome], by: str) -> list[Outcome]:
    """Fastest first by ``by`` (see RANKINGS); strategies that did not run go last."""
    if by not in RANKINGS:
        raise ConfigError(f"cannot rank by {by!r}; valid: {', '.join(RANKINGS)}")

    def key(outcome: Outcome) -> float:
        result = outcome.result
        assert result is not None
        if by == "backward":
            return result.backward.latency_ns
        if result.replications is None:
            raise ConfigError(f"ranking by {by} needs replications (e.g. --replications 1000)")
        return result.replications.summary()[by]

    ran = [outcome for outcome in outcomes if outcome.result is not None]
    return sorted(ran, key=key) + [outcome for outcome in outcomes if outcome.result is None]


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
