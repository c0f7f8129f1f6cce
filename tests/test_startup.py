"""Start-up: the CLI and its table-free commands never import pandas or matplotlib.

Each check runs in a fresh interpreter (a subprocess from the repository
root), since this test process has imported pandas already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "matplotlib")

#: Imports chipsim.cli, runs the command given as arguments (none: just the
#: import), checks it succeeded, and prints which of HEAVY are in sys.modules afterwards.
SCRIPT = """
import contextlib, io, json, sys
import chipsim.cli
if sys.argv[1:]:
    with contextlib.redirect_stdout(io.StringIO()):
        status = chipsim.cli.main(sys.argv[1:], standalone_mode=False)
    assert status in (None, 0), status
print(json.dumps([name for name in {heavy!r} if name in sys.modules]))
"""


def heavy_modules_after(*args: str, script: str = SCRIPT) -> list[str]:
    """Which of pandas and matplotlib a fresh interpreter holds after ``script ARGS``."""
    done = subprocess.run(
        [sys.executable, "-c", script.format(heavy=HEAVY), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_the_check_sees_pandas_when_it_is_imported() -> None:
    script = SCRIPT.replace("import chipsim.cli", "import chipsim.cli, chipsim.outputs.tables")
    assert heavy_modules_after(script=script) == ["pandas"]


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("--help",),
        ("run", "--json"),
        ("run", "--json", "--set", "mode=overlapped", "--strategy", "disk-offload"),
        (
            "run",
            "--json",
            "--no-math",
            "--replications",
            "3",
            "--set",
            'fwd_ns={dist = "lognormal", median = 20, sigma = 0.2}',
        ),
        ("plan",),
        ("plan", "--json"),
        ("plan", "--set", "mode=overlapped"),
        ("fit", "--json", "--set", "memory_bytes=100000", "--strategy", "full-store"),
        ("run",),
        ("compare",),
        ("compare", "--json"),
        ("compare", "scenarios/mcu-train.toml", "--no-math", "--strategy", "optimal"),
        (
            "breakeven",
            "--param",
            "loaddisk_ns",
            "--strategy",
            "disk-offload",
            "--against",
            "optimal",
        ),
    ],
    ids=" ".join,
)
def test_command_imports_neither_pandas_nor_matplotlib(args: tuple[str, ...]) -> None:
    assert heavy_modules_after(*args) == []
