"""The command line, through click's CliRunner: output contracts, exit codes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from chipsim import OP_KINDS, ChipConfig, make_plan
from chipsim.cli import main
from chipsim.formatting import number_text

COURSE = str(Path(__file__).resolve().parent.parent / "scenarios" / "course.toml")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_run_prints_both_phases_of_the_course() -> None:
    result = invoke("run", "--strategy", "stride:k=5")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "stride:k=5 on course: L=10, width 16, seed 0"
    forward = next(line.split() for line in lines if line.startswith("forward"))
    backward = next(line.split() for line in lines if line.startswith("backward"))
    header = next(line.split() for line in lines if line.lstrip().startswith("latency_ns"))
    assert header == ["latency_ns", *OP_KINDS]
    assert backward == ["backward", "500", "20", "10", "0", "10", "0", "0", "2"]
    assert forward == ["forward", "210", "10", "0", "2", "1", "0", "0", "0"]
    assert "peak buffer slots: 2 of 2" in result.output


def test_run_json_contract() -> None:
    result = invoke("run", "--strategy", "disk-offload", "--set", "loaddisk_ns=50", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["strategy"] == "disk-offload"
    assert (data["layers"], data["width"]) == (10, 16)
    assert data["chip"] == ChipConfig(loaddisk_ns=50).as_dict()
    for phase in ("forward", "backward"):
        assert set(data[phase]["ops"]) == set(OP_KINDS)
    assert data["backward"]["latency_ns"] == 500
    assert data["backward"]["ops"]["loaddisk"] == 10
    assert data["forward"]["ops"]["fwd"] == 10
    assert data["peak_buffer_slots"] == 0
    assert data["max_abs_grad_diff"] == 0.0


def test_run_json_of_the_course_matches_the_issue_example() -> None:
    data = json.loads(invoke("run", "--json").output)
    assert data["strategy"] == "stride:k=5"
    assert data["forward"]["ops"]["storemem"] == 2
    assert data["backward"]["latency_ns"] == 500
    assert {k: data["backward"]["ops"][k] for k in ("fwd", "loadmem", "loaddisk", "bwd")} == {
        "fwd": 20,
        "loadmem": 10,
        "loaddisk": 0,
        "bwd": 10,
    }
    assert data["peak_buffer_slots"] == 2


def test_no_math_gives_the_same_timing_and_says_so() -> None:
    with_math = json.loads(invoke("run", "--json").output)
    timing_only = json.loads(invoke("run", "--json", "--no-math").output)
    assert timing_only["math"] is False and with_math["math"] is True
    assert (timing_only["loss"], timing_only["max_abs_grad_diff"]) == (None, None)
    for phase in ("forward", "backward"):
        assert timing_only[phase] == with_math[phase]
    text = invoke("run", "--no-math").output
    assert "gradients: not computed (--no-math: timing only)" in text
    compared = json.loads(invoke("compare", "--no-math", "--json").output)
    assert all(r.get("math") in (False, None) for r in compared["results"])


def test_scenario_file_and_overrides(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = invoke(
        "run", COURSE, "--strategy", "sqrt-n", "--set", "buffer_slots=8", "--trace", str(out)
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame.columns) == [
        "phase", "op", "layer", "resource", "start_ns", "end_ns", "buffer_slots_used",
        "prefetch", "attempt", "bytes", "buffer_bytes_used",
    ]  # fmt: skip
    assert f"trace: {len(frame)} rows written to {out}" in result.output
    backward = frame[frame["phase"] == "backward"]
    assert backward["end_ns"].max() - backward["start_ns"].min() == 240  # 7 fwd + 10 loadmem
    assert frame["buffer_slots_used"].max() == 3


def test_layers_width_seed_options() -> None:
    data = json.loads(
        invoke(
            "run",
            "--layers",
            "20",
            "--width",
            "3",
            "--seed",
            "4",
            "--set",
            "buffer_slots=4",
            "--json",
        ).output
    )
    assert (data["layers"], data["width"], data["seed"]) == (20, 3, 4)
    # stride:k=5 on L=20: 4 segments of 0+1+2+3+4 recomputations
    assert data["backward"]["ops"]["fwd"] == 40


def test_compare_shows_every_strategy_and_why_some_do_not_fit() -> None:
    result = invoke("compare")
    assert result.exit_code == 0, result.output
    rows: dict[str, list[str]] = {}
    for line in result.output.splitlines():
        if line:
            rows.setdefault(line.split()[0], line.split())  # table rows come first
    assert rows["stride:k=5"][:5] == ["stride:k=5", "yes", "2", "210", "500"]
    assert rows["disk-offload"][:5] == ["disk-offload", "yes", "0", "210", "1000"]
    assert rows["full-store"][:3] == ["full-store", "no", "9"]
    assert rows["sqrt-n"][:3] == ["sqrt-n", "no", "3"]
    assert "full-store needs 9 buffer slots; the chip has 2 (try --set buffer_slots=9)" in (
        result.output
    )


def test_compare_json_with_chosen_strategies() -> None:
    result = invoke(
        "compare", "--strategy", "full-store", "--strategy", "stride:k=2", "--set",
        "buffer_slots=9", "--json",
    )  # fmt: skip
    data = json.loads(result.output)
    assert [r["strategy"] for r in data["results"]] == ["full-store", "stride:k=2"]
    assert all(r["fits"] for r in data["results"])
    assert data["results"][0]["backward"]["latency_ns"] == 100
    data = json.loads(invoke("compare", "--strategy", "full-store", "--json").output)
    assert data["results"] == [
        {
            "strategy": "full-store",
            "fits": False,
            "buffer_slots_needed": 9,
            "reason": "full-store needs 9 buffer slots; the chip has 2 (try --set buffer_slots=9)",
        }
    ]


def test_breakeven_text_and_json() -> None:
    args = ["breakeven", "--param", "loaddisk_ns", "--strategy", "disk-offload"]
    args += ["--against", "stride:k=5"]
    text = invoke(*args)
    assert text.exit_code == 0
    assert text.output.strip() == (
        "disk-offload ties stride:k=5 at loaddisk_ns = 50 ns: "
        "backward latency 500 ns each (confirmed by simulation)"
    )
    data = json.loads(invoke(*args, "--json").output)
    assert data == {
        "param": "loaddisk_ns",
        "value": 50.0,
        "strategy": "disk-offload",
        "against": "stride:k=5",
        "phase": "backward",
        "latency_ns": 500,
    }


def test_breakeven_fraction_is_shown_exactly() -> None:
    result = invoke(
        "breakeven", "--param", "loaddisk_ns", "--strategy", "disk-offload",
        "--against", "stride:k=5", "--layers", "9",
    )  # fmt: skip
    assert "loaddisk_ns = 45.56 ns [410/9 ns]" in result.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["run", "--strategy", "full-store"], 3, "full-store needs 9 buffer slots; the chip"),
        (["run", "--strategy", "sqrt-n"], 3, "sqrt-n needs 3 buffer slots; the chip has 2"),
        (["run", "--strategy", "bogus"], 2, "unknown strategy 'bogus'; valid strategies are"),
        (["run", "--strategy", "stride"], 2, "strategy stride needs k (for example stride:k=5)"),
        (["run", "--set", "fwd=3"], 2, "--set: unknown chip field 'fwd'; valid fields are"),
        (["run", "--set", "fwd_ns=abc"], 2, "--set: chip field fwd_ns must be a number of"),
        (["run", "--set", "fwd_ns"], 2, "--set 'fwd_ns': expected KEY=VALUE"),
        (["run", "--set", "fwd_ns=-2"], 2, "--set: chip field fwd_ns must be a finite number"),
        (["run", "--layers", "0"], 2, "network layers must be a whole number >= 1, got 0"),
        (["run", "nope.toml"], 2, "nope.toml: no such scenario file"),
        (["run", "--trace", "out.xlsx"], 2, "--trace out.xlsx: unsupported format"),
        (
            ["breakeven", "--param", "loaddisk_ns", "--strategy", "stride:k=5", "--against",
             "stride:k=4"],
            3,
            "stride:k=5 and stride:k=4 never tie",
        ),
    ],
)  # fmt: skip
def test_user_errors_are_one_line_with_an_exit_status(
    args: list[str], code: int, message: str
) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == code
    assert result.output.startswith("chipsim: error: ")
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_click_usage_errors_exit_2() -> None:
    result = invoke("breakeven", "--param", "buffer_slots", "--strategy", "a", "--against", "b")
    assert result.exit_code == 2
    assert "'buffer_slots' is not one of" in result.output


def test_a_trace_into_a_missing_folder_is_refused_before_running(tmp_path: Path) -> None:
    out = tmp_path / "nowhere" / "trace.csv"
    result = invoke("run", "--trace", str(out))
    assert result.exit_code == 2
    assert result.output == (
        f"chipsim: error: --trace {out}: the folder {out.parent} does not exist\n"
    )


def test_an_unwritable_trace_is_one_line_naming_the_file(tmp_path: Path, monkeypatch) -> None:
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out = tmp_path / "trace.csv"
    result = invoke("run", "--trace", str(out))
    assert result.exit_code == 2  # issue 15: write errors are bad input, not a failed run
    assert result.output == (f"chipsim: error: {out}: cannot write here: Permission denied\n")


def test_a_failed_trace_write_leaves_the_old_file_whole(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "trace.csv"
    out.write_text("previous trace\n")

    def fail_halfway(self, path, **kwargs):
        Path(path).write_text("phase,op\nforward,")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail_halfway)
    result = invoke("run", "--trace", str(out))
    assert result.exit_code != 0
    assert out.read_text() == "previous trace\n"
    assert [p.name for p in tmp_path.iterdir()] == ["trace.csv"]


# chipsim plan: a plan printed op by op, never run.


def course_stride_5_ops() -> list[tuple[str, str, int, int]]:
    """(phase, kind, layer, slots in use after it) of stride:k=5 on the course, by hand."""
    forward = [("loadmem", 0, 0)] + [("fwd", layer, 0) for layer in range(1, 6)]
    forward += [("storemem", 5, 1)] + [("fwd", layer, 1) for layer in range(6, 11)]
    forward += [("storemem", 10, 2)]
    backward = [("free", 10, 1)]
    for base, in_use in ((5, 1), (0, 0)):
        for layer in range(base + 5, base, -1):
            backward += [("loadmem", base, in_use)]
            backward += [("fwd", below, in_use) for below in range(base + 1, layer)]
            backward += [("bwd", layer, in_use)]
        if base:
            backward += [("free", base, 0)]
    return [("forward", *op) for op in forward] + [("backward", *op) for op in backward]


def test_plan_prints_each_op_with_the_slots_in_use_and_the_predicted_latency() -> None:
    result = invoke("plan", "--strategy", "stride:k=5")
    assert result.exit_code == 0, result.output
    ops = course_stride_5_ops()
    forward = [op for op in ops if op[0] == "forward"]
    backward = [op for op in ops if op[0] == "backward"]
    expected = ["plan stride:k=5 for L=10: needs 2 buffer slots"]
    expected.append(f"forward ({len(forward)} ops; slots in use after each):")
    expected += [f"  {f'{kind} {layer}':<14}{slots}" for _, kind, layer, slots in forward]
    expected.append(f"backward ({len(backward)} ops; slots in use after each):")
    expected += [f"  {f'{kind} {layer}':<14}{slots}" for _, kind, layer, slots in backward]
    expected.append("predicted latency (serial): forward 210 ns, backward 500 ns")
    expected.append("fits the chip: 2 of 2 buffer slots")
    assert result.output.splitlines() == expected
    assert (len(forward), len(backward)) == (13, 42)
    assert expected[14:18] == [
        "  storemem 10   2",
        "backward (42 ops; slots in use after each):",
        "  free 10       1",
        "  loadmem 5     1",
    ]


def test_plan_json_is_a_list_of_phase_op_layer() -> None:
    result = invoke("plan", "--strategy", "stride:k=5", "--json")
    assert result.exit_code == 0, result.output
    ops = json.loads(result.output)
    assert isinstance(ops, list)
    assert all(isinstance(op, dict) and set(op) == {"phase", "op", "layer"} for op in ops)
    assert ops == [
        {"phase": phase, "op": kind, "layer": layer}
        for phase, kind, layer, _ in course_stride_5_ops()
    ]
    backward = [op["op"] for op in ops if op["phase"] == "backward"]
    assert (backward.count("fwd"), backward.count("loadmem"), backward.count("bwd")) == (20, 10, 10)


def test_plan_of_a_strategy_that_does_not_fit_shows_it_and_says_so() -> None:
    # A plan is shown, not run: one that does not fit is still printed, with the
    # slots it needs, and the command succeeds (`run` refuses it with exit 3).
    result = invoke("plan", "--strategy", "full-store")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "plan full-store for L=10: needs 9 buffer slots"
    assert lines[-2:] == [
        "predicted latency (serial): forward 210 ns, backward 100 ns",
        "does not fit: full-store needs 9 buffer slots; the chip has 2 (try --set buffer_slots=9)",
    ]
    assert invoke("run", "--strategy", "full-store").exit_code == 3


def test_plan_runs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the engine ran")

    monkeypatch.setattr("chipsim.sim.engine.execute", refuse)
    monkeypatch.setattr("chipsim.study.run.execute", refuse)  # the name simulate() calls
    assert invoke("run", "--strategy", "stride:k=5").exit_code != 0  # the patch bites
    for args in (["--strategy", "stride:k=5"], ["--strategy", "optimal", "--json"]):
        result = invoke("plan", *args)
        assert result.exit_code == 0, result.output


# Gap to optimal.


def test_compare_json_gives_each_fitting_row_its_gap_to_optimal() -> None:
    data = json.loads(invoke("compare", "--json").output)
    rows = {row["strategy"]: row for row in data["results"]}
    gaps = {name: row["gap_to_optimal_pct"] for name, row in rows.items() if row["fits"]}
    assert gaps == {
        "stride:k=5": 100 * (500 - 260) / 260,
        "disk-offload": 100 * (1000 - 260) / 260,
        "revolve": 0.0,
        "optimal": 0.0,
    }
    refused = [row for row in data["results"] if not row["fits"]]
    assert [row["strategy"] for row in refused] == ["full-store", "sqrt-n"]
    assert all("gap_to_optimal_pct" not in row for row in refused)


# An optimum too large to plan.


def test_compare_when_the_optimum_is_too_large_to_plan_exactly() -> None:
    # The gap column is measured against the periodic approximation, and says so.
    args = ["compare", "--layers", "20000", "--no-math", "--strategy", "disk-offload",
            "--strategy", "optimal"]  # fmt: skip
    text = invoke(*args)
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    header = ["fits", "slots", "(of", "2)", "forward_µs", "backward_ms", "step_ms"]
    assert lines[3].split() == [
        *header,
        "vs_approx_optimal",
        "recompute_fwd",
        "loadmem",
        "loaddisk",
    ]
    best = make_plan("optimal", 20_000, ChipConfig()).latency_ns(ChipConfig(), "backward")
    gap = 100 * (2_000_000 - best) / best
    step = number_text((400_010 + best) / 1e6)
    assert lines[5].split()[:7] == ["disk-offload", "yes", "0", "400", "2", "2.4", f"+{gap:.1f}%"]
    assert lines[6].split()[:7] == ["optimal", "yes", "2", "400", "1.033", step, "+0.0%"]
    data = json.loads(invoke(*args, "--json").output)
    disk, optimum = data["results"]
    assert (disk["fits"], disk["gap_to_optimal_pct"]) == (True, gap)
    assert optimum["backward"]["latency_ns"] == best


def test_run_optimal_beyond_the_exact_planner_plans_periodically() -> None:
    result = invoke("run", "--strategy", "optimal", "--layers", "100000", "--no-math", "--json")
    assert result.exit_code == 0, result.output
    best = make_plan("optimal", 100_000, ChipConfig()).latency_ns(ChipConfig(), "backward")
    assert json.loads(result.stdout)["backward"]["latency_ns"] == best
