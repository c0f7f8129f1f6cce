"""Peak resident memory of a long timing-only run: issue 21, target 5 (at most 250 MB).

Run: ``python benchmarks/peak_rss.py [--layers L] [--repeats N] [--baseline ROOT]``
from the repository root (defaults: L = 1,000,000 and 3 repeats). Each case is a
fresh process (cwd and ``PYTHONPATH``: the checkout measured), its output to
/dev/null; its peak resident memory is the child's ``ru_maxrss`` from
``os.wait4`` (taken while this script is small, as a child's count starts from
its parent's), its time the wall clock around it, start-up included. The cases:

- ``run``: ``python -m chipsim run --strategy revolve --layers L --set
  buffer_slots=10 --no-math``, the issue's command (13.6 million ops at 10⁶);
- ``run --json``: the same with ``--json``;
- ``simulate``: ``simulate("revolve", {"buffer_slots": 10}, layers=L,
  math=False)`` through the Python API, the result kept until the process ends.

``--baseline ROOT`` measures another checkout too (e.g. ``git archive <commit> |
tar -x -C ROOT``), the two taking turns. The largest peak and the least time of
the repeats are shown; the load average is printed at start and end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_MB = 250


def cases(layers: int) -> dict[str, list[str]]:
    """Each case's arguments after ``python``."""
    run = ["-m", "chipsim", "run", "--strategy", "revolve", "--layers", str(layers),
           "--set", "buffer_slots=10", "--no-math"]  # fmt: skip
    api = (
        "from chipsim import simulate; "
        f"r = simulate('revolve', {{'buffer_slots': 10}}, layers={layers}, math=False); "
        "print(r.backward.latency_ns, r.peak_buffer_slots)"
    )
    return {"run": run, "run --json": [*run, "--json"], "simulate": ["-c", api]}


def measure(arguments: list[str], root: Path) -> tuple[float, float]:
    """(wall seconds, peak MB) of one fresh ``python`` process in checkout ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, *arguments], cwd=root, env=env, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(arguments)} failed in {root}")
    return seconds, usage.ru_maxrss / 1024  # Linux reports kilobytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=10**6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout to measure in turn")
    options = parser.parse_args()
    roots = {"this checkout": ROOT, **({"baseline": options.baseline} if options.baseline else {})}
    print(f"L = {options.layers:,}; load average at start: {os.getloadavg()[0]:.2f}")
    print(f"| case | checkout | seconds | peak MB | ≤ {GOAL_MB} MB |")
    print("| --- | --- | ---: | ---: | --- |")
    for label, arguments in cases(options.layers).items():
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in roots}
        for _ in range(options.repeats):
            for name, root in roots.items():
                runs[name].append(measure(arguments, root))
        for name, measured in runs.items():
            seconds, peak = min(r[0] for r in measured), max(r[1] for r in measured)
            verdict = "yes" if peak <= GOAL_MB else "no"
            print(f"| {label} | {name} | {seconds:.1f} | {peak:.0f} | {verdict} |")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
