"""The engine (mechanism): runs any Plan on a simulated Chip, with or without the math.

Each op checks the model's rules against the chip's storage places and
registers, moves the real numpy arrays between inputs, buffer, disk and
registers, and ``fwd``/``bwd`` run the network's layer math. A broken rule
is a ``ModelViolation`` naming the op, never a silent fix-up. Between the
phases the loss is evaluated on a(L), seeding the gradient register.

Timing is SPEC.md's serial mode: one op at a time, each starting when the
previous one ends. A SimPy process walks the plan phase by phase and holds
each phase for its latency; within a phase nothing else can happen, so the
ops do not each cost a SimPy event: their start and end times are the
running sum of their latencies (``Trace.serial``), exactly what a clock
advanced op by op gives.

``network=None`` runs timing only: no numpy, every rule still enforced, the
same trace and op counts.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import simpy

from .chip import Chip, ChipConfig
from .errors import ModelViolation
from .network import LayerGradients, Network
from .plan import PHASES, Plan
from .trace import Trace


@dataclass(frozen=True)
class Execution:
    """What running a plan produced: its trace, and with math the loss and gradients."""

    trace: Trace
    loss: float | None
    gradients: list[LayerGradients] | None  # index l-1 holds layer l


def execute(plan: Plan, config: ChipConfig, network: Network | None) -> Execution:
    """Run ``plan`` on a fresh chip; refuses a plan that does not fit before it starts."""
    if network is not None and plan.layers != network.layers:
        raise ModelViolation(
            f"{plan.strategy}: the plan is for L={plan.layers} but the network has "
            f"{network.layers} layers"
        )
    plan.check_fits(config)
    run = _Run(plan, Chip(config), network)
    trace = Trace.serial(plan, config)
    process = run.chip.env.process(run.process(trace))
    try:
        run.chip.env.run(until=process)
    except RuntimeError as error:  # SimPy: the run ended with the process still waiting
        raise ModelViolation(f"{plan.strategy}: the simulation deadlocked") from error
    gradients = None if network is None else run.gradients
    return Execution(trace, run.loss, gradients)  # type: ignore[arg-type]


class _Run:
    """The state of one plan's execution on one chip."""

    def __init__(self, plan: Plan, chip: Chip, network: Network | None) -> None:
        self.plan, self.chip, self.network = plan, chip, network
        self.loss: float | None = None
        self.gradients: list[LayerGradients | None] = [None] * plan.layers
        chip.inputs.a0 = None if network is None else network.input

    def process(self, trace: Trace) -> Generator[simpy.Event, object, None]:
        for phase in PHASES:
            self._walk(phase)
            yield self.chip.env.timeout(trace.latency_ns(phase))
            if phase == "forward":
                self._evaluate_loss()
        self._check_complete()

    def _walk(self, phase: str) -> None:
        """Apply each op of a phase in order, enforcing the rules as it goes."""
        chip, network = self.chip, self.network
        registers, buffer, disk = chip.registers, chip.buffer, chip.disk
        index, kind, layer = 0, "", 0  # named in the error message of a broken rule
        try:
            for index, (kind, layer) in enumerate(self.plan.phase_ops(phase)):  # noqa: B007
                if kind == "fwd":
                    previous = registers.require_activation(layer - 1)
                    value = None if network is None else network.forward(layer, previous)
                    registers.set_activation(layer, value)
                elif kind == "loadmem":
                    place = chip.inputs if layer == 0 else buffer
                    registers.set_activation(layer, place.load(layer))
                elif kind == "bwd":
                    previous = registers.require_activation(layer - 1)
                    upstream = registers.require_gradient(layer)
                    gradient = None
                    if network is not None:
                        gradient, self.gradients[layer - 1] = network.backward(
                            layer, previous, upstream
                        )
                    registers.set_gradient(layer - 1, gradient)
                elif kind == "storemem":
                    buffer.store(layer, registers.require_activation(layer))
                elif kind == "free":
                    buffer.free(layer)
                elif kind == "storedisk":
                    disk.store(layer, registers.require_activation(layer))
                else:  # loaddisk: Plan admits only the seven kinds
                    registers.set_activation(layer, disk.load(layer))
        except ModelViolation as error:
            raise ModelViolation(
                f"{self.plan.strategy}: op {index} of the {phase} phase, `{kind} {layer}`: {error}"
            ) from None

    def _evaluate_loss(self) -> None:
        layers = self.plan.layers
        try:
            output = self.chip.registers.require_activation(layers)
        except ModelViolation as error:
            raise ModelViolation(
                f"{self.plan.strategy}: the forward phase must end with a{layers} in registers "
                f"to compute the loss: {error}"
            ) from None
        gradient = None
        if self.network is not None:
            self.loss, gradient = self.network.loss(output)
        self.chip.registers.set_gradient(layers, gradient)

    def _check_complete(self) -> None:
        reached = self.chip.registers.gradient_layer
        if reached != 0:
            raise ModelViolation(
                f"{self.plan.strategy}: the plan ends before backprop reaches layer 1 "
                f"(the last gradient computed is dL/da{reached})"
            )
