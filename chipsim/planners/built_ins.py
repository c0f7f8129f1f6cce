"""The safety net where ``optimal``'s program is not exact: the fastest of its plan and
the built-ins.

Two cases. Where the one-memory DP's units round, a built-in plan that fits the
memory byte for byte could be faster than the DP's rounded optimum. On a buffer
chip with frozen stages below the lowest trained one, the slot and byte programs
plan full backprop, and the cut plan (``Plan.up_to``) may keep checkpoints only
the frozen stages needed. ``optimal`` then also prices every built-in plan that
fits (full-store and sqrt-n record as frameworks do where the chip records;
stride:k for k = 1..5, revolve and disk-offload), as it runs, and keeps the
fastest, so it is never beaten by one of them; its note says which plan won.
Ties keep the program's plan.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..errors import ChipsimError, DoesNotFit
from ..model.chip import ChipConfig
from ..model.costs import Costs
from ..model.stages import Chain
from ..sim.plan import Plan
from . import work

#: The built-ins ``optimal`` weighs against its program's plan in one memory.
CANDIDATES: tuple[tuple[str, dict[str, int]], ...] = (
    ("full-store", {}),
    ("sqrt-n", {}),
    ("disk-offload", {}),
    ("revolve", {}),
    *(("stride", {"k": k}) for k in range(1, 6)),
)


def fastest(
    programmed: Plan | DoesNotFit,
    network: Chain,
    chip: ChipConfig,
    phases: str,
    strategies: dict[str, Callable[..., Plan]],
    where: str = "in one memory",
) -> Plan:
    """The program's plan, or the built-in plan that fits and is faster over ``phases``;
    where the program found none (its refusal), the fastest built-in that fits, else
    that refusal. The note says ``where`` the program gave way."""
    refused = isinstance(programmed, DoesNotFit)
    best = None if refused else programmed
    best_ns = math.inf if best is None else _latency(best, network, chip, phases)
    for name, params in CANDIDATES:
        candidate = _fitting(name, strategies[name], network, chip, params)
        if candidate is not None and (ns := _latency(candidate, network, chip, phases)) < best_ns:
            best, best_ns = candidate, ns
    if best is None:
        raise programmed
    if best is programmed:
        return best
    note = f"{where} the fastest plan that fits is {best.strategy}'s"
    return Plan(
        programmed.strategy, best.layers, best.kind_codes, best.layer_numbers,
        best.forward_ops, best.prefetch, (*best.notes, note), best.record,
    )  # fmt: skip


def _fitting(
    name: str,
    plan_function: Callable[..., Plan],
    network: Chain,
    chip: ChipConfig,
    params: dict[str, int],
) -> Plan | None:
    """The built-in's plan where it is within the work limits, can be made and fits the
    memory, else None (stride:k=1 on a long chain is never built)."""
    try:
        work.check_plan(name, name, params, network, chip)
        plan = plan_function(network, chip, **params)
        lowest = chip.training.lowest_trained(network)
        plan.up_to(lowest).check_fits(chip, network)
    except ChipsimError:
        return None
    return plan


def _latency(plan: Plan, network: Chain, chip: ChipConfig, phases: str) -> int | float:
    """Serial latency over ``phases`` (backward, or forward + backward) of the plan as it
    runs: its backward phase ending at the lowest trained stage."""
    ran = plan.up_to(chip.training.lowest_trained(network))
    costs = Costs(chip, network)
    backward = ran.latency_ns(costs, "backward")
    return backward if phases == "backward" else backward + ran.latency_ns(costs, "forward")
