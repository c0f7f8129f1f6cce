"""A plugin cannot end chipsim nor write into its answer (issue 23, "Data mixed or lost"
items 4 and 5): ``sys.exit`` inside one is a one-line plugin error (exit 2, never 0 or
3), a sweep keeps the rows finished before it, and what a plugin prints goes to stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_plugins import NETWORK, check_hand_worked_run, install

from chipsim.cli import main

MISBEHAVING = """
import sys
from keep_small import plan as keep_small


def quits(network, chip, *, code: int = 0):
    sys.exit(code)


def quits_late(network, chip):
    if network.layers > 4:
        sys.exit(0)
    return keep_small(network, chip)


def chatty(network, chip):
    print("planning keep-small, hold on")
    return keep_small(network, chip)
"""


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    install(tmp_path)
    (tmp_path / "misbehaving.py").write_text(MISBEHAVING)
    (tmp_path / "loud.py").write_text(
        "print('loud was imported')\nfrom misbehaving import chatty as plan\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("code", [0, 3])
def test_a_plugin_calling_sys_exit_is_a_plugin_error(plugins: Path, code: int) -> None:
    for command in ("run", "plan", "compare"):
        result = invoke(command, *NETWORK, "--strategy", f"misbehaving:quits:code={code}")
        assert result.exit_code == 2, (command, result.output)
        assert result.output == (
            f"chipsim: error: strategy misbehaving:quits failed: it called sys.exit({code})\n"
        )


def test_a_plugin_exiting_mid_sweep_keeps_the_finished_rows(plugins: Path) -> None:
    out = plugins / "s.csv"
    result = invoke("sweep", "--strategy", "misbehaving:quits_late", "--grid",
                    "layers=2,3,4,5,6", "--no-math", "--out", str(out))  # fmt: skip
    assert result.exit_code == 2
    assert result.output == (
        "chipsim: error: sweep stopped: strategy misbehaving:quits_late failed: it called "
        f"sys.exit(0); 3 rows written to {out}\n"
    )
    assert pd.read_csv(out)["layers"].tolist() == [2, 3, 4]


def test_a_plugin_that_prints_leaves_the_json_alone(plugins: Path) -> None:
    for strategy in ("misbehaving:chatty", "loud:plan"):
        result = CliRunner().invoke(main, ["run", *NETWORK, "--strategy", strategy, "--json"])
        assert result.exit_code == 0, result.output
        check_hand_worked_run(json.loads(result.stdout))  # stdout is the object alone
        assert "planning keep-small, hold on\n" in result.stderr
    assert "loud was imported\n" in result.stderr
    planned = CliRunner().invoke(main, ["plan", *NETWORK, "--strategy", "loud:plan", "--json"])
    assert planned.exit_code == 0
    assert json.loads(planned.stdout)[0] == {"phase": "forward", "op": "loadmem", "layer": 0}
