"""The engine (mechanism): runs any Plan on a simulated Chip with real math.

Each op waits for its port, holds it for the op's latency, then commits its
effect: arrays move between inputs, buffer, disk and registers, and ``fwd``
and ``bwd`` run the network's numpy layer math. Preconditions are checked
when the op starts; a broken rule is a ``ModelViolation`` naming the op,
never a silent fix-up. Between the phases the loss is evaluated on a(L),
which seeds the gradient register for backprop.

This is the serial mode of SPEC.md: one SimPy process walks the plan, so one
op runs at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

import simpy

from .chip import Chip, ChipConfig
from .errors import ModelViolation
from .network import LayerGradients, Network
from .ops import OP_PORT, Op
from .plan import PHASES, Plan
from .trace import Trace

Commit = Callable[[], None]


@dataclass(frozen=True)
class Execution:
    """What running a plan produced: its trace, the loss and each layer's gradients."""

    trace: Trace
    loss: float
    gradients: list[LayerGradients]  # index l-1 holds layer l


def execute(plan: Plan, config: ChipConfig, network: Network) -> Execution:
    """Run ``plan`` on a fresh chip; refuses a plan that does not fit before it starts."""
    if plan.layers != network.layers:
        raise ModelViolation(
            f"{plan.strategy}: the plan is for L={plan.layers} but the network has "
            f"{network.layers} layers"
        )
    plan.check_fits(config)
    run = _Run(plan, Chip(config), network)
    process = run.chip.env.process(run.process())
    try:
        run.chip.env.run(until=process)
    except RuntimeError as error:  # SimPy: the run ended with the process still waiting
        raise ModelViolation(
            f"{plan.strategy}: the simulation deadlocked at {run.where}"
        ) from error
    return Execution(run.trace, run.loss, run.gradients)


class _Run:
    """The state of one plan's execution on one chip."""

    def __init__(self, plan: Plan, chip: Chip, network: Network) -> None:
        self.plan, self.chip, self.network = plan, chip, network
        self.trace = Trace()
        self.loss = float("nan")
        self.gradients: list[LayerGradients | None] = [None] * network.layers
        self.where = "the start"
        chip.inputs.a0 = network.input
        self._handlers: dict[str, Callable[[int], Commit]] = {
            "fwd": self._fwd,
            "bwd": self._bwd,
            "storemem": self._storemem,
            "loadmem": self._loadmem,
            "storedisk": self._storedisk,
            "loaddisk": self._loaddisk,
            "free": self._free,
        }

    def process(self) -> Generator[simpy.Event, object, None]:
        env = self.chip.env
        for phase in PHASES:
            phase_start = env.now
            for index, op in enumerate(self.plan.phase(phase)):
                self.where = f"op {index} of the {phase} phase, `{op}`"
                yield from self._run_op(phase, op)
            if phase == "forward":
                self._evaluate_loss()
            self.trace.close_phase(phase, phase_start, env.now)
        self._check_complete()

    def _run_op(self, phase: str, op: Op) -> Generator[simpy.Event, object, None]:
        env = self.chip.env
        port = OP_PORT[op.kind]
        with self.chip.ports[port].request() as grant:
            yield grant
            start = env.now
            try:
                commit = self._handlers[op.kind](op.layer)
            except ModelViolation as error:
                raise ModelViolation(f"{self.plan.strategy}: {self.where}: {error}") from None
            yield env.timeout(self.chip.config.op_latency_ns(op.kind))
            commit()
            self.trace.record(phase, op.kind, op.layer, port, start, env.now, len(self.chip.buffer))

    # Op handlers: check preconditions now, return the effect to commit at the end.

    def _fwd(self, layer: int) -> Commit:
        previous = self.chip.registers.require_activation(layer - 1)
        return lambda: self.chip.registers.set_activation(
            layer, self.network.forward(layer, previous)
        )

    def _bwd(self, layer: int) -> Commit:
        previous = self.chip.registers.require_activation(layer - 1)
        upstream = self.chip.registers.require_gradient(layer)

        def commit() -> None:
            gradient, self.gradients[layer - 1] = self.network.backward(layer, previous, upstream)
            self.chip.registers.set_gradient(layer - 1, gradient)

        return commit

    def _storemem(self, layer: int) -> Commit:
        value = self.chip.registers.require_activation(layer)
        buffer = self.chip.buffer
        buffer.store(layer, value)  # checks room now; the slot is taken from the start
        return _nothing

    def _loadmem(self, layer: int) -> Commit:
        place = self.chip.inputs if layer == 0 else self.chip.buffer
        value = place.load(layer)
        return lambda: self.chip.registers.set_activation(layer, value)

    def _storedisk(self, layer: int) -> Commit:
        value = self.chip.registers.require_activation(layer)
        return lambda: self.chip.disk.store(layer, value)

    def _loaddisk(self, layer: int) -> Commit:
        value = self.chip.disk.load(layer)
        return lambda: self.chip.registers.set_activation(layer, value)

    def _free(self, layer: int) -> Commit:
        self.chip.buffer.free(layer)
        return _nothing

    # Phase boundaries.

    def _evaluate_loss(self) -> None:
        layers = self.plan.layers
        try:
            output = self.chip.registers.require_activation(layers)
        except ModelViolation as error:
            raise ModelViolation(
                f"{self.plan.strategy}: the forward phase must end with a{layers} in registers "
                f"to compute the loss: {error}"
            ) from None
        self.loss, gradient = self.network.loss(output)
        self.chip.registers.set_gradient(layers, gradient)

    def _check_complete(self) -> None:
        reached = self.chip.registers.gradient_layer
        if reached != 0:
            raise ModelViolation(
                f"{self.plan.strategy}: the plan ends before backprop reaches layer 1 "
                f"(the last gradient computed is dL/da{reached})"
            )


def _nothing() -> None:
    return None
