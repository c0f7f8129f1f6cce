"""What fits the chip's one memory: the largest batch, and the smallest memory at a batch.

For each strategy, the table Checkmate reports (Jain et al., "Checkmate: Breaking
the Memory Wall with Optimal Tensor Rematerialization", MLSys 2020, the
max-batch table): the largest batch that trains within ``memory_bytes`` and the
step time there (forward + backward latency, simulated), and the smallest
``memory_bytes`` that trains the network at its own batch.

A strategy *fits* ``memory_bytes`` when it plans under it (revolve and optimal
keep their checkpoints in the room the rest leaves) and the plan's peak in the
one memory (``chipsim.sim.plan_memory.use_of``, every role) is at most
``memory_bytes``, staging included (``Plan.check_fits``).

- **Largest batch**, for a network spec with a ``batch`` parameter (the zoo):
  batch 1, 2, 4, … while it fits, then bisection on the integer batch between
  the last that fits and the first that does not, up to ``MAX_BATCH``
  (``chipsim.limits.MAX_DIMENSION``, the most any one size of a spec may be). A
  batch at which the network cannot be built (its totals past
  ``chipsim.limits.MAX_TOTAL``) does not fit. The answer fits and one more does not.
- **Smallest memory**: the least ``memory_bytes`` at which the strategy, planning
  under it, fits. A plan that does not depend on the budget (e.g. full-store,
  stride, disk-offload) gives its peak at once (it fits there, one byte less
  does not); for one that does (e.g. revolve, optimal), bisection on
  ``memory_bytes`` between 0 and a memory roomy enough to keep every activation
  and every recorded tensor (``roomy_bytes``, raised to what a plan says it
  needs where that is more). The answer fits and one byte less does not.

Both searches assume that fitting is monotone (in batch, and in memory);
each answer is checked at its edge, as said.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..errors import ConfigError, DoesNotFit, Refusal
from ..limits import MAX_DIMENSION, MAX_TOTAL
from ..model import specs
from ..model.chip import ChipConfig
from ..model.networks import NETWORKS, is_stage_file, parse_network
from ..model.stages import Chain
from ..model.training_memory import checkpoint_room
from ..planners import DEFAULT_COMPARISON, make_plan, parse_spec
from ..progress import report
from ..sim.plan_memory import use_of
from .run import network_of, simulate
from .scenario import Scenario

#: The largest batch searched: any one size a network spec gives is at most this.
MAX_BATCH = MAX_DIMENSION


@dataclass(frozen=True)
class Fit:
    """One strategy's answers. ``max_batch`` is None where the network has no batch
    parameter (0 where even batch 1 does not fit); ``step_ns`` and ``peak_bytes`` are
    its run's at ``max_batch``; ``min_memory_bytes`` is None where the strategy cannot
    plan the network at any memory (``reason`` says why); ``capped`` where something
    other than the memory stopped the batch search (``reason`` says what)."""

    strategy: str
    min_memory_bytes: int | None
    max_batch: int | None = None
    step_ns: int | float | None = None
    peak_bytes: int | None = None
    reason: str | None = None
    capped: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The JSON entry of ``chipsim fit --json``: exact integers, None where unanswered."""
        return {
            "strategy": self.strategy,
            "max_batch": self.max_batch,
            "max_batch_capped": self.max_batch == MAX_BATCH or self.capped,
            "step_ns": self.step_ns,
            "peak_bytes": self.peak_bytes,
            "min_memory_bytes": self.min_memory_bytes,
            **({"reason": self.reason} if self.reason else {}),
        }


def fit(scenario: Scenario, strategies: list[str] | None = None) -> list[Fit]:
    """Each strategy's largest batch under the chip's ``memory_bytes`` (where the network
    has a batch) and smallest memory at the scenario's batch, in the order given."""
    chip = scenario.chip
    if chip.memory_bytes is None:
        raise ConfigError(
            "fit answers for the chip's one memory: set it, e.g. --set memory_bytes=262144"
        )
    labels = [str(parse_spec(text)) for text in strategies or DEFAULT_COMPARISON]
    fits = []
    for label in labels:
        fits.append(_fit_one(label, scenario))
        report("strategies fitted", len(fits), len(labels))
    return fits


def _fit_one(label: str, scenario: Scenario) -> Fit:
    least = smallest_memory_bytes(label, scenario.chain, scenario.chip)
    if isinstance(least, Refusal):
        return Fit(label, None, reason=str(least))
    if batch_of(scenario.network) is None:
        return Fit(label, least)
    assert scenario.network is not None
    batch = largest_batch(label, scenario.network, scenario.chip)
    if batch == 0:
        return Fit(label, least, 0)
    chain = network_of(scenario.chip, at_batch(scenario.network, batch), None, None)
    run = simulate(label, scenario.chip, network=chain, seed=scenario.seed, math=False)
    step_ns = run.forward.latency_ns + run.backward.latency_ns
    peak_bytes = run.memory_at_peak.peak_bytes if run.memory_at_peak else None
    cap = batch_cap(scenario.network, batch, scenario.chip)
    return Fit(label, least, batch, step_ns, peak_bytes, cap, capped=cap is not None)


def batch_cap(network: str, batch: int, chip: ChipConfig) -> str | None:
    """Why the batch search stopped at ``batch`` other than the memory (None where one
    more sample does not fit the memory): the search's limit, or a network too large to
    build one sample further (its totals past ``chipsim.limits.MAX_TOTAL``)."""
    if batch >= MAX_BATCH:
        return f"the batch search stops at {MAX_BATCH} (chipsim.limits.MAX_DIMENSION)"
    try:
        network_of(chip, at_batch(network, batch + 1), None, None)
    except ConfigError as error:
        return f"capped at {batch}, not by the memory: batch {batch + 1} cannot be built ({error})"
    return None


def peak_if_fits(strategy: str, chain: Chain, chip: ChipConfig) -> int | Refusal:
    """The plan's peak bytes where the strategy fits the chip's memory, else why not."""
    try:
        plan = make_plan(strategy, chain, chip)
        plan.check_fits(chip, chain)
    except Refusal as refusal:
        return refusal
    return use_of(plan, chip, chain).peak_bytes


def roomy_bytes(chain: Chain, chip: ChipConfig) -> int:
    """A memory whose room for checkpoints holds every activation and every stage's saved
    tensors: where planning starts its search for a memory that fits."""
    rest = MAX_TOTAL - checkpoint_room(chain, MAX_TOTAL, chip.training)
    kept = int(chain.activation_bytes.sum()) + int(chain.stage_column("saved_bytes").sum())
    return min(rest + kept, MAX_TOTAL)


def smallest_memory_bytes(strategy: str, chain: Chain, chip: ChipConfig) -> int | Refusal:
    """The least ``memory_bytes`` at which ``strategy``, planning under it, fits ``chain``;
    or why it cannot plan it at any memory."""

    @cache
    def fits(memory_bytes: int) -> bool:
        trial = chip.replace({"memory_bytes": memory_bytes})
        return isinstance(peak_if_fits(strategy, chain, trial), int)

    high, first = _memory_that_fits(strategy, chain, chip)
    if isinstance(first, Refusal):
        return first
    if fits(first):  # the plan's own peak: a plan that ignores the budget needs no more
        high = first
    if high == 1 or not fits(high - 1):
        return high
    return first_fitting(0, high - 1, fits)


def _memory_that_fits(strategy: str, chain: Chain, chip: ChipConfig) -> tuple[int, int | Refusal]:
    """A memory the strategy fits (``roomy_bytes``, raised to what a plan says it needs
    while it needs more) and its plan's peak there; or why none up to MAX_TOTAL does."""
    memory_bytes = roomy_bytes(chain, chip)
    while True:
        peak = peak_if_fits(strategy, chain, chip.replace({"memory_bytes": memory_bytes}))
        short = isinstance(peak, DoesNotFit) and peak.field == "memory_bytes"
        if not short or memory_bytes == MAX_TOTAL:
            return memory_bytes, peak
        memory_bytes = min(max(2 * memory_bytes, peak.bytes_needed), MAX_TOTAL)


def largest_batch(strategy: str, network: str, chip: ChipConfig) -> int:
    """The largest batch of ``network`` (a spec with a batch parameter) at which
    ``strategy`` fits the chip's ``memory_bytes``: 0 where batch 1 does not."""

    @cache
    def fits(batch: int) -> bool:
        try:
            chain = network_of(chip, at_batch(network, batch), None, None)
        except ConfigError:  # too large to build: its bytes are past any memory
            return False
        return isinstance(peak_if_fits(strategy, chain, chip), int)

    if not fits(1):
        return 0
    good = 1
    while good < MAX_BATCH:
        trial = min(2 * good, MAX_BATCH)
        if not fits(trial):
            return first_fitting(good, trial, lambda batch: not fits(batch)) - 1
        good = trial
    return MAX_BATCH


def first_fitting(low: int, high: int, holds: Callable[[int], bool]) -> int:
    """The least n in (low, high] for which ``holds``, given it holds at ``high`` and not
    at ``low`` and is monotone (bisection: about log2(high - low) calls)."""
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if holds(middle) else (middle, high)
    return high


def batch_of(network: str | None) -> int | None:
    """The batch a network spec trains at (its default where unsaid), or None where the
    network has no batch parameter (the course MLP, mlp, resmlp, stage tables)."""
    if network is None or is_stage_file(network):
        return None
    spec = parse_network(network)
    params = specs.parameters(NETWORKS[spec.name])
    if "batch" not in params:
        return None
    return int(dict(spec.params).get("batch", params["batch"].default))


def at_batch(network: str, batch: int) -> str:
    """``network``'s spec with its batch set to ``batch`` (``resnet18`` → ``resnet18:batch=8``)."""
    spec = parse_network(network)
    values = {**dict(spec.params), "batch": batch}
    order = specs.parameters(NETWORKS[spec.name])
    return str(specs.Spec(spec.name, tuple((key, values[key]) for key in order if key in values)))
