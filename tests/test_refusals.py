"""Issue 23: work that cannot succeed is refused before it starts, and what used to
end in a traceback is one line with its exit status. Each case as the issue reports it;
the time and memory before each refusal are measured in benchmarks/refusals.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from chipsim import ChipConfig, make_plan
from chipsim.cli import main
from chipsim.limits import MAX_PLAN_OPS, MAX_REPLICATIONS
from chipsim.model.networks import course_chain
from chipsim.planners import work

HUGE = "9" * 5000  # past Python's own 4300-digit limit
LONG = "9" * 400


def one_line(*args: str, code: int = 2) -> str:
    """Run the CLI; assert one line on stderr, nothing on stdout, no traceback, ``code``."""
    result = CliRunner().invoke(main, list(args), prog_name="chipsim")
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return result.stderr.strip()


# --- long chains: estimated from the closed form, refused with the estimate and the limit


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--layers", "10000000", "--no-math", "--strategy", "revolve"],
        ["plan", "--layers", "10000000", "--json"],
        ["run", "--layers", "10000000", "--no-math", "--strategy", "optimal"],
        [
            "run",
            "--layers",
            "10000000",
            "--no-math",
            "--strategy",
            "disk-offload:prefetch=1",
            "--set",
            "mode=overlapped",
            "--set",
            "staging_slots=1",
        ],
        [
            "breakeven",
            "--layers",
            "10000000",
            "--param",
            "fwd_ns",
            "--strategy",
            "disk-offload",
            "--against",
            "stride:k=5",
            "--set",
            "buffer_slots=2000000",
        ],
    ],
)
def test_long_chains_are_refused_with_the_estimate_and_the_limit(args: list[str]) -> None:
    message = one_line(*args)
    assert "10000000 layers would take about" in message
    assert f"the limits are {MAX_PLAN_OPS:.0e} ops, 120 s and 2 GiB (chipsim.limits)" in message


def test_revolve_at_ten_million_layers_names_its_ops() -> None:
    message = one_line("run", "--layers", "10000000", "--no-math", "--strategy", "revolve")
    assert message.startswith(
        "chipsim: error: revolve on 10000000 layers would take about 2.96e+09 ops"
    )


def test_compare_refuses_long_chains_strategy_by_strategy() -> None:
    args = ["compare", "--layers", "10000000", "--no-math", "--json"]
    result = CliRunner().invoke(main, [*args, "--strategy", "revolve", "--strategy", "optimal"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count('"fits": false') == 2
    assert result.stdout.count("would take about") == 2


def test_report_refuses_a_figure_of_millions_of_ops(tmp_path: Path) -> None:
    message = one_line("report", "--layers", "1000000", "--out", str(tmp_path / "r"))
    assert "would draw about 5.4e+06 ops; the most is 100000" in message
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("spec", "params"),
    [("full-store", {}), ("stride:k=3", {"k": 3}), ("sqrt-n", {}), ("disk-offload", {})],
)
def test_closed_form_op_counts_are_exact(spec: str, params: dict[str, int]) -> None:
    chip = ChipConfig(buffer_slots=100)
    for layers in range(1, 30):
        chain = course_chain(layers, 1)
        built = len(make_plan(spec, chain, chip))
        assert work.plan_ops(spec.split(":")[0], params, chain, chip) == built, (spec, layers)


def test_the_revolve_estimate_bounds_its_plan() -> None:
    for slots in (1, 2, 3, 10):
        chip = ChipConfig(buffer_slots=slots)
        for layers in (1, 5, 50, 500):
            chain = course_chain(layers, 1)
            built = len(make_plan("revolve", chain, chip))
            assert built <= work.plan_ops("revolve", {}, chain, chip), (slots, layers)


def test_a_built_plan_is_checked_before_it_runs() -> None:
    with pytest.raises(work.PlanTooLarge, match="running x would take about 3e\\+07 ops"):
        work.check_run("x", 3 * 10**7, ChipConfig(), math=False)
    work.check_run("x", 10**5, ChipConfig(), math=True)  # ~2.5 s: fine


# --- replications


def test_replications_are_capped_saying_why() -> None:
    message = one_line("run", "--replications", "100000000")
    assert f"--replications 100000000: at most {MAX_REPLICATIONS}" in message
    assert "each one re-times every op of the plan" in message


def test_replications_of_a_long_plan_are_refused_by_their_time() -> None:
    message = one_line(
        "run",
        "--layers",
        "100000",
        "--no-math",
        "--strategy",
        "disk-offload",
        "--replications",
        "50000",
    )
    assert "would take about" in message and "the limit is 120 s" in message


# --- MemoryError, SIGINT


def test_a_memory_error_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr("chipsim.cli.run.run_strategy", exhausted)
    assert one_line("run").startswith("chipsim: error: out of memory;")


@pytest.mark.parametrize("delay_s", [0.3, 2.0])
def test_sigint_is_one_line_and_exit_130(tmp_path: Path, delay_s: float) -> None:
    # 0.3 s: while the command line loads; 2 s: while a strategy plans (it sleeps).
    (tmp_path / "sleepy.py").write_text(
        "import time\n\ndef plan(network, chip):\n    time.sleep(60)\n", encoding="utf-8"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    process = subprocess.Popen(
        [sys.executable, "-m", "chipsim", "run", "--strategy", "sleepy:plan"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    time.sleep(delay_s)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr == "chipsim: interrupted\n"


# --- plugins: a time limit, a plan of the right length

PLUGIN = """
from chipsim.planners import make_plan
from chipsim.model.networks import course_chain


def forever(network, chip):
    while True:
        try:
            pass
        except Exception:
            pass


def short(network, chip):
    return make_plan("disk-offload", course_chain(network.layers - 3, 16), chip)
"""


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "odd_plugin.py").write_text(PLUGIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "odd_plugin"


def test_a_plugin_that_loops_forever_is_stopped_by_the_plan_timeout(plugin: str) -> None:
    message = one_line("run", "--strategy", f"{plugin}:forever", "--plan-timeout", "0.5")
    assert message == (
        f"chipsim: error: strategy {plugin}:forever did not finish planning within 0.5 s "
        "(--plan-timeout SECONDS; default 60)"
    )
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)


def test_a_plugin_plan_for_the_wrong_length_is_refused(plugin: str) -> None:
    assert one_line("plan", "--strategy", f"{plugin}:short") == (
        f"chipsim: error: strategy {plugin}:short returned a plan for 7 layers; the network has 10"
    )


# --- huge and special input files


def test_a_stage_file_too_large_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with open(path, "wb") as file:
        file.truncate(2**30)  # 1 GiB, sparse: nothing is read
    message = one_line("run", "--network", str(path))
    assert f"{path} has 1073741824 bytes, more than the 8388608 chipsim reads" in message


def test_stage_rows_are_counted_while_streaming(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("chipsim.model.stage_file.MAX_STAGES", 5)
    path = tmp_path / "rows.csv"
    path.write_text("name,output_shape,macs_fwd\ninput,3,\n" + "s,3,1\n" * 6, encoding="utf-8")
    assert "has more than 5 stages (chipsim.limits.MAX_STAGES)" in one_line(
        "run", "--network", str(path)
    )
    path.write_text("name,output_shape,macs_fwd\ninput,3,\n" + "s,3,1\n" * 5, encoding="utf-8")
    assert (
        CliRunner()
        .invoke(main, ["run", "--network", str(path), "--set", "buffer_slots=2"])
        .exit_code
        == 0
    )


@pytest.mark.parametrize("kind", ["fifo", "device"])
@pytest.mark.parametrize("role", ["scenario", "stage file"])
def test_special_files_are_refused_unopened(tmp_path: Path, kind: str, role: str) -> None:
    path = tmp_path / "special.toml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    args = [str(path)] if role == "scenario" else ["--network", str(path)]
    message = one_line("run", *args)
    assert (
        f"{role} {path} is not a regular file (a {'FIFO' if kind == 'fifo' else 'device'})"
        in message
    )
