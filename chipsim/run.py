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
    loss: float
    max_abs_grad_diff: float

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
) -> RunResult:
    """Run a strategy on a chip with a seeded network; defaults are the course problem.

    Raises ``DoesNotFit`` before running when the plan needs more buffer slots
    than the chip has, and ``GradientMismatch`` when the gradients differ in
    any bit from plain backprop.
    """
    chip = chip if chip is not None else ChipConfig()
    spec = parse_spec(strategy)
    network = Network(layers, width, seed)
    plan = make_plan(spec, layers, chip)
    execution = execute(plan, chip, network)
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
