"""Start-up of the ``chipsim`` command against the imports it cannot avoid.

Run: ``python benchmarks/startup.py [REPEATS]`` from the repository root.
Each command is a fresh ``python`` subprocess (cwd: the repository root, so
``python -m chipsim`` is this checkout's code); every command runs once per
repeat, the commands taking turns, and the best wall time of each is kept.
The baseline is ``python -c "import numpy, simpy, click"``: what any
SimPy + numpy + click command pays. Goals: ``chipsim run --json`` (issue 13)
and ``chipsim compare`` (issue 21, target 6: a plain text table, no pandas)
within 1.5× of it. Each row also says whether pandas or matplotlib was imported
(``-X importtime`` on one more run).

Bytecode: an installed package has its ``.pyc`` files (pip compiles them), so
the subprocesses run with ``PYTHONPYCACHEPREFIX`` set to a fresh temporary
folder and ``PYTHONDONTWRITEBYTECODE`` unset, and one untimed warm-up run of
every command fills it: both sides then load compiled code. (Without this,
in an environment that sets ``PYTHONDONTWRITEBYTECODE``, every chipsim
module would be compiled from source on every start, while numpy, SimPy and
click load their installed ``.pyc`` files.)
"""

from __future__ import annotations

import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 15
BASELINE = "import numpy, simpy, click"
COMMANDS: dict[str, list[str]] = {
    "baseline": ["-c", BASELINE],
    "chipsim --help": ["-m", "chipsim", "--help"],
    "chipsim run --json": ["-m", "chipsim", "run", "--json"],
    "chipsim plan": ["-m", "chipsim", "plan"],
    "chipsim run": ["-m", "chipsim", "run"],
    "chipsim compare": ["-m", "chipsim", "compare"],
}


def environment(pycache: str) -> dict[str, str]:
    """This process's environment, with bytecode written to and read from ``pycache``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": pycache}


def wall_seconds(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one ``python ARGS`` subprocess, output
    discarded. CPU time moves less with the machine's load than wall time does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def heavy_imports(args: list[str], env: dict[str, str]) -> str:
    """Which of pandas and matplotlib the command imported ("-" for neither)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    return ", ".join(name for name in ("pandas", "matplotlib") if name in names) or "-"


def main(repeats: int = REPEATS) -> None:
    with tempfile.TemporaryDirectory() as pycache:
        env = environment(pycache)
        for args in COMMANDS.values():  # warm-up: compile every module once
            wall_seconds(args, env)
        best = dict.fromkeys(COMMANDS, math.inf)
        best_cpu = dict.fromkeys(COMMANDS, math.inf)
        for _ in range(repeats):
            for name, args in COMMANDS.items():
                wall, cpu = wall_seconds(args, env)
                best[name], best_cpu[name] = min(best[name], wall), min(best_cpu[name], cpu)
        imports = {name: heavy_imports(args, env) for name, args in COMMANDS.items()}
    print(f"Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.2f}, best of {repeats}")
    print(
        "| command | best s | ÷ baseline | best CPU s | ÷ baseline (CPU) "
        "| imports pandas / matplotlib |"
    )
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name in COMMANDS:
        ratio, cpu_ratio = best[name] / best["baseline"], best_cpu[name] / best_cpu["baseline"]
        print(
            f"| `{name}` | {best[name]:.3f} | {ratio:.2f} | {best_cpu[name]:.3f} | "
            f"{cpu_ratio:.2f} | {imports[name]} |"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else REPEATS)
