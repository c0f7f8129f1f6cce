"""One simulation end to end: strategy spec → plan → engine → checked result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import ConfigError, DiskReadError, GradientMismatch
from ..model.chip import ChipConfig
from ..model.memory import check_math_memory
from ..model.network import GradientCheck, Network, check_seed
from ..model.networks import COURSE_LAYERS, COURSE_WIDTH, build_network, course_chain
from ..model.stages import Chain
from ..planners import STRATEGIES, StrategySpec, check_slots, make_plan, parse_spec, work
from ..progress import report
from ..sim.draws import Prices, Sampler
from ..sim.engine import execute, timed
from ..sim.plan import Plan
from ..sim.trace import Trace
from .results import PhaseSummary, Replications, RunResult

DEFAULT_WIDTH = COURSE_WIDTH


def simulate(
    strategy: str = "stride:k=5",
    chip: ChipConfig | Mapping[str, Any] | Any | None = None,
    *,
    layers: int | None = None,
    width: int | None = None,
    network: str | Chain | None = None,
    seed: int | None = None,
    math: bool = True,
    replications: int | None = None,
) -> RunResult:
    """Run a strategy on a chip with a seeded network; defaults are the course problem.

    ``chip`` is a ``ChipConfig``, a dict of chip fields (the rest keep the
    course's values) or a ``Scenario``, whose network and seed are then the
    defaults of ``network`` and ``seed`` (else the course's MLP and 0).
    The network is ``network`` (a spec such as ``mlp:widths=784,512,10`` or
    ``resnet18:batch=8``, or a Chain), or else the course's equal-width MLP
    of ``layers`` (10) layers of ``width`` (16). The strategy plans for the
    chip's expected costs on it (``chipsim.model.costs``); the run draws its own.
    Raises ``DoesNotFit`` before running when the plan needs more room than
    the chip has, ``GradientMismatch`` when the gradients differ in any bit
    from plain backprop, and ``DiskReadError`` when a disk read fails more
    than ``max_retries`` times. ``math=False`` simulates timing only: every
    model rule is still enforced and the trace is the same, but no weights
    are built, so nothing is computed or checked (``loss`` and
    ``max_abs_grad_diff`` are None); a network without numpy math (the zoo,
    stage tables) always runs so. ``replications=N`` also runs N seeded
    draws of the timing (the first is this run) and summarises them; a later
    draw whose read fails is counted as failed, not raised.
    """
    chip, network, seed = _chip_network_seed(chip, network, seed, (layers, width))
    spec = parse_spec(strategy)
    chain = network_of(chip, network, layers, width)
    check_seed(seed)
    if replications is not None and (
        isinstance(replications, bool) or not isinstance(replications, int) or replications < 1
    ):
        raise ConfigError(f"replications must be a whole number >= 1, got {replications!r}")
    math = math and chain.has_math
    if math:
        check_math_memory(chain)
    full_backprop = chip.training.lowest_trained(chain) <= 1  # the closed forms' case
    if chain.equal_width is not None and full_backprop:  # refused before it is built
        check_slots(spec.name, str(spec), chain.layers, chip, dict(spec.params))
    prices = _prices_first(spec, chain, chip) if not math else None
    plan = make_plan(spec, chain, chip)
    work.check_run(str(spec), len(plan), chip, math)
    if replications is not None:
        work.check_replications(replications, len(plan))
    model = chain.model(seed) if math else None
    trained = chip.training.trained(model) if model is not None else None
    check = None if model is None else GradientCheck(model, trained)  # layer by layer
    execution = execute(
        plan,
        chip,
        model or chain,
        seed=seed,
        keep_gradients=False,
        on_gradients=check,
        prices=prices,
    )
    difference = None
    if check is not None:
        assert check.layers_checked == (chain.layers if trained is None else int(trained.sum()))
        difference = check.max_abs_difference
        if difference != 0.0:
            raise GradientMismatch(
                f"{spec}: weight gradients differ from plain backprop by up to {difference!r}"
            )
    trace = execution.trace
    spread = None
    if replications is not None:
        spread = _replicate(plan, chip, chain, seed, trace, replications, prices)
    return RunResult(
        strategy=str(spec),
        layers=chain.layers,
        width=chain.equal_width,
        seed=seed,
        chip=chip,
        plan=plan,
        trace=trace,
        forward=PhaseSummary(trace.latency_ns("forward"), trace.counts("forward")),
        backward=PhaseSummary(trace.latency_ns("backward"), trace.counts("backward")),
        loss=execution.loss,
        max_abs_grad_diff=difference,
        replications=spread,
        network=chain,
    )


def _chip_network_seed(
    chip: Any, network: str | Chain | None, seed: int | None, sizes: tuple[int | None, ...]
) -> tuple[ChipConfig, str | Chain | None, int]:
    """``simulate``'s chip argument as a ChipConfig, with a scenario's network and seed
    (not the course MLP's when ``sizes``, layers and width, resize it)."""
    if chip is None or isinstance(chip, ChipConfig):
        return chip or ChipConfig(), network, 0 if seed is None else seed
    if isinstance(chip, Mapping):
        return ChipConfig().replace(chip), network, 0 if seed is None else seed
    if isinstance(getattr(chip, "chip", None), ChipConfig) and hasattr(chip, "chain"):
        scenario = chip  # a Scenario (not imported: it imports this module)
        resized = scenario.network is None and sizes != (None, None)
        mine = network if network is not None or resized else scenario.chain
        return scenario.chip, mine, scenario.seed if seed is None else seed
    raise ConfigError(
        f"chip must be a ChipConfig, a dict of chip fields or a Scenario, got {chip!r}"
    )


def _prices_first(spec: StrategySpec, chain: Chain, chip: ChipConfig) -> Prices | None:
    """The chip's prices for a timing-only run of a built-in strategy, made before its
    plan so that pricing a long chain and building its plan never hold memory at once
    (None for a plug-in). A plan the work limits refuse is refused first, as
    ``make_plan`` would."""
    if spec.name not in STRATEGIES:
        return None
    work.check_plan(spec.name, str(spec), dict(spec.params), chain, chip)
    return Prices(chip, chain)


def _replicate(
    plan: Plan,
    chip: ChipConfig,
    chain: Chain,
    seed: int,
    first: Trace,
    count: int,
    prices: Prices | None = None,
) -> Replications:
    """``count`` draws of the run's timing, ``first`` (the run itself) included."""
    latencies, energies = [first.latency_ns("backward")], [_energy(first)]
    sampler, failed = Sampler(plan, chip, chain, seed, prices), 0
    for replication in range(1, count):
        report("replications", replication + 1, count)
        try:
            again = timed(plan, chip, sampler.draw(replication), chain)
            latencies.append(again.latency_ns("backward"))
            energies.append(_energy(again))
        except DiskReadError:
            failed += 1
    energy = np.asarray(energies) if first.has_energy else None
    return Replications(np.asarray(latencies), failed, energy)


def network_of(
    chip: ChipConfig, network: str | Chain | None, layers: int | None, width: int | None
) -> Chain:
    """The chain a run simulates: ``network``, or the course's MLP of ``layers`` × ``width``."""
    if network is None:
        layers = COURSE_LAYERS if layers is None else layers
        width = DEFAULT_WIDTH if width is None else width
        Network.check_size(layers, width, 0)
        return course_chain(layers, width, dtype_bytes=chip.dtype_bytes)
    if layers is not None or width is not None:
        raise ConfigError(
            "layers and width size the course's MLP; the network given sets its own "
            "(mlp:widths=... or mlp:layers=L,width=S)"
        )
    return (
        network
        if isinstance(network, Chain)
        else build_network(network, dtype_bytes=chip.dtype_bytes)
    )


def _energy(trace: Trace) -> float:
    return trace.total_energy_nj if trace.has_energy else 0.0


__all__ = ["DEFAULT_WIDTH", "PhaseSummary", "Replications", "RunResult", "network_of", "simulate"]
