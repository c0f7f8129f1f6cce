"""optimal_bytes: exact against every valid plan, byte-exact, and the equal-size DP's twin."""

from __future__ import annotations

import numpy as np
import pytest
from exhaustive_bytes import optimal_cost, replay
from test_optimal import random_chip

from chipsim import (
    ChipConfig,
    ConfigError,
    Network,
    Plan,
    PlanTooLarge,
    StrategyError,
    execute,
    make_plan,
    simulate,
)
from chipsim.model.costs import Costs
from chipsim.model.networks import build_network
from chipsim.model.ops import OP_KINDS
from chipsim.planners.byte_budget.recurrence import rounding, solve_bytes
from chipsim.planners.equal_size.recurrence import _fill

OBJECTIVES = ("backward", "total")


def random_chain(rng: np.random.Generator, layers: int, unit: int = 1):
    """Sizes and a budget (0 to all of a1..a(L)) in whole ``unit``s, and integer prices."""
    sizes = unit * rng.integers(1, 6, layers + 1)
    prices = rng.integers(0, 20, (len(OP_KINDS), layers + 1)).astype(float)
    if rng.random() < 0.5:
        prices[OP_KINDS.index("free")] = 0.0  # as on every chip; else free has a price too
    budget = unit * int(rng.integers(0, sizes[1:].sum() // unit + 1))
    return sizes, prices, budget


def checked_value(sizes, prices, budget, objective, **options) -> float:
    """The DP's value, after replaying its plan: every rule kept, the cost it predicted,
    and never more buffer bytes than the budget."""
    schedule = solve_bytes(sizes, prices, budget, objective=objective, **options)
    forward, backward = schedule.ops()
    costs, peak_bytes = replay(sizes, prices, forward, backward)
    replayed = costs["backward"] + (costs["forward"] if objective == "total" else 0.0)
    assert replayed == schedule.value
    assert peak_bytes <= budget
    Plan.build("optimal", len(sizes) - 1, forward, backward)  # every op within range
    return schedule.value


# Exact when no size is rounded: nothing any valid plan does is cheaper.


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("unit", [1, 7])
def test_the_dp_equals_the_exhaustive_optimum_when_sizes_are_whole_units(
    objective: str, unit: int
) -> None:
    rng = np.random.default_rng([unit, OBJECTIVES.index(objective)])
    for _ in range(25):
        layers = int(rng.integers(1, 6))
        sizes, prices, budget = random_chain(rng, layers, unit)
        units = max(budget // unit, 1)  # so unit = ceil(budget / units) when budget > 0
        assert rounding(sizes, budget, units).unit_bytes == (unit if budget else 1)
        value = checked_value(sizes, prices, budget, objective, units=units)
        assert value == optimal_cost(sizes, prices, budget, objective), (sizes, prices, budget)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_the_dp_equals_the_exhaustive_optimum_on_six_and_seven_stages(objective: str) -> None:
    rng = np.random.default_rng(40 + OBJECTIVES.index(objective))
    for layers in (6, 6, 7):
        sizes, prices, _ = random_chain(rng, layers)
        budget = int(sizes[1:].sum() // 3)
        value = checked_value(sizes, prices, budget, objective, units=budget + 1)
        assert value == optimal_cost(sizes, prices, budget, objective), (sizes, prices, budget)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_without_disk_the_dp_equals_the_best_plan_that_never_pages(objective: str) -> None:
    rng = np.random.default_rng(50 + OBJECTIVES.index(objective))
    for _ in range(20):
        sizes, prices, budget = random_chain(rng, int(rng.integers(1, 6)))
        value = checked_value(sizes, prices, budget, objective, units=budget + 1, use_disk=False)
        best = optimal_cost(sizes, prices, budget, objective, use_disk=False)
        assert value == best, (sizes, prices, budget)


# Rounded sizes: never over the real budget, never better than the byte-exact optimum.


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_rounded_units_keep_the_real_budget_and_can_only_lose(objective: str) -> None:
    rng = np.random.default_rng(60 + OBJECTIVES.index(objective))
    for _ in range(25):
        sizes, prices, budget = random_chain(rng, int(rng.integers(1, 6)))
        sizes = sizes * 10 + rng.integers(0, 10, len(sizes))  # sizes a coarse unit cannot hold
        budget *= 10
        value = checked_value(sizes, prices, budget, objective, units=int(rng.integers(1, 5)))
        assert value >= optimal_cost(sizes, prices, budget, objective)


def test_the_rounding_is_sizes_up_and_the_budget_down() -> None:
    # unit = ⌊1000 / 3⌋ = 333 bytes; 1000 // 333 = 3 units (999 bytes) of budget;
    # 100 → 1 unit, 334 → 2, 335 → 2, 668 → 3 (rounded up).
    units = rounding(np.array([100, 334, 335, 668, 0]), 1000, 3)
    assert units.unit_bytes == 333 and units.budget_units == 3
    assert units.activation_units.tolist() == [1, 2, 2, 3, 0]
    assert units.describe() == (
        "memory unit = 333 B; sizes rounded up to whole units; "
        "budget rounded down to 3 units (999 B)"
    )
    assert rounding(np.array([5, 5]), 0, 500).unit_bytes == 1  # an empty budget: 1-byte units
    assert rounding(np.array([5, 5]), 300, 500).unit_bytes == 1  # fewer bytes than units


def test_a_store_the_rounding_forbids_is_never_made() -> None:
    # a1 = 100 bytes fits a 100-byte budget, but not in 33-byte units (4 units > 3 units).
    sizes, prices = np.array([1, 100, 1]), np.zeros((len(OP_KINDS), 3))
    prices[OP_KINDS.index("fwd")] = 10.0
    exact = solve_bytes(sizes, prices, 100, units=100, use_disk=False)
    coarse = solve_bytes(sizes, prices, 100, units=3, use_disk=False)
    assert (exact.value, coarse.value) == (0.0, 10.0)  # keep a1, or recompute it from a0
    assert coarse.unit_bytes == 33 and coarse.rounding.activation_units.tolist() == [1, 4, 1]


# The equal-size case is the homogeneous DP's.


@pytest.mark.parametrize("disk", ["any", "cheap", "dear"])
def test_on_equal_sizes_and_prices_the_value_is_the_homogeneous_dps(disk: str) -> None:
    rng = np.random.default_rng(70 + ["any", "cheap", "dear"].index(disk))
    for _ in range(15):
        layers, slots, width = int(rng.integers(1, 25)), int(rng.integers(1, 6)), 48
        chip = random_chip(rng, slots, disk)
        prices = np.array([[chip.op_latency_ns(kind)] * (layers + 1) for kind in OP_KINDS])
        sizes = np.full(layers + 1, width)
        for objective, use_disk in [("backward", True), ("total", True), ("total", False)]:
            slot_value = _fill(layers, chip, slots, objective=objective, use_disk=use_disk).value
            byte_value = solve_bytes(
                sizes, prices, slots * width, units=slots, objective=objective, use_disk=use_disk
            ).value
            assert byte_value == slot_value, (layers, chip, objective, use_disk)


def test_the_engine_runs_an_equal_width_plan_at_the_predicted_latency() -> None:
    rng = np.random.default_rng(8)
    for _ in range(5):
        layers, slots = int(rng.integers(2, 16)), int(rng.integers(1, 4))
        chip = random_chip(rng, slots)
        prices = np.array([[chip.op_latency_ns(kind)] * (layers + 1) for kind in OP_KINDS])
        schedule = solve_bytes(np.full(layers + 1, 3), prices, 3 * slots, units=slots)
        plan = Plan.build("optimal", layers, *schedule.ops())
        trace = execute(plan, chip, Network(layers, 3, seed=1)).trace
        assert trace.latency_ns("backward") == schedule.value
        assert trace.peak_buffer_slots <= slots


# Bad input.


@pytest.mark.parametrize(
    ("sizes", "prices", "budget", "options", "message"),
    [
        (
            [4],
            np.zeros((7, 1)),
            10,
            {},
            r"activation_bytes must be L\+1 >= 2 whole numbers >= 0, got \[4\]",
        ),
        (
            [4, -1],
            np.zeros((7, 2)),
            10,
            {},
            r"activation_bytes must be L\+1 >= 2 whole numbers >= 0, got \[4, -1\]",
        ),
        ([4, 4], np.zeros((6, 2)), 10, {}, r"prices must have shape \(7, 2\)"),
        ([4, 4], -np.ones((7, 2)), 10, {}, "prices must be finite and >= 0"),
        ([4, 4], np.zeros((7, 2)), -1, {}, "budget_bytes must be a whole number >= 0, got -1"),
        ([4, 4], np.zeros((7, 2)), 10, {"units": 0}, "units must be a whole number >= 1, got 0"),
    ],
)
def test_bad_input_is_one_line_naming_the_field(sizes, prices, budget, options, message) -> None:
    with pytest.raises(ConfigError, match=message):
        solve_bytes(np.array(sizes), prices, budget, **options)


def test_an_unknown_objective_is_refused() -> None:
    with pytest.raises(StrategyError, match="objective must be one of backward, total"):
        solve_bytes(np.array([1, 1]), np.zeros((7, 2)), 4, objective="energy")


# Through chipsim's front door: `optimal` on a heterogeneous network uses this planner.


@pytest.mark.parametrize("objective", ["backward", "total"])
def test_optimal_on_a_heterogeneous_mlp_runs_within_budget_at_its_planned_cost(
    objective: str,
) -> None:
    rng = np.random.default_rng(11)
    for _ in range(6):
        widths = [int(w) for w in rng.integers(2, 40, size=int(rng.integers(3, 7)))]
        chain = build_network("mlp:widths=" + ",".join(map(str, widths)))
        budget = int(rng.integers(0, int(chain.activation_bytes[1:].sum()) + 1))
        chip = ChipConfig(
            buffer_bytes=budget,
            mem_bytes_per_ns=4,  # whole ns: float32 sizes are multiples of 4 bytes
            disk_bytes_per_ns=1,
            compute_macs_per_ns=1,
            loaddisk_ns=int(rng.integers(0, 200)),
        )
        spec = "optimal" if objective == "backward" else "optimal:objective=total"
        result = simulate(spec, chip, network=chain.name)
        costs = Costs(chip, chain)
        expected = solve_bytes(chain.activation_bytes, costs.ns, budget, objective=objective)
        latency = result.backward.latency_ns
        if objective == "total":
            latency += result.forward.latency_ns
        assert latency == expected.value, widths  # whole prices: exact
        assert result.peak_buffer_bytes <= budget
        assert result.max_abs_grad_diff == 0.0
        assert result.plan.notes == (expected.rounding.describe(),)


def test_a_heterogeneous_problem_too_large_to_plan_is_refused_before_any_table() -> None:
    chain = build_network("mlp:widths=" + ",".join(["8", "9"] * 80))
    with pytest.raises(PlanTooLarge, match=r"use fewer units \(e\.g\. optimal:units=100\)"):
        make_plan("optimal", chain, ChipConfig(buffer_bytes=1000))


def test_units_on_an_equal_width_network_says_it_changes_nothing() -> None:
    exact = make_plan("optimal", 10, ChipConfig())
    with_units = make_plan("optimal:units=5", 10, ChipConfig())
    assert with_units.notes == (
        "units applies to byte budgets of networks whose sizes differ: equal sizes plan "
        "exactly in slots",
    )
    assert list(with_units.ops()) == list(exact.ops())
