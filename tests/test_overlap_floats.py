"""Overlapped timing with float latencies: never above serial, bit for bit, as overlap.py states."""

from __future__ import annotations

import numpy as np
import pytest

from chipsim import ChipConfig, Op, Plan, execute, make_plan

FIELDS = ("fwd_ns", "bwd_ns", "loadmem_ns", "storemem_ns", "loaddisk_ns", "storedisk_ns")
SPECS = ("stride:k=2,prefetch=1", "stride:k=3,prefetch=2", "disk-offload:prefetch=2", "optimal")


def float_chip(rng: np.random.Generator) -> ChipConfig:
    """Latencies such as 0.1 and 1/3 whose sums round."""
    values = {
        name: float(rng.choice([0.1, 0.2, 0.3, 0.7, 1 / 3, rng.random() * 9])) for name in FIELDS
    }
    return ChipConfig(**values, buffer_slots=8, staging_slots=2)


def both_modes(plan: Plan, chip: ChipConfig):  # type: ignore[no-untyped-def]
    serial = execute(plan, chip, None).trace
    return serial, execute(plan, chip.replace({"mode": "overlapped"}), None).trace


@pytest.mark.parametrize("spec", SPECS)
def test_no_op_starts_or_ends_later_than_serial_and_no_phase_takes_longer(spec: str) -> None:
    rng = np.random.default_rng(15)
    for _ in range(40):
        chip, layers = float_chip(rng), int(rng.integers(1, 9))
        serial, overlapped = both_modes(make_plan(spec, layers, chip), chip)
        assert (overlapped.start_ns <= serial.start_ns).all()
        assert (overlapped.end_ns <= serial.end_ns).all()
        # built-in forward phases are chains: both end at the same time, so the backward
        # latencies (a difference from that time) keep the order too
        assert overlapped.latency_ns("forward") == serial.latency_ns("forward")
        assert overlapped.latency_ns("backward") <= serial.latency_ns("backward")


def test_the_course_shape_with_tenths_overlaps_to_at_most_serial() -> None:
    chip = ChipConfig(fwd_ns=0.1, loadmem_ns=0.2, staging_slots=1)
    plan = make_plan("stride:k=1,prefetch=1", 1, chip)
    serial, overlapped = both_modes(plan, chip)
    assert serial.latency_ns("forward") == 0.2 + 0.1  # loadmem 0, fwd 1, storemem 1 (0 ns)
    assert overlapped.latency_ns("backward") <= serial.latency_ns("backward")


def test_an_overlapping_forward_phase_keeps_every_op_time_at_most_serial() -> None:
    """Two stores of one activation run side by side, so this forward phase ends early;
    every op time and the whole run stay at most serial's, bit for bit."""
    forward = [Op("loadmem", 0), Op("fwd", 1), Op("storemem", 1), Op("storedisk", 1)]
    forward += [Op("fwd", 2)]
    backward = [Op("loadmem", 1), Op("bwd", 2), Op("free", 1), Op("loadmem", 0), Op("bwd", 1)]
    plan = Plan.build("two-stores", 2, forward, backward)
    rng = np.random.default_rng(7)
    for _ in range(200):
        serial, overlapped = both_modes(plan, float_chip(rng))
        assert (overlapped.end_ns <= serial.end_ns).all()
        assert overlapped.latency_ns("forward") <= serial.latency_ns("forward")
        assert overlapped.end_ns.max() <= serial.end_ns.max()
    chip = ChipConfig(storemem_ns=3, storedisk_ns=5)
    serial, overlapped = both_modes(plan, chip)
    assert serial.latency_ns("forward") == 10 + 20 + 3 + 5 + 20
    assert overlapped.latency_ns("forward") == 10 + 20 + 5 + 20  # the stores overlap


def test_ops_sharing_a_timeout_whose_end_the_clock_cannot_land_on_keep_their_times() -> None:
    """The compute port starts fwd 1 at 2.361... and fwd 2 joins it; from that start no
    delay lands SimPy's clock on fwd 2's float end (start + (end - start) != end), so
    each op gets its own timeout: the times are still the running sums, to the bit."""
    from chipsim.sim.machine import Chip
    from chipsim.sim.overlap import schedule

    start, first, second = 2.3610439906809866, 41.38840783228648, 0.6190872243333312
    assert start + (((start + first) + second) - start) != (start + first) + second
    plan = Plan.build("two-fwds", 2, [Op("loadmem", 0), Op("fwd", 1), Op("fwd", 2)], [])
    chip = Chip(ChipConfig(mode="overlapped"))
    begun, ended = schedule(
        chip, plan, np.ones(3, dtype=np.int64), np.array([start, first, second])
    )
    assert begun.tolist() == [0.0, start, start + first]
    assert ended.tolist() == [start, start + first, (start + first) + second]
    assert chip.env.now == (start + first) + second
