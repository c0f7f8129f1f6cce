"""How long the optimal planner takes, and how it scales with L.

Run: ``python benchmarks/plan_speed.py``.

Prints wall time per (L, slots) and the ratio of each time to the previous
L's, measured in one process: an O(L²·C) planner doubles L at 4× the cost.
Each figure is the best of ``REPEATS`` runs, to damp this machine's noise.
"""

from __future__ import annotations

import platform
import time

from chipsim import ChipConfig, make_plan

REPEATS = 3


def best_time(layers: int, slots: int) -> float:
    chip = ChipConfig(buffer_slots=slots, loaddisk_ns=35)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        make_plan("optimal", layers, chip)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    print(f"python {platform.python_version()} on {platform.machine()}, {REPEATS} repeats, best")
    print(f"{'L':>6} {'slots':>5} {'seconds':>8} {'vs L/2':>7}")
    for slots in (2, 10):
        previous = None
        for layers in (125, 250, 500, 1000):
            seconds = best_time(layers, slots)
            ratio = f"{seconds / previous:.2f}x" if previous else "-"
            print(f"{layers:>6} {slots:>5} {seconds:>8.3f} {ratio:>7}")
            previous = seconds


if __name__ == "__main__":
    main()
