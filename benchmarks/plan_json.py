"""``chipsim plan --json`` against a pyrevolve script printing its schedule: issue 21, target 3.

Run: ``PYTHONPATH=. python benchmarks/plan_json.py [LAYERS]`` (default 100,000; needs the
``bench`` extra for pyrevolve). Each side is a whole command in a fresh process, output
to /dev/null, the two taking turns, best of ``REPEATS``: ``python -m chipsim plan
--strategy revolve --layers L --set buffer_slots=10 --json`` and ``python
benchmarks/pyrevolve_json.py L 10`` (Revolve with 11 snapshots, the same schedule
size). Peak memory is each process's own maximum resident set (``os.wait4``; taken
while this script is small, as a child's count starts from its parent's). After
timing, both outputs are parsed and checked to hold the same ``fwd``, ``bwd`` and
``loadmem`` ops per phase (Revolve's advances, turns and restores; its splits differ
from chipsim's, so it stores and frees 20 % fewer snapshots at L = 100,000).
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEATS, SLOTS = 5, 10
HERE = Path(__file__).resolve().parent


def commands(layers: int) -> dict[str, list[str]]:
    return {
        "chipsim": [sys.executable, "-m", "chipsim", "plan", "--strategy", "revolve",
                    "--layers", str(layers), "--set", f"buffer_slots={SLOTS}", "--json"],
        "pyrevolve": [sys.executable, str(HERE / "pyrevolve_json.py"), str(layers), str(SLOTS)],
    }  # fmt: skip


def run(command: list[str], output) -> tuple[float, int]:
    """Wall seconds and peak resident bytes of one command."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=output)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    assert status == 0, command
    return seconds, usage.ru_maxrss * 1024  # Linux reports kilobytes


def tally(command: list[str]) -> collections.Counter:
    with tempfile.TemporaryFile("w+") as output:
        run(command, output)
        output.seek(0)
        return collections.Counter((op["phase"], op["op"]) for op in json.load(output))


def main(layers: int) -> None:
    sides, load = commands(layers), os.getloadavg()[0]
    best = {name: (float("inf"), 0) for name in sides}
    with open(os.devnull, "w") as devnull:
        for _ in range(REPEATS):
            for name, command in sides.items():
                seconds, peak = run(command, devnull)
                best[name] = (min(best[name][0], seconds), max(best[name][1], peak))
    counts = {name: tally(command) for name, command in sides.items()}
    same = {key for key in counts["chipsim"] if key[1] in ("fwd", "bwd", "loadmem")}
    assert all(counts["chipsim"][key] == counts["pyrevolve"][key] for key in same), counts
    ops = {name: f"{sum(tally.values()):,}" for name, tally in counts.items()}
    print(f"L = {layers:,}, {SLOTS} slots, ops {ops}, best of {REPEATS}, "
          f"load {load:.2f} → {os.getloadavg()[0]:.2f}")  # fmt: skip
    for name, (seconds, peak) in best.items():
        print(f"{name:>9}: {seconds:.3f} s, peak {peak / 1e6:.0f} MB")
    print(f"chipsim ÷ pyrevolve: {best['chipsim'][0] / best['pyrevolve'][0]:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
