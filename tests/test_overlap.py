"""Overlapped timing: hand-worked latencies, data dependencies, and never slower than serial."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ALL_STRATEGIES, ROOMY

from chipsim import ChipConfig, DoesNotFit, ModelViolation, Op, Plan, execute, make_plan, simulate
from chipsim.model.chip import LATENCY_FIELDS
from chipsim.sim.overlap import dependencies

OVERLAPPED = {"mode": "overlapped"}


def backward_ns(strategy: str, chip: ChipConfig, layers: int = 10) -> int | float:
    return simulate(strategy, chip, layers=layers, math=False).backward.latency_ns


# Worked by hand (see the strategies' docstrings).


@pytest.mark.parametrize(("d", "b"), [(30, 10), (10, 30), (20, 20), (7, 0)])
@pytest.mark.parametrize("layers", [1, 2, 10])
def test_disk_offload_with_prefetch_runs_at_the_pace_of_the_busier_port(
    d: int, b: int, layers: int
) -> None:
    """Reads of d ns and backward steps of b ns: min(d, b) + L·max(d, b), against L·(d + b)."""
    chip = ChipConfig(loaddisk_ns=d, bwd_ns=b, staging_slots=1)
    assert backward_ns("disk-offload:prefetch=1", chip, layers) == layers * (d + b)
    overlapped = chip.replace(OVERLAPPED)
    assert backward_ns("disk-offload:prefetch=1", overlapped, layers) == min(d, b) + layers * max(
        d, b
    )


def test_disk_offload_with_prefetch_step_by_step() -> None:
    """L = 3, reads 30 ns, backward steps 10 ns: each read starts as the disk frees."""
    chip = ChipConfig(loaddisk_ns=30, bwd_ns=10, staging_slots=1, mode="overlapped")
    frame = simulate("disk-offload:prefetch=1", chip, layers=3, math=False).frame
    backward = frame[frame["phase"] == "backward"]
    rows = [
        (op, layer, prefetch, start, end)
        for op, layer, prefetch, start, end in backward[
            ["op", "layer", "prefetch", "start_ns", "end_ns"]
        ].itertuples(index=False)
    ]
    forward_end = frame[frame["phase"] == "forward"]["end_ns"].max()
    assert [(op, layer, pf, s - forward_end, e - forward_end) for op, layer, pf, s, e in rows] == [
        ("loaddisk", 2, False, 0, 30),
        ("bwd", 3, False, 30, 40),
        ("loaddisk", 1, True, 30, 60),  # issued behind bwd 3, on the disk port
        ("bwd", 2, False, 60, 70),  # waits for a1
        ("loaddisk", 0, True, 60, 90),
        ("bwd", 1, False, 90, 100),
    ]


def test_course_stride_with_prefetch_hides_every_load_behind_a_recompute_but_two() -> None:
    """500 ns serial; overlapped, 10 (the first load) + 400 (20 fwd) + 10 (a0 behind bwd 6)."""
    chip = ChipConfig(staging_slots=1)
    assert backward_ns("stride:k=5,prefetch=1", chip) == 500
    assert backward_ns("stride:k=5,prefetch=1", chip.replace(OVERLAPPED)) == 420


def test_deeper_prefetch_helps_only_when_latencies_vary() -> None:
    fixed = ChipConfig(loaddisk_ns=50, bwd_ns=40, staging_slots=3, mode="overlapped")
    depths = [backward_ns(f"disk-offload:prefetch={d}", fixed) for d in (1, 2, 3)]
    assert depths == [40 + 10 * 50] * 3
    jittery = fixed.replace({"loaddisk_ns": {"dist": "exponential", "mean": 50}})
    mean = {
        depth: simulate(
            f"disk-offload:prefetch={depth}", jittery, math=False, replications=400
        ).replications.summary()["mean"]
        for depth in (1, 3)
    }
    assert mean[3] < mean[1]


# Rules of the model.


def random_chip(rng: np.random.Generator, **fields: object) -> ChipConfig:
    latencies = {name: int(rng.integers(0, 40)) for name in LATENCY_FIELDS}
    return ROOMY.replace({**latencies, **fields})


@pytest.mark.parametrize("strategy", ALL_STRATEGIES)
def test_overlapped_is_never_slower_than_serial_and_plain_plans_keep_their_latency(
    strategy: str,
) -> None:
    rng = np.random.default_rng(11)
    for _ in range(6):
        chip = random_chip(rng)
        layers = int(rng.integers(1, 13))
        plan = make_plan(strategy, layers, chip)
        serial = execute(plan, chip, None).trace
        overlapped = execute(plan, chip.replace(OVERLAPPED), None).trace
        for phase in ("forward", "backward"):
            assert overlapped.latency_ns(phase) <= serial.latency_ns(phase)
            if not plan.prefetch.any():
                assert overlapped.latency_ns(phase) == serial.latency_ns(phase)
        assert (overlapped.start_ns <= serial.start_ns).all()


@pytest.mark.parametrize("strategy", ["stride:k=3,prefetch=1", "disk-offload:prefetch=2"])
def test_no_op_starts_before_its_data_is_ready_or_while_its_port_is_busy(strategy: str) -> None:
    rng = np.random.default_rng(5)
    for _ in range(10):
        chip = random_chip(rng, mode="overlapped")
        plan = make_plan(strategy, 9, chip)
        trace = execute(plan, chip, None).trace
        start, end = trace.start_ns, trace.end_ns  # one row per op: no faults
        for op, waits in enumerate(dependencies(plan)):
            assert all(start[op] >= end[before] for before in waits)
        for port in range(3):
            rows = np.flatnonzero(trace.resource == port)
            assert (start[rows][1:] >= end[rows][:-1]).all()  # in plan order, one at a time
        backward = trace.phase == 1
        assert start[backward].min() >= end[~backward].max()


def test_staging_registers_never_hold_more_than_the_chip_has() -> None:
    chip = ChipConfig(loaddisk_ns=5, bwd_ns=40, staging_slots=2, mode="overlapped")
    plan = make_plan("disk-offload:prefetch=2", 10, chip)
    trace = execute(plan, chip, None).trace
    staged = plan.staged & ~plan.prefetch
    taken = trace.start_ns[plan.prefetch]  # a prefetch holds its register from its start...
    given = trace.start_ns[staged]  # ...until the fwd/bwd that takes it starts
    for moment in np.unique(np.concatenate([taken, given])):
        assert (taken <= moment).sum() - (given <= moment).sum() <= 2


@pytest.mark.parametrize("mode", ["serial", "overlapped"])
def test_prefetching_plans_give_gradients_bitwise_equal_to_plain_backprop(mode: str) -> None:
    chip = ROOMY.replace({"mode": mode})
    for strategy in ("stride:k=3,prefetch=2", "disk-offload:prefetch=3"):
        assert simulate(strategy, chip, layers=9, width=8).max_abs_grad_diff == 0.0


# Plans that prefetch.


def test_a_plan_needing_more_staging_than_the_chip_has_is_refused_before_running() -> None:
    with pytest.raises(DoesNotFit) as refusal:
        simulate("disk-offload:prefetch=3", ChipConfig(staging_slots=1))
    assert str(refusal.value) == (
        "disk-offload:prefetch=3 needs 3 staging slots; the chip has 1 (try --set staging_slots=3)"
    )
    assert refusal.value.exit_code == 3


def test_prefetching_changes_neither_op_counts_nor_buffer_use() -> None:
    chip = ROOMY
    for plain, fetched in (
        ("stride:k=4", "stride:k=4,prefetch=2"),
        ("disk-offload", "disk-offload:prefetch=1"),
    ):
        a, b = make_plan(plain, 11, chip), make_plan(fetched, 11, chip)
        assert a.counts("backward") == b.counts("backward")
        assert a.buffer_slots_needed == b.buffer_slots_needed
        assert b.staging_slots_needed == int(fetched[-1])
        assert b.prefetch.sum() == 10  # every step's load but the first


def prefetch_plan(backward: list[Op]) -> Plan:
    forward = [Op("loadmem", 0), Op("storedisk", 0), Op("fwd", 1), Op("storedisk", 1), Op("fwd", 2)]
    return Plan.build("hand", 2, forward, backward)


def test_a_prefetched_activation_left_unused_is_a_model_violation() -> None:
    plan = prefetch_plan(
        [
            Op("loaddisk", 1),
            Op("bwd", 2),
            Op("loaddisk", 0),
            Op("bwd", 1),
            Op("loaddisk", 0, prefetch=True),
        ]
    )
    with pytest.raises(ModelViolation, match="a0 was prefetched into staging and never used"):
        execute(plan, ChipConfig(staging_slots=1), None)


def test_a_prefetch_of_something_not_there_names_the_op() -> None:
    plan = prefetch_plan([Op("loaddisk", 1), Op("loaddisk", 2, prefetch=True), Op("bwd", 2)])
    with pytest.raises(ModelViolation) as error:
        execute(plan, ChipConfig(staging_slots=1), None)
    assert "op 1 of the backward phase, `loaddisk 2 (prefetch)`: a2 is not on disk" in str(
        error.value
    )


def test_only_loads_can_prefetch() -> None:
    with pytest.raises(ModelViolation, match="`fwd 1` in the forward phase is marked prefetch"):
        Plan.build("hand", 1, [Op("loadmem", 0), Op("fwd", 1, prefetch=True)], [])


def test_a_deadlocked_schedule_is_a_model_violation_naming_the_stuck_op() -> None:
    """Unreachable through execute (check_fits refuses the plan first): a prefetch on a
    chip without staging registers waits forever, and says which op never started."""
    from chipsim.sim.machine import Chip
    from chipsim.sim.overlap import schedule

    plan = make_plan("disk-offload:prefetch=1", 3, ChipConfig(staging_slots=1))
    ones = np.ones(len(plan), dtype=np.int64)
    with pytest.raises(ModelViolation) as error:
        schedule(Chip(ChipConfig(mode="overlapped")), plan, ones, ones)
    first_prefetch = int(np.flatnonzero(plan.prefetch)[0])
    assert str(error.value) == (
        f"disk-offload:prefetch=1: overlapped timing deadlocked: `loaddisk 1 (prefetch)` "
        f"(op {first_prefetch} of the plan) never started"
    )
