"""optimal[:objective=backward|total|energy|weighted,ns_per_nj=W] — the best plan for
the chip's actual costs: the fastest, or the one spending least energy (docs/energy.md).

Decides for every activation whether to keep it in the buffer, page it to
disk or recompute it, and when to free slots, by dynamic programming over the
chain. Checkpoints may be stored in either phase (slots are just memory).

On a chip with one memory (``memory_bytes``) it is the one-memory DP of
``one_memory/``: exact over recording, keeping, paging and recomputing each
stage, under every op's own peak.

Which planner: a chain whose activations share one size and price plans
exactly by the dynamic program of optimal_slots.py (its recurrence and why it
is exact are there), or periodically beyond that program's reach
(periodic.py); any other chain by the byte-budget one of optimal_bytes.py.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from ..errors import DoesNotFit, PlanTooLarge, StrategyError
from ..model.chip import ENERGY_FIELDS, ChipConfig
from ..model.costs import Costs
from ..model.stages import Chain
from ..sim.plan import Plan
from .common import require_positive

OBJECTIVES = ("backward", "total", "energy", "weighted")

#: What each objective minimises: the cost table (``Costs.objective_table``) and
#: the phases it counts. Energy is the whole run's, so its objectives count both.
_PRICED = {
    "backward": ("time", "backward"),
    "total": ("time", "total"),
    "energy": ("energy", "total"),
    "weighted": ("weighted", "total"),
}


def plan(
    network: Chain,
    chip: ChipConfig,
    *,
    objective: str = "backward",
    ns_per_nj: float | None = None,
    units: int | None = None,
) -> Plan:
    """The plan minimising ``objective``: backward or total latency, the run's energy
    (dynamic + static), or ``weighted`` total latency + ``ns_per_nj`` × energy.

    Equal sizes and prices plan exactly in slots (periodically beyond the exact
    reach); any other chain over ``units`` memory units (default ``BYTE_UNITS``)
    of its byte budget, with ``optimal_bytes``.
    """
    table, phases = objective_costs(network, chip, objective, ns_per_nj)
    label = _label(objective, ns_per_nj)
    if units is not None:
        require_positive("optimal", "units", units)
        label += f"{':' if label == 'optimal' else ','}units={units}"
    if chip.memory_bytes is not None:
        return _plan_in_memory(network, chip, objective, ns_per_nj, units, label)
    if chip.training.lowest_trained(network) > 1:
        priced = _priced(network, chip, objective, ns_per_nj)
        return _with_frozen_stages(network, chip, (table, priced), units, label)
    return _programmed(network, chip, table, phases, units, label)


def _priced(network: Chain, chip: ChipConfig, objective: str, ns_per_nj: float | None):
    """What ``built_ins.fastest`` weighs plans by: (the objective's table by price code,
    its phases), and the word for its best plan."""
    priced, phases = _PRICED[objective]
    table = Costs(chip, network).priced_objective_table(priced, ns_per_nj or 0.0)
    return (table, phases), "fastest" if priced == "time" else "cheapest"


def _with_frozen_stages(network, chip, tables, units, label) -> Plan:
    """On a buffer chip that trains only stages above the lowest: the programs plan full
    backprop, whose cut may keep what only the frozen stages needed; the best of that
    plan and the built-ins', as each runs (``built_ins``)."""
    from . import STRATEGIES
    from .built_ins import fastest

    table, (priced, best_word) = tables
    try:
        planned: Plan | DoesNotFit = _programmed(network, chip, table, priced[1], units, label)
    except DoesNotFit as refusal:
        planned = refusal
    lowest = chip.training.lowest_trained(network)
    where = f"training stages {lowest}..{network.layers} alone,"
    return fastest(planned, network, chip, priced, STRATEGIES, where, best_word)


def _plan_in_memory(
    network: Chain,
    chip: ChipConfig,
    objective: str,
    ns_per_nj: float | None,
    units: int | None,
    label: str,
) -> Plan:
    """The one-memory DP's plan; where its units round, the fastest of it and the
    built-in plans that fit (``built_ins``), so none of them beats it."""
    from . import STRATEGIES, one_memory  # loaded when a chip has one memory
    from .built_ins import fastest

    (prices, phases), best_word = weighed = _priced(network, chip, objective, ns_per_nj)
    count = units or BYTE_UNITS
    plan_in = functools.partial(
        one_memory.solve, network, training=chip.training, prices=prices, units=count,
        objective=phases, label=label,
    )  # fmt: skip
    try:
        schedule = plan_in(chip.memory_bytes)
    except DoesNotFit as refusal:
        least = one_memory.least_memory_schedule(
            network, chip.training, prices, count, objective=phases
        )
        schedule, why = _least_memory_plan(least, refusal, label, network, chip)
        if why is not None:
            needs = one_memory.needs_of(network, chip.memory_bytes, chip.training, count)
            if needs.exact:
                raise why from None
            return fastest(why, network, chip, weighed[0], STRATEGIES, best_word=best_word)
    note = schedule.needs.describe()
    if not schedule.needs.exact:
        note = f"optimal over {count} units: {note}; more units may find a faster plan"
    planned = _built(schedule, label, network, note)
    if schedule.needs.exact:
        return planned
    return fastest(planned, network, chip, weighed[0], STRATEGIES, best_word=best_word)


def _least_memory_plan(least, refusal: DoesNotFit, label: str, network: Chain, chip):
    """(the plan in the least memory the DP finds one, why it does not fit the chip): its
    exact peak, the op there and what is live then; (plan, None) where it fits the chip,
    whose own units rounded every plan out; the refusal itself where no plan was found."""
    if least is None:
        return None, refusal
    try:
        _built(least, label, network).check_fits(chip, network)
    except DoesNotFit as at_peak:
        return least, at_peak
    return least, None


def _built(schedule, label: str, network: Chain, *notes: str) -> Plan:
    """The one-memory DP's plan, as it runs: backprop ending at the lowest trained stage."""
    return Plan.build(label, network.layers, schedule.forward, schedule.backward, notes=notes)


def _programmed(
    network: Chain, chip: ChipConfig, table: np.ndarray, phases: str, units: int | None, label: str
) -> Plan:
    """The dynamic program's plan: in slots on a uniform chain, else over byte units."""
    costs = Costs(chip, network)
    if not costs.uniform_in(table):
        return _plan_bytes(network, chip, table, phases, units or BYTE_UNITS, label)
    fixed, slots = costs.uniform_chip(table), chip.slots_for(network)
    from . import periodic  # the planners load when optimal plans, not at start-up

    # Exact within the dynamic program's reach, else periodic.
    planned = periodic.schedule(network.layers, fixed, slots, objective=phases, strategy=label)
    if units is None:
        return planned.plan(label)
    ignored = "units applies to byte budgets of networks whose sizes differ: equal sizes plan "
    return dataclasses.replace(planned.plan(label), notes=(ignored + "exactly in slots",))


#: Memory units a byte budget is cut into on a heterogeneous chain (rotor-style).
BYTE_UNITS = 500

#: Planning work (about L³·units/6 table cells × splits) refused beyond this: ~30 s here.
MAX_BYTE_PLANNING_STEPS = 2 * 10**8


def _plan_bytes(
    network: Chain, chip: ChipConfig, table: np.ndarray, phases: str, units: int, label: str
) -> Plan:
    """The exact plan over memory units of a chain whose sizes or prices differ."""
    budget = chip.buffer_capacity_bytes(network)
    steps = network.layers**3 * units // 6
    if steps > MAX_BYTE_PLANNING_STEPS:
        raise PlanTooLarge(
            f"{label}: {network.layers} stages with {units} memory units need ~{steps:.1e} "
            f"planning steps (the limit is {MAX_BYTE_PLANNING_STEPS:.0e}, about 30 s); "
            "use fewer units (e.g. optimal:units=100) or fewer, larger stages"
        )
    from .byte_budget.recurrence import solve_bytes  # loaded when a heterogeneous chain is planned

    schedule = solve_bytes(network.activation_bytes, table, budget, units=units, objective=phases)
    forward, backward = schedule.ops()
    notes = (schedule.rounding.describe(),)
    if discretised_units(network, chip, units) is not None:  # the label says so
        notes = (
            f"optimal over {units} units: {notes[0]}; more units (optimal:units=N) "
            "may find a faster plan",
        )
    return Plan.build(label, network.layers, forward, backward, notes=notes)


def objective_costs(
    network: Chain, chip: ChipConfig, objective: str, ns_per_nj: float | None
) -> tuple[np.ndarray, str]:
    """The (kind, index) cost table a DP minimises for ``objective``, and its phases
    (``backward`` or ``total``); bad combinations are one-line StrategyErrors."""
    if objective not in OBJECTIVES:
        raise StrategyError(
            f"optimal: objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}"
        )
    if (objective == "weighted") != (ns_per_nj is not None):
        raise StrategyError(
            "optimal: ns_per_nj (ns one nJ is worth) goes with objective=weighted and only "
            f"with it, got objective={objective}, ns_per_nj={ns_per_nj}"
        )
    if ns_per_nj is not None and ns_per_nj < 0:
        raise StrategyError(f"optimal: ns_per_nj must be >= 0, got {ns_per_nj!r}")
    priced, phases = _PRICED[objective]
    if priced != "time" and not chip.has_energy:
        raise StrategyError(
            f"optimal: objective={objective} needs a chip that declares energy "
            f"(one of {', '.join(ENERGY_FIELDS)})"
        )
    return Costs(chip, network).objective_table(priced, ns_per_nj or 0.0), phases


def _label(objective: str, ns_per_nj: float | None) -> str:
    if objective == "backward":
        return "optimal"
    weight = "" if ns_per_nj is None else f",ns_per_nj={ns_per_nj}"
    return f"optimal:objective={objective}{weight}"


def discretised_units(network: Chain, chip: ChipConfig, units: int | None = None) -> int | None:
    """N when ``optimal`` (with ``units``) plans ``network`` over N memory units whose
    rounding can lose the optimum; None when it plans exactly (equal sizes and prices,
    or sizes and budget that are whole units). Such a plan is labelled "optimal over N
    units", and other strategies may beat it."""
    count = units or BYTE_UNITS
    if chip.memory_bytes is not None:
        from .one_memory import needs_of

        return None if needs_of(network, chip.memory_bytes, chip.training, count).exact else count
    costs = Costs(chip, network)
    if costs.uniform:
        return None
    from .byte_budget.recurrence import rounding

    budget = chip.buffer_capacity_bytes(network)
    unit = rounding(network.activation_bytes, budget, count).unit_bytes
    whole = budget % unit == 0 and not (network.activation_bytes % unit).any()
    return None if whole else count
