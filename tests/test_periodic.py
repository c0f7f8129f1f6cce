"""The periodic planner: valid plans at exactly their predicted latency, never below optimum."""

from __future__ import annotations

import numpy as np
import pytest
from test_optimal import PAGING_CHIP, random_chip

from chipsim import ChipConfig, Network, execute
from chipsim.planners import periodic
from chipsim.planners.equal_size import recurrence as optimal


@pytest.mark.parametrize("objective", ["backward", "total"])
def test_periodic_plans_run_at_their_value_and_bound_the_optimum(objective: str) -> None:
    rng = np.random.default_rng(13)
    for _ in range(12):
        layers, slots = int(rng.integers(8, 40)), int(rng.integers(1, 4))
        chip = random_chip(rng, slots)
        size = int(rng.integers(2, layers))
        schedule = periodic.approximate(layers, chip, slots, objective=objective, size=size)
        plan = schedule.plan("periodic")
        trace = execute(plan, chip, Network(layers, 3, seed=1)).trace  # raises on any violation
        measured = trace.latency_ns("backward")
        if objective == "total":
            measured += trace.latency_ns("forward")
        assert measured == schedule.value
        assert trace.peak_buffer_slots <= slots
        assert all(layers - base <= size for base in schedule.bases[-1:])
        exact = optimal.solve(layers, chip, slots, objective=objective).value
        assert schedule.value >= exact


def test_a_window_as_long_as_the_chain_is_the_exact_plan() -> None:
    chip = PAGING_CHIP.replace({"buffer_slots": 3})
    schedule = periodic.approximate(30, chip, 3, objective="backward", size=30)
    assert schedule.bases == ()
    assert schedule.value == optimal.solve(30, chip, 3).value


def test_optimal_switches_to_periodic_exactly_beyond_the_planning_limit() -> None:
    assert periodic.is_exact(7356, 10) and not periodic.is_exact(7357, 10)
    chip = ChipConfig(buffer_slots=10)
    assert isinstance(periodic.schedule(7357, chip, 10, objective="backward", strategy="optimal"),
                      periodic.PeriodicSchedule)  # fmt: skip
    assert periodic.window(100_000, 10) == 1051  # L(C+1)(L+5000) <= 7e7: 1051·11·6051 = 6.996e7
    assert optimal.planning_steps(1052, 10) > periodic.WINDOW_STEPS
