"""One simulation end to end: strategy spec → plan → engine → checked result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, DiskReadError, GradientMismatch
from ..model.chip import ChipConfig
from ..model.memory import check_math_memory
from ..model.network import GradientCheck, Network, check_seed
from ..model.networks import COURSE_LAYERS, COURSE_WIDTH, build_network, course_chain
from ..model.stages import Chain
from ..planners import check_slots, make_plan, parse_spec
from ..progress import report
from ..sim.draws import Sampler
from ..sim.engine import execute, timed
from ..sim.plan import PHASES, Plan
from ..sim.trace import Trace

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_WIDTH = COURSE_WIDTH


@dataclass(frozen=True)
class PhaseSummary:
    """Latency and op counts (every kind listed) of one phase."""

    latency_ns: int | float
    ops: dict[str, int]


@dataclass(frozen=True)
class Replications:
    """The backward latency of N replications of a run, each with its own draws.

    Replication i draws jitter and faults from the i-th child of the run's
    seed (``chipsim.sim.draws``); the math does not depend on them, so it runs
    and is checked once, in replication 0, the run itself. ``failed``
    replications had a disk read fail past its retries: they have no
    latency, and the statistics are over the others.
    """

    backward_latency_ns: np.ndarray
    failed: int = 0
    energy_nj: np.ndarray | None = None  # each run's whole energy, on a chip that declares it

    @property
    def n(self) -> int:
        """Replications run, the failed ones included."""
        return len(self.backward_latency_ns) + self.failed

    def summary(self, values: np.ndarray | None = None) -> dict[str, float]:
        """mean, min, p50, p95, p99, max (numpy's linear-interpolated percentiles) of
        the backward latencies, or of ``values`` (e.g. ``energy_nj``)."""
        values = self.backward_latency_ns if values is None else values
        p50, p95, p99 = np.percentile(values, [50, 95, 99]).tolist()
        return {
            "mean": float(values.mean()),
            "min": float(values.min()),
            "p50": p50,
            "p95": p95,
            "p99": p99,
            "max": float(values.max()),
        }


@dataclass(frozen=True)
class RunResult:
    """A finished, gradient-checked run.

    ``width`` is the one activation width of an equal-width network, else None.
    """

    strategy: str
    layers: int
    width: int | None
    seed: int
    chip: ChipConfig
    plan: Plan
    trace: Trace
    forward: PhaseSummary
    backward: PhaseSummary
    loss: float | None  # None: the run skipped the math
    max_abs_grad_diff: float | None
    replications: Replications | None = None
    network: Chain | None = None

    @property
    def chain(self) -> Chain:
        """The network's stage table (the course's MLP when none was named)."""
        if self.network is not None:
            return self.network
        assert self.width is not None
        return course_chain(self.layers, self.width, dtype_bytes=self.chip.dtype_bytes)

    @property
    def math(self) -> bool:
        """Whether the run did the numpy math (and checked its gradients)."""
        return self.max_abs_grad_diff is not None

    @property
    def peak_buffer_slots(self) -> int:
        return self.trace.peak_buffer_slots

    @property
    def peak_buffer_bytes(self) -> int:
        return self.trace.peak_buffer_bytes

    @property
    def buffer_bytes(self) -> int:
        """The buffer's capacity in bytes: the budget."""
        return self.chip.buffer_capacity_bytes(self.chain)

    @property
    def frame(self) -> pd.DataFrame:
        """The trace as a DataFrame."""
        return self.trace.frame()

    def phase(self, name: str) -> PhaseSummary:
        return {"forward": self.forward, "backward": self.backward}[name]

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``chipsim run --json``."""
        return {
            "strategy": self.strategy,
            "network": self.chain.name,
            "layers": self.layers,
            "width": self.width,
            "seed": self.seed,
            "chip": self.chip.as_dict(),
            **{name: self._phase_dict(name) for name in PHASES},
            **self._energy_dict(),
            "peak_buffer_slots": self.peak_buffer_slots,
            "buffer_slots_needed": self.plan.buffer_slots_needed,
            **({"notes": list(self.plan.notes)} if self.plan.notes else {}),
            "peak_buffer_bytes": self.peak_buffer_bytes,
            "buffer_bytes": self.buffer_bytes,
            "working_bytes": self.chain.working_bytes,
            "math": self.math,
            "loss": self.loss,
            "max_abs_grad_diff": self.max_abs_grad_diff,
            **(
                {}
                if self.replications is None
                else {
                    "replications": {
                        "n": self.replications.n,
                        "failed": self.replications.failed,
                        "backward_latency_ns": self.replications.summary(),
                        **self._replicated_energy(),
                    }
                }
            ),
        }

    def _phase_dict(self, name: str) -> dict[str, Any]:
        """A phase's latency, op counts and (on a chip that declares it) energy."""
        phase = self.phase(name)
        energy = {"energy_nj": self.trace.energy_of(name)} if self.trace.has_energy else {}
        return {"latency_ns": phase.latency_ns, "ops": phase.ops, **energy}

    def _energy_dict(self) -> dict[str, Any]:
        """The run's whole energy, static included: absent when the chip declares none."""
        if not self.trace.has_energy:
            return {}
        trace = self.trace
        static = trace.static_nj_per_ns * sum(trace.latency_ns(name) for name in PHASES)
        return {"energy_nj": trace.total_energy_nj, "static_energy_nj": static}

    def _replicated_energy(self) -> dict[str, Any]:
        assert self.replications is not None
        energy = self.replications.energy_nj
        return {} if energy is None else {"energy_nj": self.replications.summary(energy)}

    @property
    def energy_nj(self) -> float | None:
        """The whole run's energy in nJ (static included), or None without energy."""
        return self.trace.total_energy_nj if self.trace.has_energy else None


def simulate(
    strategy: str = "stride:k=5",
    chip: ChipConfig | None = None,
    *,
    layers: int | None = None,
    width: int | None = None,
    network: str | Chain | None = None,
    seed: int = 0,
    math: bool = True,
    replications: int | None = None,
) -> RunResult:
    """Run a strategy on a chip with a seeded network; defaults are the course problem.

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
    chip = chip if chip is not None else ChipConfig()
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
    if chain.equal_width is not None:  # a plan that cannot fit is refused before it is built
        check_slots(spec.name, str(spec), chain.layers, chip, dict(spec.params))
    plan = make_plan(spec, chain, chip)
    model = chain.model(seed) if math else None
    check = None if model is None else GradientCheck(model)  # layer by layer, nothing kept
    execution = execute(
        plan, chip, model or chain, seed=seed, keep_gradients=False, on_gradients=check
    )
    difference = None
    if check is not None:
        assert check.layers_checked == chain.layers
        difference = check.max_abs_difference
        if difference != 0.0:
            raise GradientMismatch(
                f"{spec}: weight gradients differ from plain backprop by up to {difference!r}"
            )
    trace = execution.trace
    spread = None
    if replications is not None:
        spread = _replicate(plan, chip, chain, seed, trace, replications)
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


def _replicate(
    plan: Plan, chip: ChipConfig, chain: Chain, seed: int, first: Trace, count: int
) -> Replications:
    """``count`` draws of the run's timing, ``first`` (the run itself) included."""
    latencies, energies = [first.latency_ns("backward")], [_energy(first)]
    sampler, failed = Sampler(plan, chip, chain, seed), 0
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
