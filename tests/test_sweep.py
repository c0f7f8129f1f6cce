"""Sweeps: grid parsing, rows equal to single runs, resuming, workers, Dask."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from chipsim import ConfigError, Scenario, simulate
from chipsim.cli import main
from chipsim.study.sweep import Point, parse_grid, points, sweep

STRATEGIES = ["stride:k=5", "disk-offload", "optimal"]


def test_grids_take_lists_and_inclusive_ranges() -> None:
    grid = parse_grid(["layers=4:16:4", "loaddisk_ns=20,37.5", "buffer_slots=2"], Scenario())
    assert grid == {"layers": [4, 8, 12, 16], "loaddisk_ns": [20, 37.5], "buffer_slots": [2]}
    assert len(points(STRATEGIES, grid)) == 3 * 4 * 2


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("layers=abc", "--grid layers=abc: 'abc' is not a number"),
        ("depth=4", "--grid depth=4: unknown key 'depth'; valid keys: layers, width, fwd_ns"),
        ("layers", "--grid 'layers': expected KEY=V1,V2,... or KEY=START:STOP:STEP"),
        ("layers=4:2:1", "--grid layers=4:2:1: a range needs STEP > 0 and STOP >= START"),
        ("layers=1:4", "--grid layers=1:4: a range is START:STOP:STEP"),
        ("buffer_slots=1.5", "--grid buffer_slots=1.5: chip field buffer_slots must be a whole"),
        ("layers=0,2", "--grid layers=0,2: network layers must be a whole number >= 1, got 0"),
    ],
)
def test_bad_grids_are_named(item: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_grid([item], Scenario())
    assert str(error.value).startswith(message)


def test_each_row_equals_its_single_run(tmp_path: Path) -> None:
    grid = parse_grid(["layers=6,10", "loaddisk_ns=30,80"], Scenario())
    frame, new = sweep(Scenario(), STRATEGIES, grid, tmp_path / "s.parquet")
    assert new == len(frame) == 12
    for row in frame.itertuples(index=False):
        chip = Scenario().chip.replace({"loaddisk_ns": row.loaddisk_ns})
        single = simulate(row.strategy, chip, layers=row.layers, seed=row.seed)
        assert row.backward_latency_ns == single.backward.latency_ns
        assert row.forward_latency_ns == single.forward.latency_ns
        assert row.backward_fwd == single.backward.ops["fwd"]
        assert row.backward_loaddisk == single.backward.ops["loaddisk"]
        assert row.loss == single.loss


def test_runs_that_do_not_fit_are_rows_with_the_reason(tmp_path: Path) -> None:
    frame, _ = sweep(Scenario(), ["full-store"], {"layers": [2, 5]}, tmp_path / "s.csv")
    assert frame["fits"].tolist() == [True, False]
    assert frame["buffer_slots_needed"].tolist() == [1, 4]
    assert frame["reason"].iat[1] == (
        "full-store needs 4 buffer slots; the chip has 2 (try --set buffer_slots=4)"
    )


def test_an_interrupted_sweep_resumes_without_duplicates(tmp_path: Path) -> None:
    out = tmp_path / "s.parquet"
    grid = {"layers": [4, 8, 12], "loaddisk_ns": [30, 60]}
    full, _ = sweep(Scenario(), STRATEGIES, grid, tmp_path / "whole.parquet", math=False)
    # A partial file, as a killed sweep leaves it after its first chunks:
    partial, _ = sweep(Scenario(), STRATEGIES[:2], {"layers": [4, 8], "loaddisk_ns": [30, 60]},
                       out, math=False)  # fmt: skip
    resumed, new = sweep(Scenario(), STRATEGIES, grid, out, math=False)
    assert new == len(full) - len(partial)
    assert resumed["run"].is_unique
    assert sorted(resumed["run"]) == sorted(full["run"])
    on_disk = pd.read_parquet(out).set_index("run").sort_index()
    pd.testing.assert_frame_equal(on_disk, full.set_index("run").sort_index(), check_like=True)
    again, new = sweep(Scenario(), STRATEGIES, grid, out, math=False)
    assert new == 0 and len(again) == len(full)


def test_rows_do_not_depend_on_the_number_of_workers(tmp_path: Path) -> None:
    grid = {"layers": [3, 7], "width": [2, 3]}
    one, _ = sweep(Scenario(), STRATEGIES, grid, tmp_path / "one.csv", jobs=1)
    two, _ = sweep(Scenario(), STRATEGIES, grid, tmp_path / "two.csv", jobs=2, checkpoint_seconds=0)
    pd.testing.assert_frame_equal(one, two)
    assert one["seed"].nunique() == len(one)  # every run has its own seed


def test_a_strategy_named_twice_runs_once(tmp_path: Path) -> None:
    twice = ["stride:k=5", "stride: k=5", "optimal"]
    assert [p.key for p in points(twice, {"layers": [4]})] == [
        "stride:k=5|layers=4",
        "optimal|layers=4",
    ]
    frame, new = sweep(Scenario(), twice, {"layers": [4, 6]}, tmp_path / "s.csv", math=False)
    assert new == 4 and frame["run"].is_unique


def test_a_runs_seed_depends_only_on_the_sweep_seed_and_the_run() -> None:
    point = Point("stride:k=5", (("layers", 10),))
    assert point.seed(0) == Point("stride:k=5", (("layers", 10),)).seed(0)
    assert point.seed(0) != point.seed(1)
    assert point.seed(0) != Point("stride:k=5", (("layers", 11),)).seed(0)


def test_the_cli_sweeps_then_resumes(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    args = ["sweep", "--strategy", "stride:k=5", "--strategy", "optimal", "--grid",
            "layers=4:16:4", "--out", str(out), "--no-math"]  # fmt: skip
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert first.output.strip() == (
        f"sweep: 8 runs (8 new, 0 already in {out}); 7 of 8 rows fit the chip; written to {out}"
    )
    second = CliRunner().invoke(main, args)
    assert "(0 new, 8 already in" in second.output
    assert len(pd.read_csv(out)) == 8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grid", "layers=abc"], "chipsim: error: --grid layers=abc: 'abc' is not a number"),
        (["--grid", "nope=1"], "chipsim: error: --grid nope=1: unknown key 'nope'"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler goes with --backend dask"),
        (["--jobs", "0"], "--jobs 0: must be a whole number >= 1 (or -1 for every core)"),
    ],
)
def test_bad_sweeps_are_one_line_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["sweep", "--out", str(tmp_path / "s.csv"), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.parquet", "garbage", "bad.parquet: not a readable .parquet file"),
        ("j.json", '{"traceEvents": [{"ph": "X", "ts": 0}]}', "j.json: not a chipsim Chrome trace"),
        ("j.json", "not json", "j.json: not a chipsim Chrome trace (JSONDecodeError"),
        ("j.json", '{"a": 1}', "j.json: nothing to draw: the trace has no ops"),
        (
            "t.csv",
            "phase,op,layer,resource,start_ns,end_ns,buffer_slots_used\nforward,fwd,x,compute,0,1,0",
            "t.csv: a column has values of the wrong kind",
        ),
    ],
)
def test_plot_names_a_file_it_cannot_draw(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = CliRunner().invoke(main, ["plot", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith(f"chipsim: error: {path.parent}/{message}")
    assert len(result.output.strip().splitlines()) == 1
    assert not path.with_suffix(".png").exists()


def test_plot_refuses_a_sweep_where_nothing_fits(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    sweep(Scenario(), ["full-store"], {"layers": [20, 30]}, out, math=False)
    result = CliRunner().invoke(main, ["plot", str(out)])
    assert result.exit_code == 2
    assert "nothing to draw: no run of the sweep fits the chip" in result.output


def test_a_corrupt_out_file_is_an_error_not_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "s.parquet"
    out.write_text("garbage")
    result = CliRunner().invoke(main, ["sweep", "--grid", "layers=4", "--out", str(out)])
    assert result.exit_code == 2
    assert "s.parquet: not a readable .parquet file" in result.output
    assert out.read_text() == "garbage"


def test_an_out_file_that_is_not_a_sweep_is_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "mine.csv"
    out.write_text("a,b\n1,2\n")
    result = CliRunner().invoke(main, ["sweep", "--grid", "layers=4", "--out", str(out)])
    assert result.exit_code == 2
    assert "exists and is not a chipsim sweep" in result.output
    assert out.read_text() == "a,b\n1,2\n"


def test_the_dask_backend_gives_the_same_rows_on_a_local_cluster(tmp_path: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    grid = {"layers": [4, 8], "loaddisk_ns": [30, 60]}
    local, _ = sweep(Scenario(), STRATEGIES, grid, tmp_path / "local.parquet")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        out = tmp_path / "dask.parquet"
        result = CliRunner().invoke(
            main,
            ["sweep", "--strategy", "stride:k=5", "--strategy", "disk-offload", "--strategy",
             "optimal", "--grid", "layers=4,8", "--grid", "loaddisk_ns=30,60", "--out", str(out),
             "--backend", "dask", "--scheduler", cluster.scheduler_address],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_parquet(out), local)


def test_report_has_the_course_answers_figures_and_traces(tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "breakeven.png", "buffer.png", "report.md", "scaling.png", "timeline.png",
        "trace.csv", "trace.json", "trace.parquet",
    ]  # fmt: skip
    text = (out / "report.md").read_text()
    for row in (
        "| fwd ops in one backward pass (stride 5, L = 10) | 20 | 20 | yes |",
        "| loadmem ops in one backward pass | 10 | 10 | yes |",
        "| backward latency with fwd = 20 ns, loadmem = 10 ns | 500 ns | 500 ns | yes |",
        "| disk offload: loaddisk ops in one backward pass | 10 | 10 | yes |",
        "| loaddisk latency at which disk offload ties rematerialization | 50 ns | 50 ns | yes |",
    ):
        assert row in text
    assert "| stride:k=5 | yes | 2 | 210 | 500 | 710 | +92.3% | 20 | 10 | 0 |" in text
    assert all(f"]({name})" in text for name in names if name != "report.md")
    assert json.loads((out / "trace.json").read_text())["traceEvents"]


def test_report_on_another_chip_leaves_out_the_course_questions(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path), "--layers", "6"])
    assert result.exit_code == 0
    assert "course's questions" not in (tmp_path / "report.md").read_text()


def test_plot_draws_traces_and_sweeps(tmp_path: Path) -> None:
    runner = CliRunner()
    trace = tmp_path / "t.json"
    assert runner.invoke(main, ["run", "--trace", str(trace)]).exit_code == 0
    drawn = runner.invoke(main, ["plot", str(trace), "--slots", "2"])
    assert drawn.exit_code == 0 and (tmp_path / "t.png").stat().st_size > 10_000
    out = tmp_path / "s.parquet"
    sweep(Scenario(), STRATEGIES, {"layers": [4, 8]}, out, math=False)
    drawn = runner.invoke(main, ["plot", str(out), "--out", str(tmp_path / "s.svg")])
    assert drawn.exit_code == 0, drawn.output
    assert (tmp_path / "s.svg").read_text().startswith("<?xml")


def test_sweep_rows_on_a_byte_budget_give_bytes_not_slots(tmp_path: Path) -> None:
    # mlp:widths=8,4,6,2,5 in float32: a1..a4 are 16, 24, 8, 20 bytes.
    base = Scenario(network="mlp:widths=8,4,6,2,5").with_overrides(chip={"buffer_bytes": 48})
    frame, new = sweep(
        base, ["full-store"], {"buffer_bytes": [48, 40]}, tmp_path / "s.csv", math=False
    )
    assert new == 2
    rows = frame.sort_values("buffer_bytes").to_dict("records")
    assert [row["network"] for row in rows] == ["mlp:widths=8,4,6,2,5"] * 2
    # full-store keeps a1..a3 (16 + 24 + 8 = 48 bytes): it fits 48, not 40
    assert [bool(row["fits"]) for row in rows] == [False, True]
    assert [row["buffer_bytes_needed"] for row in rows] == [48, 48]
    assert rows[1]["peak_buffer_bytes"] == 48
    assert all(pd.isna(row["buffer_slots_needed"]) for row in rows)
