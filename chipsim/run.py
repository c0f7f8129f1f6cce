"""One simulation end to end: strategy spec → plan → engine → checked result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .chip import ChipConfig
from .engine import execute
from .errors import GradientMismatch
from .network import Network, max_abs_difference
from .plan import PHASES, Plan
from .strategies import make_plan, parse_spec
from .trace import Trace

DEFAULT_WIDTH = 16


@dataclass(frozen=True)
class PhaseSummary:
    """Latency and op counts (every kind listed) of one phase."""

    latency_ns: int | float
    ops: dict[str, int]


@dataclass(frozen=True)
class RunResult:
    """A finished, gradient-checked run."""

    strategy: str
    layers: int
    width: int
    seed: int
    chip: ChipConfig
    plan: Plan
    trace: Trace
    forward: PhaseSummary
    backward: PhaseSummary
    loss: float | None  # None: the run skipped the math
    max_abs_grad_diff: float | None

    @property
    def math(self) -> bool:
        """Whether the run did the numpy math (and checked its gradients)."""
        return self.max_abs_grad_diff is not None

    @property
    def peak_buffer_slots(self) -> int:
        return self.trace.peak_buffer_slots

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
            "layers": self.layers,
            "width": self.width,
            "seed": self.seed,
            "chip": self.chip.as_dict(),
            **{
                name: {"latency_ns": self.phase(name).latency_ns, "ops": self.phase(name).ops}
                for name in PHASES
            },
            "peak_buffer_slots": self.peak_buffer_slots,
            "buffer_slots_needed": self.plan.buffer_slots_needed,
            "math": self.math,
            "loss": self.loss,
            "max_abs_grad_diff": self.max_abs_grad_diff,
        }


def simulate(
    strategy: str = "stride:k=5",
    chip: ChipConfig | None = None,
    *,
    layers: int = 10,
    width: int = DEFAULT_WIDTH,
    seed: int = 0,
    math: bool = True,
) -> RunResult:
    """Run a strategy on a chip with a seeded network; defaults are the course problem.

    Raises ``DoesNotFit`` before running when the plan needs more buffer slots
    than the chip has, and ``GradientMismatch`` when the gradients differ in
    any bit from plain backprop. ``math=False`` simulates timing only: every
    model rule is still enforced and the trace is the same, but no network is
    built, so nothing is computed or checked (``loss`` and
    ``max_abs_grad_diff`` are None).
    """
    chip = chip if chip is not None else ChipConfig()
    spec = parse_spec(strategy)
    Network.check_size(layers, width, seed)
    plan = make_plan(spec, layers, chip)
    network = Network(layers, width, seed) if math else None
    execution = execute(plan, chip, network)
    difference = None
    if network is not None:
        assert execution.gradients is not None
        difference = max_abs_difference(execution.gradients, network.reference_gradients())
        if difference != 0.0:
            raise GradientMismatch(
                f"{spec}: weight gradients differ from plain backprop by up to {difference!r}"
            )
    trace = execution.trace
    return RunResult(
        strategy=str(spec),
        layers=layers,
        width=width,
        seed=seed,
        chip=chip,
        plan=plan,
        trace=trace,
        forward=PhaseSummary(trace.latency_ns("forward"), trace.counts("forward")),
        backward=PhaseSummary(trace.latency_ns("backward"), trace.counts("backward")),
        loss=execution.loss,
        max_abs_grad_diff=difference,
    )
