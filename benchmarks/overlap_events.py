"""SimPy events per op of an overlapped run, and its time against serial mode and one pass.

Run: ``PYTHONPATH=.:tests python benchmarks/overlap_events.py`` from the
repository root (``tests`` for the one-pass oracle). For each plan: the SimPy
events scheduled while ``execute`` runs it in overlapped mode (every call of
``simpy.Environment.schedule``, counted by a wrapper: each timeout, succeeded
event, process start and end, and resource grant and release goes through
it), over the plan's ops; then the best of ``REPEATS`` timing-only
``execute`` calls in overlapped mode (the SimPy simulation), in overlapped
mode timed by the one-pass computation it replaced
(``tests/overlap_reference.py``, swapped into the engine), and in serial
mode, taking turns, and the ratios to serial. The two overlapped timings are
checked to agree on every row first.
"""

from __future__ import annotations

import math
import sys
import time
from unittest import mock

import numpy as np
import simpy
from overlap_reference import one_pass_schedule

from chipsim import ChipConfig, execute, make_plan

REPEATS = 3
CHIP = ChipConfig(buffer_slots=40_000, staging_slots=2, loaddisk_ns=30, bwd_ns=10)
PLANS = (
    ("stride:k=3,prefetch=2", 4000),
    ("disk-offload:prefetch=2", 4000),
    ("stride:k=3,prefetch=2", 32_000),
    ("disk-offload:prefetch=2", 32_000),
)


def events_scheduled(plan, chip: ChipConfig) -> int:
    """SimPy events scheduled while ``execute`` runs ``plan`` timing only on ``chip``."""
    schedule, count = simpy.Environment.schedule, 0

    def counting(self, event, priority=1, delay=0):
        nonlocal count
        count += 1
        return schedule(self, event, priority, delay)

    simpy.Environment.schedule = counting
    try:
        execute(plan, chip, None)
    finally:
        simpy.Environment.schedule = schedule
    return count


def one_pass():
    """The engine timing overlapped runs by the one-pass oracle instead of SimPy."""
    return mock.patch("chipsim.sim.engine.schedule", one_pass_schedule)


def same_rows(plan, chip: ChipConfig) -> bool:
    simulated = execute(plan, chip, None).trace
    with one_pass():
        computed = execute(plan, chip, None).trace
    return all(
        np.array_equal(getattr(simulated, column), getattr(computed, column))
        for column in ("start_ns", "end_ns")
    )


def best_seconds(plan, overlapped: ChipConfig, serial: ChipConfig) -> dict[str, float]:
    best = dict.fromkeys(("simpy", "one pass", "serial"), math.inf)
    for _ in range(REPEATS):
        for name in best:
            began = time.perf_counter()
            if name == "one pass":
                with one_pass():
                    execute(plan, overlapped, None)
            else:
                execute(plan, overlapped if name == "simpy" else serial, None)
            best[name] = min(best[name], time.perf_counter() - began)
    return best


def main() -> None:
    print(f"Python {sys.version.split()[0]}, SimPy {simpy.__version__}, best of {REPEATS}")
    print(
        "| plan | L | ops | SimPy events | events/op | SimPy s | one pass s | serial s "
        "| SimPy ÷ serial | one pass ÷ serial |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    overlapped = CHIP.replace({"mode": "overlapped"})
    for spec, layers in PLANS:
        plan = make_plan(spec, layers, CHIP)
        assert same_rows(plan, overlapped), spec
        events = events_scheduled(plan, overlapped)
        best = best_seconds(plan, overlapped, CHIP)
        simpy_s, one_pass_s, serial_s = best["simpy"], best["one pass"], best["serial"]
        print(
            f"| {spec} | {layers:,} | {len(plan):,} | {events:,} | {events / len(plan):.2f} "
            f"| {simpy_s:.3f} | {one_pass_s:.3f} | {serial_s:.3f} "
            f"| {simpy_s / serial_s:.1f} | {one_pass_s / serial_s:.1f} |"
        )


if __name__ == "__main__":
    main()
