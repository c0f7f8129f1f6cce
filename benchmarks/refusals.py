"""Work that cannot succeed, refused before it starts (issue 23): the wall time and peak
memory of each case until its one-line refusal, against the goal of 2 s and 200 MB.

Run: ``python benchmarks/refusals.py [REPEATS]`` from the repository root. Each case
is a fresh ``python -m chipsim`` subprocess (cwd: the repository root, so this
checkout's code); its peak resident memory is the child's ``ru_maxrss`` from
``os.wait4`` and its time the wall clock around it, start-up included (about
0.5–1 s of it is importing numpy, pandas and click). Best time and least
memory of REPEATS runs (default 3) are kept; every case must exit 2 or 3 with
one line on stderr (``compare`` exits 0: its refusals are rows of its table).
The special files (a 1 GiB sparse stage table, a FIFO, /dev/zero) are made in
a temporary folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S, GOAL_MB = 2.0, 200
PLUGIN = "def forever(network, chip):\n    while True:\n        pass\n"


def cases(folder: Path) -> dict[str, list[str]]:
    """Each case of the issue, as its command-line arguments."""
    big = folder / "big.csv"
    with open(big, "wb") as file:
        file.truncate(2**30)
    fifo = folder / "fifo.csv"
    os.mkfifo(fifo)
    (folder / "loops.py").write_text(PLUGIN, encoding="utf-8")
    long = ["--layers", "10000000", "--no-math"]
    return {
        "run revolve, L = 10^7": ["run", *long, "--strategy", "revolve"],
        "plan --json, L = 10^7": ["plan", "--layers", "10000000", "--json"],
        "compare, L = 10^7 (each refused)": ["compare", *long],
        "report, L = 10^6": ["report", "--layers", "1000000", "--out", str(folder / "r")],
        "overlapped disk-offload:prefetch=1, L = 10^7": [
            "run",
            *long,
            "--strategy",
            "disk-offload:prefetch=1",
            "--set",
            "mode=overlapped",
            "--set",
            "staging_slots=1",
        ],
        "breakeven, L = 10^7": [
            "breakeven",
            "--layers",
            "10000000",
            "--param",
            "fwd_ns",
            "--strategy",
            "disk-offload",
            "--against",
            "stride:k=5",
        ],
        "--replications 10^8": ["run", "--replications", "100000000"],
        "1 GiB stage table": ["run", "--network", str(big)],
        "stage table /dev/zero": ["run", "--network", "/dev/zero"],
        "scenario /dev/zero": ["run", "/dev/zero"],
        "stage table FIFO": ["run", "--network", str(fifo)],
        "plugin loops forever (--plan-timeout 1)": [
            "run",
            "--strategy",
            "loops:forever",
            "--plan-timeout",
            "1",
        ],
    }


def measure(args: list[str], folder: Path) -> tuple[float, float, int, str]:
    """(seconds, peak MB, exit status, stderr) of one ``python -m chipsim`` run."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{folder}"}
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "chipsim", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr = child.stderr.read() if child.stderr else ""
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), stderr


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print(f"| case | exit | seconds | peak MB | within {GOAL_S:g} s and {GOAL_MB} MB |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as name:
        for label, args in cases(Path(name)).items():
            runs = [measure(args, Path(name)) for _ in range(repeats)]
            seconds, megabytes = min(r[0] for r in runs), min(r[1] for r in runs)
            code, stderr = runs[0][2], runs[0][3]
            one_line = code == 0 or (len(stderr.splitlines()) == 1 and code in (2, 3))
            verdict = "yes" if seconds <= GOAL_S and megabytes <= GOAL_MB and one_line else "NO"
            print(f"| {label} | {code} | {seconds:.2f} | {megabytes:.0f} | {verdict} |")
            if not one_line:
                print(f"  stderr: {stderr!r}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
