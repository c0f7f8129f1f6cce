"""Sweep throughput: runs per second of a 1,000-run timing-only sweep, 1 worker against 2.

Run: ``python benchmarks/sweep_speed.py``. All sweeps run in this process,
into fresh files; the ratio is 2 workers over 1. "cold" includes starting
the worker processes (what one ``chipsim sweep`` command pays); "warm" runs
after a small sweep has started them (loky keeps its workers for reuse).
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

from chipsim import Scenario
from chipsim.sweep import sweep

STRATEGIES = ["stride:k=5", "sqrt-n", "disk-offload", "full-store"]
GRID = {"layers": list(range(10, 260, 10)), "loaddisk_ns": list(range(10, 110, 10))}


def runs_per_second(jobs: int, path: Path, grid: dict = GRID) -> tuple[float, int]:
    start = time.perf_counter()
    frame, new = sweep(Scenario(), STRATEGIES, grid, path, jobs=jobs, math=False)
    return new / (time.perf_counter() - start), len(frame)


def main() -> None:
    print(f"python {platform.python_version()}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        one, runs = runs_per_second(1, folder / "one.parquet")
        two_cold, _ = runs_per_second(2, folder / "cold.parquet")
        runs_per_second(2, folder / "warm-up.parquet", {"layers": [10, 20]})
        two_warm, _ = runs_per_second(2, folder / "warm.parquet")
    print(f"{runs} runs, 1 worker: {one:.0f} runs/s")
    print(f"{runs} runs, 2 workers, cold: {two_cold:.0f} runs/s, ratio {two_cold / one:.2f}")
    print(f"{runs} runs, 2 workers, warm: {two_warm:.0f} runs/s, ratio {two_warm / one:.2f}")


if __name__ == "__main__":
    main()
