"""SimPy events per op of an overlapped run, and its time against the same run in serial mode.

Run: ``python benchmarks/overlap_events.py`` from the repository root. For each
plan: the SimPy events scheduled while ``execute`` runs it in overlapped mode
(every call of ``simpy.Environment.schedule``, counted by a wrapper: each
timeout, succeeded event, process start and resource grant goes through it),
over the plan's ops; then the best of ``REPEATS`` timing-only ``execute``
calls in overlapped and in serial mode, taking turns, and their ratio.
"""

from __future__ import annotations

import math
import sys
import time

import simpy

from chipsim import ChipConfig, execute, make_plan

REPEATS = 5
CHIP = ChipConfig(buffer_slots=4096, staging_slots=2, loaddisk_ns=30, bwd_ns=10)
PLANS = (("disk-offload", 4000), ("disk-offload:prefetch=2", 4000), ("stride:k=5,prefetch=1", 4000))


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


def best_seconds(plan, chips: dict[str, ChipConfig]) -> dict[str, float]:
    best = dict.fromkeys(chips, math.inf)
    for _ in range(REPEATS):
        for name, chip in chips.items():
            began = time.perf_counter()
            execute(plan, chip, None)
            best[name] = min(best[name], time.perf_counter() - began)
    return best


def main() -> None:
    print(f"Python {sys.version.split()[0]}, SimPy {simpy.__version__}, best of {REPEATS}")
    print("| plan | L | ops | SimPy events | events/op | overlapped s | serial s | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    overlapped = CHIP.replace({"mode": "overlapped"})
    for spec, layers in PLANS:
        plan = make_plan(spec, layers, CHIP)
        events = events_scheduled(plan, overlapped)
        best = best_seconds(plan, {"overlapped": overlapped, "serial": CHIP})
        ratio = best["overlapped"] / best["serial"]
        print(
            f"| {spec} | {layers} | {len(plan)} | {events} | {events / len(plan):.2f} "
            f"| {best['overlapped']:.4f} | {best['serial']:.4f} | {ratio:.2f} |"
        )


if __name__ == "__main__":
    main()
