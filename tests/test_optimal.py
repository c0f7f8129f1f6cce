"""The optimal planner and revolve: exact optimality, binomial counts, course figures."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from exhaustive import optimal_latency

from chipsim import (
    ChipConfig,
    DoesNotFit,
    Network,
    Plan,
    PlanTooLarge,
    Scenario,
    StrategyError,
    breakeven,
    execute,
    make_plan,
    simulate,
)
from chipsim.model.chip import LATENCY_FIELDS
from chipsim.planners import STRATEGIES
from chipsim.planners.equal_size import floats as slots_floats
from chipsim.planners.equal_size import keys as slots_keys
from chipsim.planners.equal_size import recurrence as optimal
from chipsim.planners.equal_size.recurrence import _fill, solve
from chipsim.planners.revolve import ADVANCES_ONLY, advances, backward_recomputations


def random_chip(rng: np.random.Generator, slots: int, disk: str = "any") -> ChipConfig:
    latencies = {name: int(rng.integers(0, 40)) for name in LATENCY_FIELDS}
    if disk == "cheap":  # paging beats recomputing one layer
        latencies["loaddisk_ns"] = int(rng.integers(0, latencies["fwd_ns"] + 1))
    elif disk == "dear":  # paging costs more than a load plus a recompute
        latencies["loaddisk_ns"] = latencies["fwd_ns"] + latencies["loadmem_ns"] + 1
    return ChipConfig(buffer_slots=slots, **latencies)


def planned(layers: int, chip: ChipConfig, objective: str) -> tuple[float, int | float]:
    """(the DP's optimum, the serial latency of the plan it emits) for the objective."""
    plan = make_plan(f"optimal:objective={objective}", layers, chip)
    latency = plan.latency_ns(chip, "backward")
    if objective == "total":
        latency += plan.latency_ns(chip, "forward")
    return solve(layers, chip, chip.buffer_slots, objective=objective).value, latency


# Optimality: nothing any valid plan can do is faster.


@pytest.mark.parametrize("disk", ["any", "cheap", "dear"])
@pytest.mark.parametrize("objective", ["backward", "total"])
def test_no_valid_plan_is_faster_than_optimal_on_small_chains(disk: str, objective: str) -> None:
    rng = np.random.default_rng(["any", "cheap", "dear"].index(disk))
    for _ in range(12):
        layers, slots = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        chip = random_chip(rng, slots, disk)
        value, latency = planned(layers, chip, objective)
        best = optimal_latency(layers, chip, objective)
        assert value == best, (layers, chip)
        assert latency == best, (layers, chip)


@pytest.mark.parametrize("objective", ["backward", "total"])
def test_no_valid_plan_is_faster_on_seven_layers(objective: str) -> None:
    for chip in (ChipConfig(), ChipConfig(loaddisk_ns=35), ChipConfig(loaddisk_ns=12)):
        assert planned(7, chip, objective)[1] == optimal_latency(7, chip, objective)


def test_optimal_is_never_slower_than_any_strategy_that_fits() -> None:
    rng = np.random.default_rng(7)
    others = ["full-store", "sqrt-n", "disk-offload", "revolve", "stride:k=2", "stride:k=5"]
    for _ in range(40):
        layers, slots = int(rng.integers(1, 31)), int(rng.integers(1, 7))
        chip = random_chip(rng, slots)
        best = make_plan("optimal", layers, chip)
        best_total = make_plan("optimal:objective=total", layers, chip)
        total = best_total.latency_ns(chip, "forward") + best_total.latency_ns(chip, "backward")
        for spec in others:
            plan = make_plan(spec, layers, chip)
            if plan.buffer_slots_needed > slots:
                continue
            assert best.latency_ns(chip, "backward") <= plan.latency_ns(chip, "backward"), spec
            assert total <= plan.latency_ns(chip, "forward") + plan.latency_ns(chip, "backward")


def test_the_engine_runs_optimal_plans_at_exactly_the_predicted_latency() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        layers, slots = int(rng.integers(1, 25)), int(rng.integers(1, 5))
        chip = random_chip(rng, slots)
        for objective in ("backward", "total"):
            plan = make_plan(f"optimal:objective={objective}", layers, chip)
            trace = execute(plan, chip, Network(layers, 3, seed=1)).trace
            value = solve(layers, chip, slots, objective=objective).value
            measured = trace.latency_ns("backward")
            if objective == "total":
                measured += trace.latency_ns("forward")
            assert measured == value
            assert trace.peak_buffer_slots <= slots


def test_an_unknown_objective_is_refused() -> None:
    with pytest.raises(Exception, match="optimal: objective must be one of backward, total"):
        make_plan("optimal:objective=fastest", 10, ChipConfig())


# The course chip.


def test_optimal_on_the_course_chip_beats_the_course_method() -> None:
    plan = make_plan("optimal", 10, ChipConfig())
    assert plan.latency_ns(ChipConfig(), "backward") == 260
    assert plan.counts("backward")["fwd"] == 8
    assert plan.counts("backward")["loadmem"] == 10
    assert plan.buffer_slots_needed == 2


def test_disk_break_even_against_the_optimal_plan() -> None:
    point = breakeven(Scenario(), "loaddisk_ns", "disk-offload", "optimal")
    # Paging everything only ties the best plan when the disk is as fast as the buffer.
    assert point.value == 10
    assert point.latency_ns == 100


# Revolve: binomial checkpointing.


def test_binomial_advances_closed_form() -> None:
    assert [advances(steps, 1) for steps in range(1, 6)] == [0, 1, 3, 6, 10]  # l(l-1)/2
    assert advances(11, 3) == 18
    assert backward_recomputations(10, 2) == 8


def test_revolve_attains_the_binomial_bound_for_l_up_to_200_and_slots_up_to_10() -> None:
    # One table serves every (L, slots): the DP's entries do not depend on the top size.
    schedule = solve(200, ADVANCES_ONLY, 10, objective="total", use_disk=False)
    for layers in range(1, 201):
        for slots in range(1, 11):
            plan = dataclasses.replace(schedule, layers=layers, slots=slots).plan("revolve")
            assert plan.counts("backward")["fwd"] == backward_recomputations(layers, slots)
            assert plan.counts("forward")["fwd"] == layers
            assert plan.buffer_slots_needed <= slots
            assert plan.counts("backward")["loaddisk"] == 0


def test_revolve_plans_run_and_match_for_a_sample() -> None:
    for layers, slots in [(1, 1), (10, 2), (33, 3), (64, 4)]:
        chip = ChipConfig(buffer_slots=slots)
        plan = make_plan("revolve", layers, chip)
        trace = execute(plan, chip, Network(layers, 2)).trace
        assert trace.counts("backward")["fwd"] == backward_recomputations(layers, slots)


def test_revolve_slots_override_and_fit_check() -> None:
    plan = make_plan("revolve:slots=3", 10, ChipConfig())
    assert plan.strategy == "revolve:slots=3"
    assert plan.counts("backward")["fwd"] == backward_recomputations(10, 3)
    with pytest.raises(DoesNotFit, match="revolve:slots=3 needs 3 buffer slots; the chip has 2"):
        plan.check_fits(ChipConfig())


def test_both_new_strategies_are_registered() -> None:
    assert {"revolve", "optimal"} <= set(STRATEGIES)


# Slots beyond L-1 cannot help; problems too large to plan are refused.


def same_plan(first: Plan, second: Plan) -> bool:
    return (
        first.forward_ops == second.forward_ops
        and np.array_equal(first.kind_codes, second.kind_codes)
        and np.array_equal(first.layer_numbers, second.layer_numbers)
    )


@pytest.mark.parametrize("disk", ["any", "cheap", "dear"])
def test_capping_slots_at_l_minus_1_changes_no_plan(disk: str) -> None:
    rng = np.random.default_rng(11 + ["any", "cheap", "dear"].index(disk))
    for _ in range(15):
        layers, extra = int(rng.integers(1, 13)), int(rng.integers(0, 4))
        chip = random_chip(rng, max(layers - 1, 1) + extra, disk)
        for objective, use_disk in [("backward", True), ("total", True), ("total", False)]:
            capped = solve(layers, chip, chip.buffer_slots, objective=objective, use_disk=use_disk)
            full = _fill(layers, chip, chip.buffer_slots, objective=objective, use_disk=use_disk)
            assert capped.slots == layers - 1
            assert capped.value == full.value, (layers, chip, objective)
            assert same_plan(capped.plan("x"), full.plan("x")), (layers, chip, objective)


def test_no_valid_plan_gains_from_more_slots_than_layers_minus_1() -> None:
    rng = np.random.default_rng(5)
    for _ in range(10):
        layers = int(rng.integers(1, 5))
        chip = random_chip(rng, max(layers - 1, 1))  # a chip has at least 1 slot
        for objective in ("backward", "total"):
            roomy = chip.replace({"buffer_slots": layers + 2})
            best = optimal_latency(layers, chip, objective)
            assert optimal_latency(layers, roomy, objective) == best, (layers, chip, objective)
            assert planned(layers, roomy, objective) == (best, best), (layers, chip, objective)


def test_a_problem_too_large_to_plan_is_refused_before_any_table_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_tables(*args: object) -> None:
        raise AssertionError("a table was allocated")

    monkeypatch.setattr(slots_floats, "fill", no_tables)
    monkeypatch.setattr(slots_keys, "fill", no_tables)
    with pytest.raises(PlanTooLarge) as refusal:
        solve(100_000, ChipConfig(buffer_slots=100_000), 100_000)
    assert str(refusal.value) == (
        "optimal: the exact planner handles L<=429 at 100000 slots (L=100000 would take "
        "~1e15 steps, over its ~1e9); use a smaller L or fewer slots, or the `optimal` "
        "strategy, which plans larger chains approximately (periodic disk checkpoints), "
        "or `revolve`"
    )
    assert isinstance(refusal.value, StrategyError) and refusal.value.exit_code == 2
    # revolve no longer plans by the dynamic program: any L plans (tests below).
    plan = make_plan("revolve:slots=10", 20_000, ChipConfig())
    assert plan.counts("backward")["fwd"] == backward_recomputations(20_000, 10)


def test_the_planning_limit_admits_l_up_to_5000_at_10_slots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    planned_slots: list[int] = []
    monkeypatch.setattr(
        optimal, "_fill", lambda layers, chip, slots, **kwargs: planned_slots.append(slots)
    )
    for layers in (1000, 5000, 7356):
        solve(layers, ChipConfig(buffer_slots=10), 10)
    solve(429, ChipConfig(), 428)  # every useful slot, just inside the limit
    solve(429, ChipConfig(), 5000)  # capped to 428 slots
    assert planned_slots == [10, 10, 10, 428, 428]
    assert optimal.planning_steps(7356, 10) <= optimal.MAX_PLANNING_STEPS == 10**9
    for layers, slots in [(7357, 10), (430, 429), (1000, 999)]:
        with pytest.raises(PlanTooLarge):
            solve(layers, ChipConfig(), slots)


# Gradients when the optimal plan really pages and recomputes.

#: Disk cheap enough to page to (a 35 ns load against 10 ns + 20 ns per layer recomputed
#: from a kept activation): on 2 or 3 slots the optimal plans of 20 layers keep, page and
#: recompute, for either objective (the 64-slot chip elsewhere only ever keeps).
PAGING_CHIP = ChipConfig(loaddisk_ns=35, storedisk_ns=5, bwd_ns=7, storemem_ns=1)


@pytest.mark.parametrize("slots", [2, 3])
@pytest.mark.parametrize("objective", ["backward", "total"])
def test_optimal_plans_that_page_and_recompute_give_plain_backprop_gradients(
    slots: int, objective: str
) -> None:
    chip = PAGING_CHIP.replace({"buffer_slots": slots})
    result = simulate(f"optimal:objective={objective}", chip, layers=20, width=8, seed=3)
    plan, backward = result.plan, result.backward.ops
    assert plan.counts("forward")["storedisk"] + backward["storedisk"] > 0
    assert backward["loaddisk"] > 0 and backward["fwd"] > 0 and backward["loadmem"] > 0
    assert plan.buffer_slots_needed == result.peak_buffer_slots == slots
    assert result.max_abs_grad_diff == 0.0  # simulate raises GradientMismatch otherwise
    network = Network(20, 8, seed=3)
    gradients = execute(plan, chip, network).gradients
    for got, expected in zip(gradients, network.reference_gradients(), strict=True):
        assert got.weight.tobytes() == expected.weight.tobytes()  # bit for bit
        assert got.bias.tobytes() == expected.bias.tobytes()
    measured = result.backward.latency_ns
    if objective == "total":  # the total objective's value counts the forward phase too
        measured += result.forward.latency_ns
    assert measured == solve(20, chip, slots, objective=objective).value


# Revolve's binomial schedule, without the dynamic program.


def test_the_binomial_schedule_matches_the_dynamic_program_for_l_up_to_200() -> None:
    # The DP on Revolve's cost model (one table for every L and slots) is the reference.
    schedule = solve(200, ADVANCES_ONLY, 10, objective="total", use_disk=False)
    for layers in range(1, 201):
        for slots in range(1, 11):
            plan = make_plan(f"revolve:slots={slots}", layers, ChipConfig(buffer_slots=slots))
            reference = dataclasses.replace(schedule, layers=layers, slots=slots).plan("dp")
            assert plan.counts("backward")["fwd"] == reference.counts("backward")["fwd"]
            assert plan.counts("backward")["loadmem"] == layers  # one sweep per bwd
            assert plan.counts("forward")["fwd"] == layers
            assert plan.buffer_slots_needed <= slots


def test_binomial_plans_obey_the_model_and_give_plain_backprop_gradients() -> None:
    for layers, slots in [(1, 1), (2, 1), (7, 1), (20, 2), (57, 3), (100, 5)]:
        chip = ChipConfig(buffer_slots=slots)
        result = simulate(f"revolve:slots={slots}", chip, layers=layers, width=4, seed=2)
        assert result.max_abs_grad_diff == 0.0
        assert result.backward.ops["fwd"] == backward_recomputations(layers, slots)
        assert result.peak_buffer_slots <= slots


@pytest.mark.parametrize("layers", [1000, 4321, 100_000])
def test_binomial_plans_attain_t_for_large_l(layers: int) -> None:
    for slots in (1, 2, 10) if layers < 100_000 else (10,):
        chip = ChipConfig(buffer_slots=slots)
        plan = make_plan("revolve", layers, chip)
        assert plan.counts("backward")["fwd"] == backward_recomputations(layers, slots)
        assert execute(plan, chip, None).trace.peak_buffer_slots <= slots


def test_binomial_split_lies_in_griewanks_interval() -> None:
    from math import comb

    from chipsim.planners.binomial import split

    for snapshots in range(2, 8):
        for steps in range(2, 400):
            r = next(r for r in range(steps) if comb(snapshots + r, snapshots) >= steps)
            m = split(steps, snapshots)
            beta = lambda c, s: comb(c + s, c) if s >= 0 else 0  # noqa: E731
            assert max(1, beta(snapshots, r - 2)) <= m <= beta(snapshots, r - 1)
            assert beta(snapshots - 1, r - 1) <= steps - m <= beta(snapshots - 1, r)
            # the split attains t: m + t(m, c) + t(l - m, c - 1) = t(l, c)
            total = m + advances(m, snapshots) + advances(steps - m, snapshots - 1)
            assert total == advances(steps, snapshots)
