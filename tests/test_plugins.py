"""Third-party strategies: docs/strategies.md's example, installed into a temporary
directory both ways (an entry point, ``module:function``), run through the CLI.

The example's numbers are worked by hand in docs/strategies.md: on
``mlp:widths=8,4,6,2`` (float32: a0..a3 are 32, 16, 24, 8 bytes) with a 20-byte
buffer it stores a1 only; backward is loadmem 1, fwd 2, bwd 3 / loadmem 1,
bwd 2, free 1 / loadmem 0, bwd 1; forward is loadmem 0, fwd 1, storemem 1,
fwd 2, fwd 3. At the course's latencies (fwd 20, loadmem 10, the rest 0):
forward 10 + 3·20 = 70 ns, backward 3·10 + 20 = 50 ns.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from chipsim.cli import main
from chipsim.planners import STRATEGIES, describe, parse_spec

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "strategies.md"
NETWORK = ("--network", "mlp:widths=8,4,6,2", "--set", "buffer_bytes=20", "--fixed-latencies")

#: Lines the tests add to the example: a non-callable, a plan that breaks a
#: rule, one that needs too many bytes, a function returning no Plan, and one
#: with an unannotated parameter.
EXTRAS = """

GREETING = "hello"


def broken(network: Chain, chip: ChipConfig) -> Plan:
    return Plan.build("broken", network.layers, [Op("fwd", 1)], [])


def not_a_plan(network: Chain, chip: ChipConfig) -> list:
    return []


def store_all(network: Chain, chip: ChipConfig) -> Plan:
    layers = network.layers
    return Plan.build("store-all", layers, _forward(layers, set(range(1, layers))), [])


def untyped(network, chip, *, k):
    return plan(network, chip)


def crashes(network: Chain, chip: ChipConfig) -> Plan:
    return [][network.layers]  # an IndexError inside the plugin


def reserve_each(network: Chain, chip: ChipConfig, *, reserve: tuple[int, ...] = ()) -> Plan:
    return plan(network, chip, reserve_bytes=sum(reserve))
"""


def example_source() -> str:
    """The one python block of docs/strategies.md: the documented example, verbatim."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    return blocks[0]


def install(folder: Path, entry_points: str = "keep-small = keep_small:plan\n") -> Path:
    """Write the example package and its dist-info (with entry points) into ``folder``."""
    (folder / "keep_small.py").write_text(example_source() + EXTRAS, encoding="utf-8")
    info = folder / "keep_small-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: keep-small\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[chipsim.strategies]\n" + entry_points, encoding="utf-8"
    )
    return folder


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example importable and its entry point visible, for this test only."""
    install(tmp_path, "keep-small = keep_small:plan\nghost = ghost_module:plan\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def run_json(strategy: str) -> dict:
    result = invoke("run", *NETWORK, "--strategy", strategy, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def check_hand_worked_run(data: dict) -> None:
    assert data["forward"]["latency_ns"] == 70
    assert data["backward"]["latency_ns"] == 50
    assert data["forward"]["ops"] == {
        "fwd": 3, "bwd": 0, "storemem": 1, "loadmem": 1,
        "storedisk": 0, "loaddisk": 0, "free": 0,
    }  # fmt: skip
    assert data["backward"]["ops"] == {
        "fwd": 1, "bwd": 3, "storemem": 0, "loadmem": 3,
        "storedisk": 0, "loaddisk": 0, "free": 1,
    }  # fmt: skip
    assert data["peak_buffer_bytes"] == 16
    assert data["buffer_bytes"] == 20
    assert data["max_abs_grad_diff"] == 0.0


def test_entry_point_strategy_runs_through_the_cli(plugin: Path) -> None:
    data = run_json("keep-small")
    assert data["strategy"] == "keep-small"
    check_hand_worked_run(data)


def test_module_function_strategy_runs_through_the_cli(plugin: Path) -> None:
    data = run_json("keep_small:plan")
    assert data["strategy"] == "keep_small:plan"
    check_hand_worked_run(data)


def test_parameters_convert_by_their_hints_and_round_trip(plugin: Path) -> None:
    # reserve 8 of the 20 bytes: 12 left, a1's 16 no longer fits, nothing is stored;
    # backward recomputes from a0: loadmem 0, fwd 1, fwd 2, bwd 3 / loadmem 0, fwd 1,
    # bwd 2 / loadmem 0, bwd 1 = 3 loads + 3 fwd = 3·10 + 3·20 = 90 ns.
    for spec in ("keep-small:reserve_bytes=8", "keep_small:plan:reserve_bytes=8"):
        data = run_json(spec)
        assert data["strategy"] == spec
        assert str(parse_spec(data["strategy"])) == spec
        assert data["backward"]["latency_ns"] == 90
        assert data["peak_buffer_bytes"] == 0


def test_compare_ranks_a_plugin_beside_the_built_ins(plugin: Path) -> None:
    # resmlp:width=4,blocks=3: a0..a3 are 16 bytes each, so 20 bytes hold one. keep-small
    # stores a1 and runs backward in 3 loads + 1 fwd = 50 ns, the fewest possible: each
    # of the 3 bwd needs a load, and with one slot a1 or a2 must be recomputed (optimal,
    # planned for the gap, agrees). full-store keeps a1 and a2: 32 bytes.
    network = (
        "--network",
        "resmlp:width=4,blocks=3",
        "--set",
        "buffer_bytes=20",
        "--fixed-latencies",
    )
    strategies = ("--strategy", "keep-small", "--strategy", "full-store")
    result = invoke("compare", *network, *strategies)
    assert result.exit_code == 0, result.output
    cells = [line.split() for line in result.output.splitlines()]
    rows = {row[0]: row for row in cells if len(row) > 1 and row[1] in ("yes", "no")}
    assert rows["keep-small"][1:7] == ["yes", "16", "70", "50", "120", "+0.0%"]  # step: 70 + 50
    assert rows["full-store"][1:3] == ["no", "32"]
    assert "bytes (of 20)" in result.output


def test_a_subprocess_finds_both_routes_through_pythonpath(tmp_path: Path) -> None:
    install(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    for strategy in ("keep-small", "keep_small:plan"):
        command = [sys.executable, "-m", "chipsim", "run", *NETWORK, "--strategy", strategy]
        done = subprocess.run(
            [*command, "--json"], capture_output=True, text=True, env=env, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
        check_hand_worked_run(json.loads(done.stdout))


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (
            "nosuch_module:plan",
            "strategy nosuch_module:plan: module 'nosuch_module' cannot be imported "
            "(No module named 'nosuch_module')",
        ),
        (
            "keep_small:nothing",
            "strategy keep_small:nothing: module keep_small has no attribute 'nothing'",
        ),
        (
            "keep_small:GREETING",
            "strategy keep_small:GREETING is not callable (it is a str); "
            "a strategy is a function plan(network, chip, *, params) -> Plan",
        ),
        (
            "keep-small:reserve=3",
            "strategy keep-small has no parameter 'reserve'; valid parameters: reserve_bytes; "
            "did you mean 'reserve_bytes'?",
        ),
        (
            "keep_small:plan:reserve_bytes=x",
            "strategy keep_small:plan: reserve_bytes must be a whole number, got 'x'",
        ),
        ("keep-small:reserve_bytes=-1", "keep-small: reserve_bytes must be >= 0, got -1"),
        (
            "keep_small:untyped:k=1",
            "strategy keep_small:untyped: parameter k must be annotated int, float, str or "
            "tuple[int, ...], got no annotation",
        ),
        (
            "keep_small:not_a_plan",
            "strategy keep_small:not_a_plan returned a list, not a chipsim.sim.plan.Plan",
        ),
        (
            "ghost",
            "strategy ghost: entry point ghost_module:plan cannot be loaded "
            "(No module named 'ghost_module')",
        ),
    ],
)
def test_bad_plugins_are_one_line_errors_exit_2(plugin: Path, strategy: str, message: str) -> None:
    result = invoke("run", *NETWORK, "--strategy", strategy)
    assert result.exit_code == 2
    assert result.output == f"chipsim: error: {message}\n"


def test_unknown_names_list_the_installed_strategies_too(plugin: Path) -> None:
    result = invoke("run", "--strategy", "bogus")
    assert result.exit_code == 2
    built_in = ", ".join(describe(name) for name in STRATEGIES)  # as test_strategies pins them
    assert result.output == (
        f"chipsim: error: unknown strategy 'bogus'; valid strategies are {built_in}, "
        "keep-small[:reserve_bytes=N]\n"
    )


def test_a_plugin_plan_that_does_not_fit_is_refused_with_its_bytes(plugin: Path) -> None:
    # store_all keeps a1 and a2: 16 + 24 = 40 bytes, of the 20 the chip has.
    result = invoke("run", *NETWORK, "--strategy", "keep_small:store_all")
    assert result.exit_code == 3
    assert result.output == (
        "chipsim: error: keep_small:store_all needs 40 B of buffer; the chip has 20 B "
        "(try --set buffer_bytes=40)\n"
    )


def test_a_plugin_plan_breaking_a_rule_names_the_op(plugin: Path) -> None:
    result = invoke("run", *NETWORK, "--strategy", "keep_small:broken")
    assert result.exit_code == 1
    assert result.output == (
        "chipsim: error: keep_small:broken: op 0 of the forward phase, `fwd 1`: "
        "needs a0 in registers, which hold no activation\n"
    )


def test_a_plugin_that_raises_is_one_line_naming_it(plugin: Path) -> None:
    result = invoke("run", *NETWORK, "--strategy", "keep_small:crashes")
    assert result.exit_code == 2
    assert result.output == (
        "chipsim: error: strategy keep_small:crashes failed: IndexError: list index out of range\n"
    )


def test_a_module_that_raises_on_import_is_one_line(plugin: Path) -> None:
    (plugin / "explodes.py").write_text("raise RuntimeError('no GPU here')\n")
    result = invoke("run", *NETWORK, "--strategy", "explodes:plan")
    assert result.exit_code == 2
    assert result.output.startswith("chipsim: error: strategy explodes:plan: module ")
    assert "no GPU here" in result.output and result.output.count("\n") == 1


def test_a_tuple_parameter_takes_a_list_of_whole_numbers(plugin: Path) -> None:
    spec = parse_spec("keep_small:reserve_each:reserve=4,6")
    assert spec.params == (("reserve", (4, 6)),)
    result = invoke("run", *NETWORK, "--strategy", "keep_small:reserve_each:reserve=4,6", "--json")
    assert result.exit_code == 0, result.output
