"""Chains: an op found chained starts exactly when the op before it ends, in the one-pass
oracle's times; chains are driven by a process with nothing else to do; chained plans,
and ends nobody waits for, save SimPy events and keep their times."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from overlap_reference import one_pass_schedule, reference_schedule
from test_overlap_reference import RUN_EVENTS, SPECS, _counting, _mixed, fitting_plan

from chipsim import ChipConfig, make_plan
from chipsim.model.ops import KIND_CODE, PORT_CODE_OF_KIND
from chipsim.sim.machine import Chip
from chipsim.sim.overlap import schedule
from chipsim.sim.overlap_waits import chains


@settings(max_examples=200, deadline=None)
@given(
    spec=st.sampled_from(SPECS),
    layers=st.integers(1, 24),
    staging_slots=st.integers(0, 4),
    seed=st.integers(0, 2**32 - 1),
    floats=st.booleans(),
    mixed=st.booleans(),
)
def test_a_chained_op_starts_when_the_op_before_it_ends_and_a_driver_is_free_meanwhile(
    spec: str, layers: int, staging_slots: int, seed: int, floats: bool, mixed: bool
) -> None:
    """Whatever the durations (ints with many zeros, floats), retried or not; and each
    stretch of ops a process runs ends on its own port, or the port has no later op."""
    plan, chip = fitting_plan(spec, layers, staging_slots, "overlapped")
    rng = np.random.default_rng(seed)
    plan = _mixed(plan, rng) if mixed else plan
    attempts = rng.integers(1, 3, len(plan))
    rows = int(attempts.sum())
    durations = rng.uniform(0, 50, rows) if floats else rng.integers(0, 3, rows)
    start, end = one_pass_schedule(Chip(chip), plan, attempts, durations)
    first_row = np.concatenate([[0], np.cumsum(attempts)])
    op_start, op_end = start[first_row[:-1]], end[first_row[1:] - 1]
    chained, driver = chains(plan, staging_slots)
    assert not chained[0]
    assert np.array_equal(op_start[1:][chained[1:]], op_end[:-1][chained[1:]])
    port = np.asarray(PORT_CODE_OF_KIND)[plan.kind_codes]
    stretch_ends = np.flatnonzero(np.append(driver[1:] != driver[:-1], True))
    for last in stretch_ends.tolist():
        later = port[last + 1 :] == driver[last]
        assert port[last] == driver[last] or not later.any()


def test_a_plan_each_op_of_which_waits_for_the_one_before_is_one_timeout_a_phase() -> None:
    """disk-offload: every op waits for the one before, across the compute and disk
    ports, so the run is a few SimPy events however long, with the oracles' times."""
    chip = ChipConfig(buffer_slots=400, mode="overlapped")
    plan = make_plan("disk-offload", 300, chip)
    durations = np.random.default_rng(3).integers(1, 40, len(plan))
    ones = np.ones(len(plan), dtype=np.int64)
    simulated = Chip(chip)
    events = _counting(simulated)
    times = schedule(simulated, plan, ones, durations)
    for oracle in (reference_schedule, one_pass_schedule):
        for mine, theirs in zip(times, oracle(Chip(chip), plan, ones, durations), strict=True):
            assert np.array_equal(mine, theirs)
    assert chains(plan, 0)[0][1:].all()
    assert events[0] <= 2 + RUN_EVENTS  # a timeout for each phase


def test_an_end_nobody_waits_for_by_then_costs_no_timeout() -> None:
    """disk-offload:prefetch=2 with slow reads: each bwd waits for its load, and nobody
    for a bwd's end before it has come, so the backward phase costs a timeout per load
    (none per bwd); with slow bwds instead, one per bwd. The oracles' times either way."""
    chip = ChipConfig(buffer_slots=400, staging_slots=2, mode="overlapped")
    plan = make_plan("disk-offload:prefetch=2", 200, chip)
    loads = plan.kind_codes == KIND_CODE["loaddisk"]
    ones = np.ones(len(plan), dtype=np.int64)
    for load_ns, bwd_ns, paid in ((30, 10, loads), (10, 30, plan.kind_codes == KIND_CODE["bwd"])):
        durations = np.select([loads, plan.kind_codes == KIND_CODE["bwd"]], [load_ns, bwd_ns], 5)
        simulated = Chip(chip)
        events = _counting(simulated)
        times = schedule(simulated, plan, ones, durations)
        for oracle in (reference_schedule, one_pass_schedule):
            expected = oracle(Chip(chip), plan, ones, durations)
            for mine, theirs in zip(times, expected, strict=True):
                assert np.array_equal(mine, theirs)
        assert events[0] <= int(paid.sum()) + RUN_EVENTS + 8  # and a few where phases meet
        assert events[0] < 0.6 * (len(plan) - plan.forward_ops)


def test_a_term_on_the_port_of_the_op_before_does_not_break_a_chain() -> None:
    """stride:k=3,prefetch=2: each bwd right after the fwd that recomputes its input also
    waits for the bwd before it on the compute port, which ended before that fwd began
    (port order), so every such bwd is chained to its fwd (only the first and the last
    were before, where no prefetch came between)."""
    chip = ChipConfig(buffer_slots=64, staging_slots=2, mode="overlapped")
    plan = make_plan("stride:k=3,prefetch=2", 30, chip)
    codes = plan.kind_codes
    after_fwd = (codes[1:] == KIND_CODE["bwd"]) & (codes[:-1] == KIND_CODE["fwd"])
    bwds = np.flatnonzero(after_fwd) + 1
    bwds = bwds[bwds > plan.forward_ops]
    assert bwds.tolist() == [47, 57, 67, 77, 87, 97, 107, 117, 127, 137, 139]
    assert chains(plan, 2)[0][bwds].all()
