"""How long the optimal planner takes, and how it scales with L.

Run: ``python benchmarks/plan_speed.py [L,SLOTS ...]``.

Prints wall time per (L, slots) and the ratio of each time to the previous
L's, measured in one process: an O(L²·C) planner doubles L at 4× the cost.
Each figure is the best of ``REPEATS`` runs, to damp this machine's noise.
Extra ``L,SLOTS`` pairs are timed once each, with their ``planning_steps``
and steps per second: the figures behind ``MAX_PLANNING_STEPS`` (lifted for
them, so problems beyond it can be measured too).
"""

from __future__ import annotations

import platform
import sys
import time

from chipsim import ChipConfig, make_plan
from chipsim.planners.equal_size import recurrence as optimal_slots
from chipsim.planners.equal_size.recurrence import MAX_PLANNING_STEPS, planning_steps

REPEATS = 3


def best_time(layers: int, slots: int, repeats: int = REPEATS) -> float:
    chip = ChipConfig(buffer_slots=slots, loaddisk_ns=35)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        make_plan("optimal", layers, chip)
        times.append(time.perf_counter() - start)
    return min(times)


def main(extra: list[tuple[int, int]]) -> None:
    print(f"python {platform.python_version()} on {platform.machine()}, {REPEATS} repeats, best")
    print(f"{'L':>6} {'slots':>5} {'seconds':>8} {'vs L/2':>7}")
    for slots in (2, 10):
        previous = None
        for layers in (125, 250, 500, 1000):
            seconds = best_time(layers, slots)
            ratio = f"{seconds / previous:.2f}x" if previous else "-"
            print(f"{layers:>6} {slots:>5} {seconds:>8.3f} {ratio:>7}")
            previous = seconds
    if extra:
        print(f"\nonce each; MAX_PLANNING_STEPS = {MAX_PLANNING_STEPS:.0e}")
        print(f"{'L':>6} {'slots':>5} {'steps':>8} {'seconds':>8} {'steps/s':>8}")
    optimal_slots.MAX_PLANNING_STEPS = sys.maxsize
    for layers, slots in extra:
        steps = planning_steps(layers, slots)
        seconds = best_time(layers, slots, repeats=1)
        print(f"{layers:>6} {slots:>5} {steps:>8.2e} {seconds:>8.2f} {steps / seconds:>8.2e}")


if __name__ == "__main__":
    main([tuple(int(part) for part in pair.split(",")) for pair in sys.argv[1:]])
