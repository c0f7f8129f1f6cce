"""The safety net where ``optimal``'s program is not exact: the fastest of its plan and
the built-ins.

Two cases. Where the one-memory DP's units round, a built-in plan that fits the
memory byte for byte could be faster than the DP's rounded optimum. On a buffer
chip with frozen stages below the lowest trained one, the slot and byte programs
plan full backprop, and the cut plan (``Plan.up_to``) may keep checkpoints only
the frozen stages needed. ``optimal`` then also prices every built-in plan that
fits (full-store and sqrt-n record as frameworks do where the chip records;
stride:k for k = 1..5, revolve and disk-offload), as it runs, by the objective
(time, energy or both weighted), and keeps the best, so it is never beaten by one
of them; its note says which plan won.
Ties keep the program's plan.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..errors import ChipsimError, DoesNotFit
from ..model.chip import ChipConfig
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
    priced: tuple[np.ndarray, str],
    strategies: dict[str, Callable[..., Plan]],
    where: str = "in one memory",
    best_word: str = "fastest",
) -> Plan:
    """The program's plan, or the built-in plan that fits and costs less; where the
    program found none (its refusal), the cheapest built-in that fits, else that
    refusal. ``priced`` is (the objective's table by price code, the phases it counts:
    ``backward`` or ``total``); the note says ``where`` the program gave way, and which
    plan was ``best_word`` ("fastest", or "cheapest" in energy)."""
    refused = isinstance(programmed, DoesNotFit)
    best = None if refused else programmed
    least = math.inf if best is None else _cost(best, network, chip, priced)
    for name, params in CANDIDATES:
        candidate = _fitting(name, strategies[name], network, chip, params)
        if candidate is not None and (cost := _cost(candidate, network, chip, priced)) < least:
            best, least = candidate, cost
    if best is None:
        raise programmed
    if best is programmed:
        return best
    note = f"{where} the {best_word} plan that fits is {best.strategy}'s"
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


def _cost(plan: Plan, network: Chain, chip: ChipConfig, priced: tuple) -> float:
    """The plan's cost as it runs (backprop ending at the lowest trained stage): its ops'
    prices summed in order over the phases counted, as ``Plan.latency_ns`` sums time."""
    table, phases = priced
    ran = plan.up_to(chip.training.lowest_trained(network))
    ends = np.cumsum(table[ran.price_codes, ran.layer_numbers])
    forward = ends[ran.forward_ops - 1].item() if ran.forward_ops else 0
    backward = (ends[-1].item() if len(ends) else 0) - forward
    return backward if phases == "backward" else backward + forward
