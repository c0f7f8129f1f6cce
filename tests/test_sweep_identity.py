"""A sweep never mixes experiments nor stores a run twice (issue 23, "Data mixed or lost"
items 1 and 6; issue 22, "Sweeps"): networks by their stages' contents, plugins by their
module's file, one canonical id per run; and rows carry their gap to the optimum."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_plugins import install

from chipsim import ConfigError, Scenario
from chipsim.cli import main
from chipsim.planners import plugins
from chipsim.study.grid import parse_grid, points
from chipsim.study.sweep import sweep
from chipsim.study.sweep_files import identity, sidecar

NET = "name,output_shape,macs_fwd\ninput,4,0\ns1,4,10\ns2,4,10\ns3,4,10\n"
CHIP = ["--set", "buffer_bytes=100", "--set", "compute_macs_per_ns=1"]


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_an_edited_stage_table_is_another_sweep(tmp_path: Path, monkeypatch) -> None:
    # The steps: sweep, edit macs_fwd in net.csv, extend the grid.
    monkeypatch.chdir(tmp_path)
    Path("net.csv").write_text(NET)
    old = Scenario(network="net.csv").chain.content_sha256()
    args = ["sweep", "--network", "net.csv", *CHIP, "--strategy", "stride:k=2", "--out", "c.csv"]
    assert invoke(*args, "--grid", "loaddisk_ns=20,50").exit_code == 0
    before = Path("c.csv").read_bytes()
    Path("net.csv").write_text(NET.replace("s2,4,10", "s2,4,3000000"))
    new = Scenario(network="net.csv").chain.content_sha256()
    result = invoke(*args, "--grid", "loaddisk_ns=20,50,70")
    assert result.exit_code == 2
    assert result.output == (
        "chipsim: error: --out c.csv: holds another sweep: network net.csv has other stages "
        f"(SHA-256 {old[:12]}… there, {new[:12]}… here); use a new --out, or --force to "
        "start over\n"
    )
    assert Path("c.csv").read_bytes() == before
    forced = invoke(*args, "--grid", "loaddisk_ns=20,50,70", "--force")
    assert "(3 new, 0 already in" in forced.output  # the new table's rows alone, none mixed
    assert pd.read_csv("c.csv")["backward_latency_ns"].min() > 3_000_000


def test_a_moved_stage_table_or_scenario_file_is_the_same_sweep(tmp_path: Path) -> None:
    # Identified by contents, not paths: the same table and scenario elsewhere resume.
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "net.csv").write_text(NET)
        (tmp_path / folder / "s.toml").write_text(
            '[network]\nspec = "net.csv"\n[chip]\nbuffer_bytes = 100\ncompute_macs_per_ns = 1\n'
        )
    out = str(tmp_path / "c.csv")
    grid = ["--strategy", "stride:k=2", "--grid", "loaddisk_ns=20,50", "--out", out]
    assert invoke("sweep", str(tmp_path / "a" / "s.toml"), *grid).exit_code == 0
    moved = invoke("sweep", str(tmp_path / "b" / "s.toml"), *grid)
    assert moved.exit_code == 0, moved.output
    assert "(0 new, 2 already in" in moved.output
    (tmp_path / "b" / "net.csv").write_text(NET.replace("s3,4,10", "s3,4,11"))
    changed = invoke("sweep", str(tmp_path / "b" / "s.toml"), *grid)
    assert changed.exit_code == 2 and "network net.csv has other stages" in changed.output


def test_the_network_hash_follows_contents_not_names(tmp_path: Path) -> None:
    (tmp_path / "one.csv").write_text(NET)
    (tmp_path / "two.csv").write_text(NET.replace("s1,", "first,"))  # a stage renamed
    (tmp_path / "three.csv").write_text(NET.replace("input,4,0", "input,5,0"))
    one, two, three = (
        Scenario(network=str(tmp_path / name)).chain.content_sha256()
        for name in ("one.csv", "two.csv", "three.csv")
    )
    assert one == two != three
    assert Scenario(layers=10).chain.content_sha256() != Scenario(layers=11).chain.content_sha256()
    assert identity(Scenario(), 0, True)["network_sha256"] == Scenario().chain.content_sha256()


def plugin_args(out: Path) -> list[str]:
    return ["sweep", "--fixed-latencies", "--network", "mlp:widths=8,4,6,2",
            "--set", "buffer_bytes=20", "--grid", "fwd_ns=20,30", "--no-math",
            "--out", str(out)]  # fmt: skip


def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget loaded plugins, as the next CLI process would not have them."""
    monkeypatch.setattr(plugins, "_loaded", {})
    monkeypatch.delitem(sys.modules, "keep_small", raising=False)


def test_a_plugin_whose_module_changed_is_refused(tmp_path: Path, monkeypatch) -> None:
    install(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    fresh_process(monkeypatch)
    out = tmp_path / "p.csv"
    first = invoke(*plugin_args(out), "--strategy", "keep_small:plan")
    assert first.exit_code == 0, first.output
    joined = invoke(*plugin_args(out), "--strategy", "keep_small:plan", "--strategy", "revolve")
    assert "(2 new, 2 already in" in joined.output  # the same module: resumed and extended
    module = tmp_path / "keep_small.py"
    module.write_text(module.read_text() + "\n# edited\n")
    fresh_process(monkeypatch)
    refused = invoke(*plugin_args(out), "--strategy", "keep_small:plan")
    assert refused.exit_code == 2
    assert refused.output == (
        f"chipsim: error: --out {out}: holds rows of strategy keep_small:plan made by another "
        "version of its module (its file's SHA-256 differs, or it has no file); "
        "use a new --out, or --force to start over\n"
    )
    built_in = invoke(*plugin_args(out), "--strategy", "revolve")  # plugin rows are kept
    assert "(0 new, 2 already in" in built_in.output
    assert len(pd.read_csv(out)) == 4


def test_a_repeated_grid_value_is_one_run(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    result = invoke("sweep", "--grid", "layers=4,4,4", "--strategy", "stride:k=2", "--out",
                    str(out), "--no-math")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "sweep: 1 runs (1 new, 0 already in" in result.output
    assert pd.read_csv(out)["run"].tolist() == ["stride:k=2|layers=4"]
    many = parse_grid(["layers=" + ",".join(["4"] * 20_000)], Scenario())
    assert many == {"layers": [4]}
    assert parse_grid(["loaddisk_ns=50,50.0,50"], Scenario()) == {"loaddisk_ns": [50]}
    assert len(points(["stride:k=2"], {"layers": [4, 4, 4.0]})) == 1


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (["--grid", "layers=4"], ["--grid", "layers=4", "--grid", "loaddisk_ns=100"]),
        (["--grid", "layers=4", "--grid", "loaddisk_ns=100"], ["--grid", "layers=4"]),
        (["--strategy", "stride:k=2"], ["--strategy", "stride:k=2,prefetch=0"]),
        (["--strategy", "stride:k=2,prefetch=0"], ["--strategy", "stride: k=2"]),
        (["--grid", "layers=4", "--grid", "loaddisk_ns=50"],
         ["--grid", "loaddisk_ns=50.0", "--grid", "layers=4"]),
    ],
)  # fmt: skip
def test_one_run_has_one_id_however_it_is_asked_for(
    tmp_path: Path, first: list[str], then: list[str]
) -> None:
    # Issue 22: "optimal|layers=4|loaddisk_ns=100" no longer beside "optimal|layers=4".
    out = tmp_path / "s.csv"
    base = ["sweep", "--out", str(out), "--no-math"]
    strategy = [] if "--strategy" in first else ["--strategy", "optimal"]
    grid = [] if "--grid" in first else ["--grid", "layers=4"]
    assert invoke(*base, *strategy, *grid, *first).exit_code == 0
    again = invoke(*base, *strategy, *grid, *then)
    assert again.exit_code == 0, again.output
    assert "(0 new, 1 already in" in again.output
    assert len(pd.read_csv(out)) == 1


def test_ids_leave_out_defaults_and_sort_keys() -> None:
    base = Scenario()
    grid = parse_grid(["loaddisk_ns=100,50", "layers=10,4"], base)
    keys = [p.key for p in points(["stride:k=2,prefetch=0", "optimal:objective=backward"],
                                  grid, base)]  # fmt: skip
    assert keys == [
        "stride:k=2", "stride:k=2|layers=4", "stride:k=2|loaddisk_ns=50",
        "stride:k=2|layers=4|loaddisk_ns=50",
        "optimal", "optimal|layers=4", "optimal|loaddisk_ns=50", "optimal|layers=4|loaddisk_ns=50",
    ]  # fmt: skip


def test_both_buffer_sizes_in_a_grid_stay_in_the_id() -> None:
    # Setting one alone clears the other: leaving buffer_slots=2 out would change the chip.
    base = Scenario()
    grid = parse_grid(["buffer_slots=2", "buffer_bytes=128"], base)
    assert [p.key for p in points(["revolve"], grid, base)] == [
        "revolve|buffer_slots=2|buffer_bytes=128"
    ]


def test_rows_carry_their_gap_to_the_optimum(tmp_path: Path) -> None:
    # The course at L = 10: stride:k=5 500 ns, disk-offload 1000 ns, optimal 260 ns backward.
    out = tmp_path / "s.csv"
    frame, _ = sweep(Scenario(), ["stride:k=5", "disk-offload"], {"layers": [10, 4]}, out)
    assert "gap_to_optimal_pct" not in frame  # no optimum in the sweep: no column
    frame, new = sweep(Scenario(), ["optimal"], {"layers": [10]}, out)
    assert new == 1
    gaps = dict(zip(frame["run"], frame["gap_to_optimal_pct"], strict=True))
    assert gaps["stride:k=5"] == pytest.approx(100 * 240 / 260)
    assert gaps["disk-offload"] == pytest.approx(100 * 740 / 260)
    assert gaps["optimal"] == 0.0
    assert pd.isna(gaps["stride:k=5|layers=4"])  # optimal did not run at L = 4
    on_disk = pd.read_csv(out).set_index("run")["gap_to_optimal_pct"]
    assert on_disk["stride:k=5"] == pytest.approx(92.3076923)


def test_a_run_that_does_not_fit_has_no_gap(tmp_path: Path) -> None:
    frame, _ = sweep(Scenario(), ["full-store", "optimal"], {"layers": [5]}, tmp_path / "s.csv")
    rows = frame.set_index("strategy")
    assert not rows.at["full-store", "fits"] and pd.isna(
        rows.at["full-store", "gap_to_optimal_pct"]
    )


def test_a_file_from_before_network_hashes_is_refused_saying_so(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    sweep(Scenario(), ["revolve"], {"layers": [4]}, out, math=False)
    stored = json.loads(sidecar(out).read_text())
    del stored["network_sha256"]
    sidecar(out).write_text(json.dumps(stored))
    with pytest.raises(ConfigError) as error:
        sweep(Scenario(), ["revolve"], {"layers": [4]}, out, math=False)
    assert str(error.value) == (
        f"--out {out}: holds another sweep: it was written by a chipsim that did not record "
        "network_sha256; use a new --out, or --force to start over"
    )
