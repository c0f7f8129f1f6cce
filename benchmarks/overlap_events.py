"""Overlapped mode against bare SimPy: its ops per second over SimPy's events per second.

Run: ``PYTHONPATH=.:tests python benchmarks/overlap_events.py`` from the
repository root (``tests`` for the one-pass oracle).

The metric (issue 21): a user sees each op as one simulated event, so
chipsim's rate is a plan's ops per second of ``execute(plan, chip, None)`` in
overlapped mode (timing only: no math, the whole call), and the yardstick is
bare SimPy's events per second on this machine, in the same process and run: one
SimPy process yielding ``env.timeout(1)`` as many times as the plan has ops,
and nothing else. The ratio is the first over the second; 1 would mean an op
costs what one bare SimPy event does. Beside it, the same ratio for serial
``execute`` (no SimPy) and for the overlapped timing alone
(``chipsim.sim.overlap.schedule`` on the run's durations), and for that timing done
by the one-pass computation it replaced (``tests/overlap_reference.py``, no
SimPy). Each is the best of five turns or more (``turns.best_seconds``), in CPU
seconds of this process (``time.process_time``: the machine is shared, and wall
time counts other programs' turns). Before timing: the SimPy events ``execute``
schedules in overlapped mode (every call of
``simpy.Environment.schedule``, counted by a wrapper: each timeout, succeeded
event, process start and end, resource grant and release), over the plan's
ops, and a check that the simulation and the one-pass computation give the
same start and end of every row.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from unittest import mock

import numpy as np
import simpy
from overlap_reference import one_pass_schedule
from turns import best_seconds, described

from chipsim import ChipConfig, execute, make_plan
from chipsim.sim.machine import Chip
from chipsim.sim.overlap import schedule

MIN_SECONDS = 2.0  # turns enough for the slowest contender: the bare loop's best moves most
CHIP = ChipConfig(buffer_slots=40_000, staging_slots=2, loaddisk_ns=30, bwd_ns=10)
PLANS = (  # with prefetches (this benchmark's since issue 13), then engine_speed.py's plans
    ("stride:k=3,prefetch=2", 4000, CHIP),
    ("disk-offload:prefetch=2", 4000, CHIP),
    ("stride:k=3,prefetch=2", 32_000, CHIP),
    ("disk-offload:prefetch=2", 32_000, CHIP),
    ("sqrt-n", 20_000, ChipConfig(buffer_slots=20_000)),
    ("stride:k=5", 20_000, ChipConfig(buffer_slots=20_000)),
    ("disk-offload", 50_000, ChipConfig(buffer_slots=50_000)),
)


def events_scheduled(plan, chip: ChipConfig) -> int:
    """SimPy events scheduled while ``execute`` runs ``plan`` timing only on ``chip``."""
    schedule_event, count = simpy.Environment.schedule, 0

    def counting(self, event, priority=1, delay=0):
        nonlocal count
        count += 1
        return schedule_event(self, event, priority, delay)

    simpy.Environment.schedule = counting
    try:
        execute(plan, chip, None)
    finally:
        simpy.Environment.schedule = schedule_event
    return count


def same_rows(plan, chip: ChipConfig) -> bool:
    simulated = execute(plan, chip, None).trace
    with mock.patch("chipsim.sim.engine.schedule", one_pass_schedule):
        computed = execute(plan, chip, None).trace
    return all(
        np.array_equal(getattr(simulated, column), getattr(computed, column))
        for column in ("start_ns", "end_ns")
    )


def bare_simpy(events: int) -> None:
    """One SimPy process yielding ``events`` timeouts: SimPy's own cost per event."""
    env = simpy.Environment()

    def ticks():
        for _ in range(events):
            yield env.timeout(1)

    env.process(ticks())
    env.run()


def contenders(plan, chip: ChipConfig) -> dict[str, Callable[[], object]]:
    """What is timed, by name: each runs the plan once (bare SimPy: as many events)."""
    ones, overlapped = np.ones(len(plan), dtype=np.int64), chip.replace({"mode": "overlapped"})
    trace = execute(plan, chip, None).trace  # serial: its durations, one row per op
    durations = trace.end_ns - trace.start_ns
    return {
        "bare SimPy": lambda: bare_simpy(len(plan)),
        "overlapped": lambda: execute(plan, overlapped, None),
        "serial": lambda: execute(plan, chip, None),
        "timing": lambda: schedule(Chip(overlapped), plan, ones, durations),
        "one pass": lambda: one_pass_schedule(Chip(overlapped), plan, ones, durations),
    }


def main() -> None:
    load = os.getloadavg()[0]
    print(f"Python {sys.version.split()[0]}, SimPy {simpy.__version__}, {described(MIN_SECONDS)}")
    print(
        "| plan | L | ops | SimPy events | events/op | bare SimPy events/s "
        "| **overlapped ÷ bare** | serial ÷ bare | timing ÷ bare | one pass ÷ bare |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for spec, layers, chip in PLANS:
        plan, overlapped = make_plan(spec, layers, chip), chip.replace({"mode": "overlapped"})
        assert same_rows(plan, overlapped), spec
        events = events_scheduled(plan, overlapped)
        best = best_seconds(contenders(plan, chip), time.process_time, MIN_SECONDS)
        bare = best.pop("bare SimPy")
        ratios = " | ".join(f"{bare / seconds:.2f}" for seconds in best.values())
        print(
            f"| {spec} | {layers:,} | {len(plan):,} | {events:,} | {events / len(plan):.2f} "
            f"| {len(plan) / bare / 1e6:.2f} M | {ratios} |"
        )
    print(f"load average {load:.2f} → {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
