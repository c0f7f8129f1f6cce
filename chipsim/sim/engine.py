"""The engine (mechanism): runs any Plan on a simulated Chip, with or without the math.

A run has two halves, both owned here:

1. **What happens**, in plan order: each op checks the model's rules against
   the chip's storage places and registers, moves the real numpy arrays
   between inputs, buffer, disk, registers and staging, and ``fwd``/``bwd``
   run the network's layer math. A broken rule is a ``ModelViolation``
   naming the op, never a silent fix-up. Between the phases the loss is
   evaluated on a(L), seeding the gradient register.
2. **When it happens**: each op's duration (fixed, or drawn with its
   retries, ``chipsim.sim.draws``) and its start. In ``serial`` mode, SPEC.md's
   default, one op runs at a time, so each starts when the previous one
   ends: the times are a running sum, and no op costs a SimPy event. In
   ``overlapped`` mode each op starts when its data, its port and its
   staging register are ready: a SimPy simulation with one process per
   port, at most one SimPy timeout per op, one per chain of ops that each
   start when the one before ends (``chipsim.sim.overlap``).

Timing cannot change what is computed: overlapped runs respect every data
dependency, so the math of plan order is the math of the run.

A network without numpy math (a stage table; ``network=None`` is the
course's) runs timing only: every rule still enforced, the same trace and
op counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError, ModelViolation
from ..model.chip import ChipConfig
from ..model.costs import Costs
from ..model.network import LayerGradients, NumpyNetwork
from ..model.networks import course_chain
from ..model.ops import OP_KINDS
from ..model.stages import Chain
from .draws import Draws, Prices, Sampler, read_failure
from .machine import Chip
from .overlap import schedule
from .plan import PHASES, Plan
from .plan_memory import BLOCK_OPS, use_of
from .trace import Trace
from .trace_rows import Durations


@dataclass(frozen=True)
class Execution:
    """What running a plan produced: its trace, and with math the loss and gradients."""

    trace: Trace
    loss: float | None
    gradients: list[LayerGradients] | None  # index l-1 holds layer l; None unless kept


def execute(
    plan: Plan,
    config: ChipConfig,
    network: Chain | None = None,
    *,
    width: int | None = None,
    seed: int = 0,
    replication: int = 0,
    keep_gradients: bool = True,
    on_gradients: Callable[[int, LayerGradients], None] | None = None,
    prices: Prices | None = None,
) -> Execution:
    """Run ``plan`` on a fresh chip; refuses a plan that does not fit before it starts.

    ``network`` gives the sizes and work that price each op and fill the
    buffer; a ``NumpyNetwork`` also runs its math. Without one the network
    is the course's equal-width MLP at ``width`` (needed when the chip
    prices bandwidth). ``seed`` and ``replication`` pick the draws of a chip
    with jitter or faults. Raises ``DiskReadError`` when a disk read fails
    more than ``max_retries`` times. With math, each ``bwd`` hands its layer's
    weight gradients to ``on_gradients(layer, gradients)`` (L down to 1) and
    the Execution keeps them all unless ``keep_gradients=False``, which
    spares a second network's worth of memory. ``prices`` (``draws.Prices`` of
    ``config`` for ``network``) spares pricing the network again: a long run
    prices it before it plans, when least else is held.
    """
    chain = network if network is not None else _equal_width(plan, config, width)
    if plan.layers != chain.layers:
        raise ModelViolation(
            f"{plan.strategy}: the plan is for L={plan.layers} but the network has "
            f"{chain.layers} layers"
        )
    plan.check_fits(config, chain)
    model = chain if isinstance(chain, NumpyNetwork) else None
    trained = config.training.trained(chain)
    run = _Run(plan, Chip(config, chain), model, keep_gradients, on_gradients, trained)
    run.apply()
    sampler = Sampler(plan, config, chain, seed, prices)
    trace = timed(plan, config, sampler.draw(replication), chain)
    gradients = None if model is None or not keep_gradients else run.gradients
    return Execution(trace, run.loss, gradients)  # type: ignore[arg-type]


def _equal_width(plan: Plan, config: ChipConfig, width: int | None) -> Chain:
    if width is None:
        if config.uses_bandwidth:
            raise ConfigError("the chip prices bytes and multiply-adds: give the network's width")
        width = 1  # prices nothing without bandwidths
    return course_chain(plan.layers, width, dtype_bytes=config.dtype_bytes)


def timed(plan: Plan, config: ChipConfig, draws: Draws, chain: Chain | None = None) -> Trace:
    """When each op of a plan that ``execute`` ran runs, for one draw of its timing.

    What happens does not depend on timing, so replications of a run redraw
    only this; ``chain`` fills the trace's byte columns. Raises
    ``DiskReadError`` when a read fails past its retries.
    """
    if config.mode == "serial":  # each op starts when the previous one ends
        times: Durations | tuple[np.ndarray, np.ndarray] = draws.durations
    else:
        times = schedule(Chip(config, chain), plan, draws.attempts, draws.durations_ns)
    if draws.failed_op is not None:
        raise read_failure(plan, config, draws, times)
    sizes = None if chain is None else chain.activation_bytes
    energy = None
    if config.has_energy and chain is not None:
        costs = Costs(config, chain)
        energy = (costs.priced_energy_nj, costs.static_nj_per_ns)
    trace = Trace.of(plan, draws.attempts, times, sizes, energy)
    if config.memory_bytes is not None and chain is not None:
        trace.add_memory(plan.record, use_of(plan, config, chain).total, draws.attempts)
    return trace


_KIND_NAMES = np.array(OP_KINDS, dtype=object)  # a code column to names in one pass


def _phase_ops(
    plan: Plan, phase: str, block_ops: int = BLOCK_OPS
) -> Iterator[tuple[str, int, bool, bool]]:
    """(kind, layer, staged, record) of each op of a phase, read from the columns a block
    at a time: a long plan never exists as Python lists the plan's length."""
    first, last, _ = plan.phase_slice(phase).indices(len(plan))
    starts = range(first, last, block_ops)
    return itertools.chain.from_iterable(
        _op_block(plan, slice(lo, min(lo + block_ops, last))) for lo in starts
    )


def _op_block(plan: Plan, ops: slice) -> Iterator[tuple[str, int, bool, bool]]:
    kinds = _KIND_NAMES[plan.kind_codes[ops]].tolist()
    layers, staged = plan.layer_numbers[ops].tolist(), plan.staged[ops].tolist()
    return zip(kinds, layers, staged, plan.record[ops].tolist(), strict=True)


class _Run:
    """The state of one plan's execution on one chip."""

    def __init__(
        self,
        plan: Plan,
        chip: Chip,
        network: NumpyNetwork | None,
        keep_gradients: bool = True,
        on_gradients: Callable[[int, LayerGradients], None] | None = None,
        trained: np.ndarray | None = None,
    ) -> None:
        self.plan, self.chip, self.network = plan, chip, network
        self.trained = np.ones(plan.layers + 1, dtype=bool) if trained is None else trained
        self.lowest = int(np.argmax(self.trained[1:])) + 1  # backprop ends at its bwd
        self.loss: float | None = None
        self.gradients: list[LayerGradients | None] = [None] * plan.layers
        self.keep_gradients, self.on_gradients = keep_gradients, on_gradients
        self.recorded: dict[int, Any] = {}  # stage → the saved tensors a recording fwd kept
        chip.inputs.a0 = None if network is None else network.input

    def apply(self) -> None:
        """Carry out every op in plan order: the rules and the math, no timing."""
        for phase in PHASES:
            self._walk(phase)
            if phase == "forward":
                self._evaluate_loss()
        self._check_complete()

    def _walk(self, phase: str) -> None:
        """Apply each op of a phase in order, enforcing the rules as it goes."""
        chip, plan = self.chip, self.plan
        registers, buffer, disk = chip.registers, chip.buffer, chip.disk
        ops, math = _phase_ops(plan, phase), self.network is not None
        index, kind, layer, staged = 0, "", 0, False  # named in a broken rule's message
        try:
            for index, (kind, layer, staged, record) in enumerate(ops):  # noqa: B007
                if kind == "fwd":  # the most common op: its rules inline, the math if any
                    if staged:
                        previous = registers.take_staged(layer - 1)
                    elif registers.activation_layer != layer - 1:
                        previous = registers.require_activation(layer - 1)  # raises
                    else:
                        previous = registers.activation
                    value = self._forward(layer, previous, record) if math else None
                    registers.activation_layer, registers.activation = layer, value
                elif kind == "loadmem" or kind == "loaddisk":
                    if kind == "loaddisk":
                        value = disk.load(layer)
                    else:
                        value = (chip.inputs if layer == 0 else buffer).load(layer)
                    if staged:
                        registers.stage(layer, value)
                    else:
                        registers.activation_layer, registers.activation = layer, value
                elif kind == "bwd":
                    if staged:
                        previous = registers.take_staged(layer - 1)
                    elif registers.activation_layer != layer - 1:
                        previous = registers.require_activation(layer - 1)  # raises
                    else:
                        previous = registers.activation
                    if registers.gradient_layer != layer:
                        registers.require_gradient(layer)  # raises
                    upstream = registers.gradient
                    value = self._backward(layer, previous, upstream) if math else None
                    registers.gradient_layer, registers.gradient = layer - 1, value
                elif kind == "storemem":
                    buffer.store(layer, registers.require_activation(layer))
                elif kind == "free":
                    buffer.free(layer)
                else:  # storedisk: Plan admits only the seven kinds
                    disk.store(layer, registers.require_activation(layer))
        except ModelViolation as error:
            op = f"{kind} {layer}" + (" (prefetch)" if staged and kind.startswith("load") else "")
            raise ModelViolation(
                f"{plan.strategy}: op {index} of the {phase} phase, `{op}`: {error}"
            ) from None

    def _forward(self, layer: int, previous: Any, record: bool) -> Any:
        """a(layer); a recording forward keeps the stage's saved tensors for its bwd."""
        if self.network is None:
            if record:
                self.recorded[layer] = None
            return None
        if not record:
            return self.network.forward(layer, previous)
        value, self.recorded[layer] = self.network.record(layer, previous)
        return value

    def _backward(self, layer: int, previous: Any, upstream: Any) -> Any:
        """dL/da(layer-1), from the recorded saved tensors or recomputing them."""
        saved = self.recorded.pop(layer, None)
        if self.network is None:
            return None
        gradient, weights = self.network.backward(layer, previous, upstream, saved)
        if self.trained[layer]:  # a frozen stage passes its input gradient on, nothing more
            self._produced(layer, weights)
        return gradient

    def _produced(self, layer: int, gradients: LayerGradients) -> None:
        """A bwd's weight gradients: kept, handed on, or both."""
        if self.keep_gradients:
            self.gradients[layer - 1] = gradients
        if self.on_gradients is not None:
            self.on_gradients(layer, gradients)

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
        if reached != self.lowest - 1:
            raise ModelViolation(
                f"{self.plan.strategy}: the plan ends before backprop reaches layer "
                f"{self.lowest} (the last gradient computed is dL/da{reached})"
            )
        unused = sorted(self.chip.registers.staged)
        if unused:
            raise ModelViolation(
                f"{self.plan.strategy}: a{unused[0]} was prefetched into staging and never used"
            )
