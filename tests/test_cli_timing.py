"""The command line for overlapped timing, jitter, faults, replications and bandwidth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from chipsim.cli import main
from chipsim.formatting import time_text
from chipsim.outputs.exports import load_trace

SCENARIOS = Path(__file__).parent.parent / "scenarios"
LOGNORMAL = '--set=loaddisk_ns={dist = "lognormal", median = 50, sigma = 0.5}'
OVERLAPPED = ["--set", "mode=overlapped", "--set", "staging_slots=1"]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_overlapped_prefetching_stride_runs_the_course_in_420_ns() -> None:
    code, out, _ = invoke("run", *OVERLAPPED, "--strategy", "stride:k=5,prefetch=1", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["backward"]["latency_ns"] == 420
    assert data["chip"]["mode"] == "overlapped"
    assert data["max_abs_grad_diff"] == 0.0


def test_plan_predicts_overlapped_latency_and_marks_prefetches() -> None:
    args = ("plan", *OVERLAPPED, "--strategy", "stride:k=5,prefetch=1")
    code, out, _ = invoke(*args)
    assert code == 0
    assert "needs 2 buffer slots and 1 staging slot" in out
    assert "  loadmem 5 (prefetch)" in out
    assert "predicted latency (serial): forward 210 ns, backward 500 ns" in out
    assert "predicted latency (overlapped, no faults): forward 210 ns, backward 420 ns" in out
    code, out, _ = invoke(*args, "--json")
    ops = json.loads(out)
    assert sum(op.get("prefetch", False) for op in ops) == 9  # every step's load but the first
    assert all(set(op) <= {"phase", "op", "layer", "prefetch"} for op in ops)


def test_replications_report_the_backward_latency_distribution() -> None:
    args = ("run", "--strategy", "disk-offload", LOGNORMAL, "--no-math", "--replications", "300")
    code, out, _ = invoke(*args, "--json")
    assert code == 0
    spread = json.loads(out)["replications"]
    assert spread["n"] == 300
    stats = spread["backward_latency_ns"]
    assert list(stats) == ["mean", "min", "p50", "p95", "p99", "max"]
    assert stats["min"] <= stats["p50"] <= stats["p95"] <= stats["p99"] <= stats["max"]
    assert invoke(*args, "--json")[1] == out  # the same seed, the same draws
    assert json.loads(invoke(*args, "--json", "--seed", "1")[1])["replications"] != spread
    code, text, _ = invoke(*args)
    assert f"backward latency over 300 replications: mean {time_text(stats['mean'])}," in text


def test_compare_ranks_strategies_by_p99() -> None:
    args = ["compare", LOGNORMAL, "--set", "buffer_slots=9", "--no-math", "--replications", "200"]
    code, out, _ = invoke(*args, "--rank-by", "p99", "--json")
    assert code == 0
    p99 = [row["replications"]["backward_latency_ns"]["p99"] for row in json.loads(out)["results"]]
    assert p99 == sorted(p99)
    code, out, _ = invoke(*args, "--rank-by", "p99")
    assert "backward_p99_ns" in out.splitlines()[3]
    code, _, err = invoke("compare", "--rank-by", "p99")
    assert (code, err) == (2, "chipsim: error: --rank-by p99 needs --replications N\n")


def test_a_read_failing_past_its_retries_exits_4_with_one_line(tmp_path: Path) -> None:
    code, out, err = invoke(
        "run",
        "--strategy",
        "disk-offload",
        "--set",
        "disk_fault_rate=0.9",
        "--set",
        "max_retries=1",
    )
    assert code == 4
    assert out == ""
    assert err.startswith("chipsim: error: disk-offload: `loaddisk ")
    assert err.count("\n") == 1


def test_retried_reads_are_rows_of_the_trace(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    args = (
        "run",
        "--strategy",
        "disk-offload",
        "--set",
        "disk_fault_rate=0.5",
        "--set",
        "max_retries=40",
    )
    code, out, _ = invoke(*args, "--trace", str(path), "--seed", "3")
    assert code == 0
    frame = load_trace(path)
    retries = int((frame["attempt"] > 1).sum())
    assert retries > 0
    assert f"disk read retries: {retries}" in out
    assert (frame[frame["attempt"] > 1]["op"] == "loaddisk").all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--set", "mode=parallel"],
            "--set: chip field mode must be one of serial, overlapped, got 'parallel'",
        ),
        (
            ["--set", "loaddisk_ns={dist = 'lognormal'"],
            "--set loaddisk_ns={dist = 'lognormal': not a valid TOML table",
        ),
        (
            ["--set", "disk_fault_rate=1.5"],
            "--set: chip field disk_fault_rate must be >= 0 and < 1",
        ),
        (
            ["--strategy", "disk-offload:prefetch=2", "--set", "staging_slots=1"],
            "disk-offload:prefetch=2 needs 2 staging slots; the chip has 1 "
            "(try --set staging_slots=2)",
        ),
    ],
)
def test_bad_timing_input_is_one_line_with_exit_2_or_3(args: list[str], message: str) -> None:
    code, _, err = invoke("run", *args)
    assert code == (3 if "needs" in message else 2)
    assert err.startswith(f"chipsim: error: {message}")
    assert err.count("\n") == 1


def test_breakeven_refuses_a_chip_whose_latency_is_not_linear() -> None:
    code, _, err = invoke(
        "breakeven", "--param", "loaddisk_ns", "--strategy", "disk-offload",
        "--against", "stride:k=5", "--set", "mode=overlapped",
    )  # fmt: skip
    assert code == 2
    assert (
        "breakeven solves serial timing with fixed latencies, but the chip has mode=overlapped"
        in err
    )


def test_the_mcu_preset_pages_at_1024_and_recomputes_at_512() -> None:
    def fastest(width: int) -> str:
        code, out, _ = invoke(
            "compare", str(SCENARIOS / "mcu.toml"), "--width", str(width), "--no-math",
            "--strategy", "disk-offload", "--strategy", "sqrt-n", "--rank-by", "backward", "--json",
        )  # fmt: skip
        assert code == 0
        return json.loads(out)["results"][0]["strategy"]

    assert (fastest(512), fastest(1024)) == ("sqrt-n", "disk-offload")
    code, out, _ = invoke(
        "compare", str(SCENARIOS / "mcu.toml"), "--no-math", "--strategy", "sqrt-n"
    )
    assert code == 0
    assert "compute_macs_per_ns 0.432, 1-byte values" in out


def test_a_report_on_a_jittery_overlapped_chip_draws_planned_latencies(tmp_path: Path) -> None:
    scenario = tmp_path / "jittery.toml"
    scenario.write_text(
        '[chip]\nloaddisk_ns = {dist = "lognormal", median = 50, sigma = 0.5}\n'
        'mode = "overlapped"\nstaging_slots = 1\n'
    )
    out = tmp_path / "report"
    code, _, err = invoke(
        "report", str(scenario), "--out", str(out), "--strategy", "disk-offload:prefetch=1"
    )
    assert (code, err) == (0, "")
    assert {p.name for p in out.iterdir()} >= {"report.md", "breakeven.png", "scaling.png"}
    trace = load_trace(out / "trace.csv")
    assert trace["prefetch"].sum() == 9


def test_the_chip_sim_fixture_takes_timing_fields_and_replications(chip_sim) -> None:
    result = chip_sim(
        strategy="disk-offload:prefetch=1",
        mode="overlapped",
        staging_slots=1,
        bwd_ns=30,
        loaddisk_ns={"dist": "uniform", "low": 20, "high": 40},
        replications=50,
    )
    stats = result.replications.summary()
    assert result.replications.n == 50
    assert 20 + 10 * 30 <= stats["min"]  # the first read, then ten backward steps back to back
    assert stats["max"] <= 10 * (40 + 30)  # nothing overlapped at all, every read its slowest
    assert stats["mean"] < 10 * (30 + 30)  # below serial's mean: reads hide behind steps
