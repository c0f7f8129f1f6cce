"""Questions asked of several runs: side-by-side comparison and ranking (break-even
points are in ``breakeven.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError, DiskReadError, Refusal
from ..model.costs import Costs
from ..planners import StrategySpec, make_plan, parse_spec
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
