"""Sweep throughput (goal ratio 4): runs per second of a 1,000-run timing-only sweep, 1 worker
against 2, every configuration measured the same way.

Run: ``python benchmarks/sweep_speed.py`` (about two minutes). The grid is
4 strategies (stride:k=5, sqrt-n, disk-offload, full-store) × L = 10, 20, …,
250 × loaddisk_ns = 10, 20, …, 100 on a chip with 256 buffer slots, so every
one of the 1,000 runs fits and is simulated (the script checks the
``fits`` column of every sweep). Each figure is the best of ``REPEATS``;
1 and 2 workers take turns within each repeat; every sweep writes a fresh
parquet file.

- API, cold: ``sweep(..., jobs=N, math=False)`` timed in a fresh Python
  process, after ``import chipsim.study.sweep`` (not timed): what one sweep pays
  the first time — for 2 workers, starting them and their imports; for 1,
  first-use costs in the process (e.g. loading the parquet writer).
- API, warm: the same call in this process after a small sweep with the same
  ``jobs`` has run (loky keeps its workers for the next call).
- CLI: ``python -m chipsim sweep ... --no-math --jobs N`` as a subprocess:
  wall time of the whole command (interpreter start and imports included),
  and the CPU time it and the workers it waited for used.
- CLI on a 4,000-run grid (loaddisk_ns up to 400), to see where 2 workers
  start to pay off.

Then where the time goes: the import every process pays, the CPU and wall
time of starting 2 workers (a cold 8-run sweep), starting 2 workers alone
with the pool sweeps use (forked) against joblib's loky (what sweeps used
before: a fresh interpreter each), the bytes a task pickles, the work itself
and the final write.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import pickle
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from chipsim import Scenario
from chipsim.study import sweep_files
from chipsim.study.sweep import CHUNKS_PER_WORKER, MAX_CHUNK, _chunks, points, sweep

REPEATS = 3
STRATEGIES = ["stride:k=5", "sqrt-n", "disk-offload", "full-store"]
SLOTS = 256  # full-store at L = 250 needs 249: every run fits
LAYERS = list(range(10, 251, 10))
GRIDS: dict[str, dict[str, list[int]]] = {
    "main": {"layers": LAYERS, "loaddisk_ns": list(range(10, 101, 10))},  # 1,000 runs
    "big": {"layers": LAYERS, "loaddisk_ns": list(range(10, 401, 10))},  # 4,000 runs
    "tiny": {"layers": [10, 20]},  # 8 runs: little more than starting the workers
}
BASE = Scenario().with_overrides(chip={"buffer_slots": SLOTS})
SCRIPT = str(Path(__file__).resolve())


def size(grid: str) -> int:
    return len(STRATEGIES) * math.prod(len(values) for values in GRIDS[grid].values())


def timed_sweep(jobs: int, out: Path, grid: str = "main") -> float:
    """Seconds of one sweep into a fresh file; checks that every run fitted and ran."""
    start = time.perf_counter()
    frame, new = sweep(BASE, STRATEGIES, GRIDS[grid], out, jobs=jobs, math=False)
    seconds = time.perf_counter() - start
    check(frame, new, grid)
    return seconds


def check(frame: pd.DataFrame, new: int, grid: str) -> None:
    assert new == len(frame) == size(grid), (new, len(frame), size(grid))
    assert frame["fits"].all(), frame.loc[~frame["fits"], "reason"].iloc[0]


def cli_args(grid: str) -> list[str]:
    """``chipsim sweep`` arguments for a grid, timing only."""
    args = [arg for spec in STRATEGIES for arg in ("--strategy", spec)]
    for key, values in GRIDS[grid].items():
        args += ["--grid", f"{key}={','.join(map(str, values))}"]
    return [*args, "--set", f"buffer_slots={SLOTS}", "--no-math"]


def run_python(args: Sequence[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a Python subprocess and the children it waited for.

    A subprocess that prints JSON reports its own seconds instead of the wall time.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.stdout.startswith("{"):
        wall = json.loads(done.stdout)["seconds"]
    return wall, cpu


def best(measure: Callable[[int], tuple[float, float]], configs=(1, 2)) -> dict:
    """Per configuration, (best wall, least CPU) of REPEATS tries, taking turns each repeat."""
    found = {config: (math.inf, math.inf) for config in configs}
    for _ in range(REPEATS):
        for config in configs:
            wall, cpu = measure(config)
            found[config] = (min(found[config][0], wall), min(found[config][1], cpu))
    return found


def report(title: str, timings: dict[int, tuple[float, float]], runs: int, cpu: bool) -> None:
    cells = []
    for wall, used in timings.values():
        extra = f", CPU {used:.2f} s" if cpu else ""
        cells.append(f"{runs / wall:>6,.0f} runs/s ({wall:.2f} s{extra})")
    ratio = timings[1][0] / timings[2][0]
    print(f"{title:<24}" + "   ".join(f"{cell:<36}" for cell in cells) + f"{ratio:.2f}")


def main() -> None:
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, numpy {np.__version__}, "
        f"pandas {pd.__version__}, joblib {joblib.__version__}; best of {REPEATS}; "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )
    with tempfile.TemporaryDirectory() as name:
        folder, numbers = Path(name), itertools.count()

        def fresh(tag: str) -> str:
            return str(folder / f"{tag}-{next(numbers):03}.parquet")

        def cli(grid: str) -> Callable[[int], tuple[float, float]]:
            def measure(jobs: int) -> tuple[float, float]:
                out = fresh(f"cli-{grid}")
                timing = run_python(
                    ["-m", "chipsim", "sweep", *cli_args(grid), "--jobs", str(jobs), "--out", out]
                )
                check(pd.read_parquet(out), size(grid), grid)
                return timing

            return measure

        print(f"\n{size('main'):,} runs, all feasible, math off, {SLOTS} buffer slots")
        print(f"{'':<24}{'1 worker':<39}{'2 workers':<39}2 / 1")
        cold = best(lambda jobs: run_python([SCRIPT, "--child", str(jobs), fresh("cold")]))
        report("API, cold", cold, size("main"), cpu=False)
        for jobs in (1, 2):
            timed_sweep(jobs, Path(fresh("warm-up")), "tiny")
        warm = best(lambda jobs: (timed_sweep(jobs, Path(fresh("warm"))), math.nan))
        report("API, warm", warm, size("main"), cpu=False)
        report("CLI, whole command", best(cli("main")), size("main"), cpu=True)
        print(f"\n{size('big'):,} runs (loaddisk_ns up to 400), same chip")
        report("CLI, whole command", best(cli("big")), size("big"), cpu=True)

        print(f"\nWhere the time goes (best of {REPEATS} each):")
        once = ("x",)
        python = best(lambda _: run_python(["-c", "pass"]), once)["x"]
        imports = best(lambda _: run_python(["-c", "import chipsim.study.sweep"]), once)["x"]
        starts = best(lambda jobs: run_python([SCRIPT, "--child", str(jobs), fresh("t"), "tiny"]))
        frame = pd.read_parquet(sorted(folder.glob("cold-*.parquet"))[-1])
        write = best(lambda _: (timed_write(frame, Path(fresh("write"))), math.nan), once)["x"]
        print(
            f"  python -c 'import chipsim.study.sweep': {imports[0]:.2f} s wall,"
            f" {imports[1]:.2f} s CPU"
            f" ({python[0]:.2f} s of it starting python); forked workers inherit it"
        )
        print(
            f"  a cold 8-run sweep in a fresh process: 1 worker {starts[1][0]:.2f} s,"
            f" 2 workers {starts[2][0]:.2f} s (CPU with the workers: {starts[1][1]:.2f} s"
            f" and {starts[2][1]:.2f} s)"
        )
        print(f"  the {size('main'):,} runs in this process, warm: {warm[1][0]:.2f} s")
        print(f"  writing the {len(frame):,}-row parquet once: {write[0]:.3f} s")
        runs = points(STRATEGIES, GRIDS["main"])
        chunks = sorted({len(chunk) for chunk in _chunks(runs, set(), len(runs), 2)})
        task = pickle.dumps((BASE, next(_chunks(runs, set(), len(runs), 2)), 0, False))
        for _ in range(REPEATS):
            done = subprocess.run(
                [sys.executable, SCRIPT, "--pools"], capture_output=True, text=True
            )
            for name, seconds in json.loads(done.stdout)["pools"].items():
                POOLS[name] = min(POOLS.get(name, math.inf), seconds)
        print(
            f"  chunks for 2 workers: about {CHUNKS_PER_WORKER} a worker, at most {MAX_CHUNK} runs"
            f" each: {chunks} runs; a task pickles to {len(task):,} bytes"
        )
        print(f"  starting 2 workers and running one trivial task each: {pools_text()}")


def timed_write(frame: pd.DataFrame, path: Path) -> float:
    start = time.perf_counter()
    sweep_files.write(path, frame, sweep_files.identity(BASE, 0, False))
    return time.perf_counter() - start


POOLS: dict[str, float] = {}


def pools_text() -> str:
    return ", ".join(f"{name} {seconds:.3f} s" for name, seconds in POOLS.items())


def pools() -> None:
    """Seconds to start 2 workers and get one result from each: sweeps' pool, then loky."""
    from chipsim.study.workers import local

    times = {}
    start = time.perf_counter()
    with local(2) as run:
        list(run(abs, [(-1,), (-2,)]))
    times["forked pool (sweeps now)"] = time.perf_counter() - start
    start = time.perf_counter()
    list(joblib.Parallel(n_jobs=2, backend="loky")(joblib.delayed(abs)(-i) for i in (1, 2)))
    times["joblib loky (before)"] = time.perf_counter() - start
    print(json.dumps({"seconds": 0, "pools": times}))


def child(jobs: int, out: Path, grid: str) -> None:
    """One cold sweep in this fresh process; prints its seconds as JSON."""
    print(json.dumps({"seconds": timed_sweep(jobs, out, grid)}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Sweep throughput, 1 worker against 2.")
    parser.add_argument("--child", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    parser.add_argument("--pools", action="store_true", help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    arguments = parsed.child
    if parsed.pools:
        pools()
    elif arguments:
        child(int(arguments[0]), Path(arguments[1]), arguments[2] if len(arguments) > 2 else "main")
    else:
        main()
