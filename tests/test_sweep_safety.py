"""Sweeps never mix experiments, keep torn rows, share a file, hang or leave workers behind."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import chipsim.study.sweep
from chipsim import ChipConfig, ConfigError, Scenario
from chipsim.cli import main
from chipsim.progress import progress
from chipsim.study.grid import MAX_RUNS, Steps, parse_grid, points
from chipsim.study.sweep import sweep
from chipsim.study.sweep_files import identity, sidecar
from chipsim.study.workers import local_workers

ROOT = Path(__file__).resolve().parents[1]
COURSE_CHIP = {
    "chip.fwd_ns": 20, "chip.bwd_ns": 0, "chip.loadmem_ns": 10, "chip.storemem_ns": 0,
    "chip.loaddisk_ns": 100, "chip.storedisk_ns": 0, "chip.buffer_slots": 2,
    "chip.mode": "serial", "chip.staging_slots": 0, "chip.disk_fault_rate": 0,
    "chip.max_retries": 3, "chip.dtype_bytes": 4, "chip.mem_bytes_per_ns": None,
    "chip.disk_bytes_per_ns": None, "chip.compute_macs_per_ns": None,
}  # fmt: skip
ARGS = ["sweep", "--strategy", "stride:k=5", "--strategy", "disk-offload", "--grid", "layers=4,6"]


def stored_identity(path: Path) -> dict:
    if path.suffix == ".csv":
        return json.loads(sidecar(path).read_text())
    return json.loads(pq.read_schema(path).metadata[b"chipsim.sweep"])


@pytest.mark.parametrize("name", ["s.parquet", "s.csv"])
def test_the_file_holds_the_sweeps_whole_identity(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    frame, new = sweep(Scenario(), ["stride:k=5"], {"layers": [4, 6, 8]}, out, seed=7, math=False)
    assert new == len(frame) == 3
    network = Scenario().chain.content_sha256()
    fields = {"layers": 10, "width": 16, "seed": 0, **COURSE_CHIP, "network_sha256": network}
    stored = stored_identity(out)
    added = set(stored) - set(fields) - {"chipsim_version", "scenario_sha256", "sweep_seed", "math"}
    later = {f.name for f in dataclasses.fields(Scenario)} | {
        f"chip.{n}" for n in ChipConfig.field_names()
    }
    assert added <= later  # a field added to Scenario or the chip after this test: in, generically
    fields.update({key: stored[key] for key in added})
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
    assert stored == {
        "chipsim_version": identity(Scenario(), 0, True)["chipsim_version"],
        "scenario_sha256": digest,
        **fields,
        "sweep_seed": 7,
        "math": False,
    }


def test_identity_follows_every_scenario_field() -> None:
    base = identity(Scenario(), 0, True)
    for changed in (
        Scenario(layers=11),
        Scenario(width=3),
        Scenario(seed=1),
        Scenario().with_overrides(chip={"loaddisk_ns": 50}),
    ):
        other = identity(changed, 0, True)
        assert other["scenario_sha256"] != base["scenario_sha256"]
    assert identity(Scenario(name="x", description="y"), 0, True) == base  # names change nothing


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (["--set", "fwd_ns=30"], "chip.fwd_ns is 20 there, 30 here"),
        (["--layers", "12"], "layers is 10 there, 12 here"),
        (["--width", "3"], "width is 16 there, 3 here"),
        (["--seed", "5"], "sweep_seed is 0 there, 5 here"),
        (["--no-math"], "math is True there, False here"),
        (["--set", "mode=overlapped", "--set", "fwd_ns=1"],
         "chip.fwd_ns is 20 there, 1 here (and 1 more)"),
    ],
)  # fmt: skip
def test_a_changed_sweep_is_refused_naming_the_difference(
    tmp_path: Path, change: list[str], named: str
) -> None:
    out = tmp_path / "s.parquet"
    assert CliRunner().invoke(main, [*ARGS, "--out", str(out)]).exit_code == 0
    before = out.read_bytes()
    result = CliRunner().invoke(main, [*ARGS, "--out", str(out), *change])
    assert result.exit_code == 2
    assert result.output == (
        f"chipsim: error: --out {out}: holds another sweep: {named}; "
        "use a new --out, or --force to start over\n"
    )
    assert out.read_bytes() == before


def test_a_changed_scenario_file_is_refused(tmp_path: Path) -> None:
    scenario, out = tmp_path / "chip.toml", tmp_path / "s.csv"
    scenario.write_text("[chip]\nloadmem_ns = 10\n")
    assert CliRunner().invoke(main, [*ARGS, str(scenario), "--out", str(out)]).exit_code == 0
    scenario.write_text("[chip]\nloadmem_ns = 12\n")
    result = CliRunner().invoke(main, [*ARGS, str(scenario), "--out", str(out)])
    assert result.exit_code == 2
    assert "chip.loadmem_ns is 10 there, 12 here;" in result.output


def test_force_starts_over_and_a_new_grid_extends(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    assert CliRunner().invoke(main, [*ARGS, "--out", str(out)]).exit_code == 0
    grown = CliRunner().invoke(main, [*ARGS[:-1], "layers=4,6,8", "--out", str(out)])
    assert "sweep: 6 runs (2 new, 4 already in" in grown.output
    forced = CliRunner().invoke(main, [*ARGS, "--out", str(out), "--set", "fwd_ns=30", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "sweep: 4 runs (4 new, 0 already in" in forced.output
    frame = pd.read_csv(out)
    assert len(frame) == 4 and set(frame["fwd_ns"]) == {30}
    assert stored_identity(out)["chip.fwd_ns"] == 30


def test_a_csv_without_its_identity_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    sweep(Scenario(), ["stride:k=5"], {"layers": [4]}, out, math=False)
    sidecar(out).unlink()
    with pytest.raises(ConfigError) as error:
        sweep(Scenario(), ["stride:k=5"], {"layers": [4]}, out, math=False)
    assert str(error.value) == (
        f"--out {out}: holds a sweep of unknown identity (s.csv.meta.json is missing); "
        "use a new --out, or --force to start over"
    )


def test_a_torn_last_row_is_dropped_said_and_run_again(tmp_path: Path) -> None:
    out, whole = tmp_path / "s.csv", tmp_path / "whole.csv"
    grid = {"layers": [4, 6, 8]}
    full, _ = sweep(Scenario(), ["stride:k=5"], grid, whole, math=False)
    sweep(Scenario(), ["stride:k=5"], grid, out, math=False)
    text = out.read_text()
    out.write_text(text[: len(text) - 40])  # the last row loses its tail
    said: list[str] = []
    resumed, new = sweep(Scenario(), ["stride:k=5"], grid, out, math=False, say=said.append)
    torn = len(text.splitlines()[-1]) + 1 - 40
    assert said == [f"{out}: dropped a torn last row ({torn} bytes with no line end)"]
    assert new == 1 and len(resumed) == 3
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(whole))
    assert full["run"].tolist() == resumed["run"].tolist()


def test_an_old_file_with_feasible_is_read_as_fits(tmp_path: Path) -> None:
    out = tmp_path / "s.parquet"
    sweep(Scenario(), ["stride:k=5"], {"layers": [4]}, out, math=False)
    table = pq.read_table(out)
    old = table.rename_columns(["feasible" if n == "fits" else n for n in table.column_names])
    pq.write_table(old.replace_schema_metadata(table.schema.metadata), out)
    assert "feasible" in pd.read_parquet(out).columns
    frame, new = sweep(Scenario(), ["stride:k=5"], {"layers": [4, 6]}, out, math=False)
    assert new == 1 and frame["fits"].tolist() == [True, True] and "feasible" not in frame
    plot = CliRunner().invoke(main, ["plot", str(out), "--out", str(tmp_path / "p.svg")])
    assert plot.exit_code == 0, plot.output


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from chipsim.study.sweep_files import locked
with locked(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_second_writer_is_refused_naming_the_first(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        result = CliRunner().invoke(main, [*ARGS, "--out", str(out)])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 2
    assert result.output == (
        f"chipsim: error: --out {out}: another sweep (PID {holder.pid}) is writing it; "
        "wait for it to finish or use another --out\n"
    )
    assert not out.exists()
    assert CliRunner().invoke(main, [*ARGS, "--out", str(out)]).exit_code == 0  # the lock died


def children(pid: int) -> set[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return {int(line) for line in found.split()}


@pytest.mark.parametrize(
    ("signum", "code", "name"), [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "SIGINT")]
)
def test_a_signal_keeps_the_finished_rows_and_stops_every_worker(
    tmp_path: Path, signum: int, code: int, name: str
) -> None:
    out = tmp_path / "s.csv"
    command = [sys.executable, "-m", "chipsim", "sweep", "--grid", "layers=4:400:4",
               "--grid", "loaddisk_ns=10:100:10", "--set", "buffer_slots=8", "--jobs", "2",
               "--out", str(out)]  # fmt: skip
    sweeper = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while not (out.exists() and len(workers) == 2) and time.monotonic() < deadline:
        workers = children(sweeper.pid)  # the first checkpoint comes after 2 s
        time.sleep(0.1)
    assert out.exists() and len(workers) == 2
    sweeper.send_signal(signum)
    stdout, stderr = sweeper.communicate(timeout=60)
    assert sweeper.returncode == code
    rows = len(pd.read_csv(out))
    assert 0 < rows < 6000
    assert stdout == b""
    assert stderr.decode() == (
        f"chipsim: error: sweep stopped by {name}: {rows} rows written to {out}; "
        "run it again to resume\n"
    )
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_text_and_distribution_grids_round_trip(tmp_path: Path, suffix: str) -> None:
    items = [
        "mode=serial,overlapped",
        'loaddisk_ns=50,{dist="lognormal",median=50,sigma=0.5},'
        '{dist = "uniform", low = 10, high = 90}',
    ]
    grid = parse_grid(items, Scenario())
    out = tmp_path / f"s{suffix}"
    _, new = sweep(Scenario(), ["disk-offload"], grid, out, math=False)
    assert new == 6
    back = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert back["mode"].tolist() == ["serial"] * 3 + ["overlapped"] * 3
    texts = back["loaddisk_ns"].tolist()[:3]
    assert [tomllib.loads(f"v = {t}")["v"] for t in texts] == [
        50,
        {"dist": "lognormal", "median": 50, "sigma": 0.5},
        {"dist": "uniform", "low": 10, "high": 90},
    ]
    assert back["run"].iat[1] == (  # mode=serial is the chip's own: not in the run's id
        'disk-offload|loaddisk_ns={dist = "lognormal", median = 50, sigma = 0.5}'
    )
    again, new = sweep(Scenario(), ["disk-offload"], grid, out, math=False)
    assert new == 0 and len(again) == 6


def test_ranges_are_counted_not_built() -> None:
    grid = parse_grid(["layers=1:1000000:1"], Scenario())
    assert isinstance(grid["layers"], Steps) and len(grid["layers"]) == 1_000_000
    assert grid["layers"][-1] == 1_000_000 and grid["layers"][:3] == [1, 2, 3]
    assert len(points(["stride:k=5"], grid)) == MAX_RUNS
    with pytest.raises(ConfigError) as error:
        points(["stride:k=5", "optimal"], grid)
    assert str(error.value) == (
        "--grid: the sweep has 2,000,000 runs (2 × 1000000); the most is 1,000,000"
    )


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("layers=1:1e9:1", "the range has 1e+09 values; a sweep has at most 1,000,000 runs"),
        ("layers=1:inf:1", "a range needs finite numbers, got inf"),
        ("layers=1:nan:1", "a range needs finite numbers, got nan"),
        ("layers=1:2:1e-300", "the range has 1e+300 values; a sweep has at most 1,000,000 runs"),
        ("layers=1:600000:1", "the sweep has 1,200,000 runs (2 × 600000); the most is 1,000,000"),
    ],
)
def test_impossible_grids_are_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, item: str, message: str
) -> None:
    def no_work(*args: object) -> None:
        raise AssertionError("a run started")

    monkeypatch.setattr(chipsim.study.sweep, "run_chunk", no_work)
    monkeypatch.setattr(chipsim.study.grid.Runs, "__iter__", no_work)  # nothing enumerated either
    out = tmp_path / "s.csv"
    result = CliRunner().invoke(main, ["sweep", "--strategy", "stride:k=5", "--strategy",
                                       "optimal", "--grid", item, "--out", str(out)])  # fmt: skip
    assert result.exit_code == 2
    assert result.output.startswith("chipsim: error: --grid")
    assert message in result.output and len(result.output.splitlines()) == 1
    assert sorted(tmp_path.iterdir()) == []


def test_jobs_are_capped_at_the_cores_and_the_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chipsim.study.workers, "cores", lambda: 2)
    capped = "--jobs 100000 capped at 2 workers (2 cores, 1000 runs to do)"
    assert local_workers(100000, 1000) == (2, capped)
    assert local_workers(2, 1) == (1, "--jobs 2 capped at 1 worker (2 cores, 1 run to do)")
    assert local_workers(-1, 1000) == (2, None)
    assert local_workers(2, 5) == (2, None)


def test_the_cli_says_when_it_caps_the_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chipsim.study.workers, "cores", lambda: 2)
    out = tmp_path / "s.csv"
    result = CliRunner().invoke(main, [*ARGS, "--out", str(out), "--jobs", "100000"])
    assert result.exit_code == 0, result.output
    assert result.stderr == "chipsim: --jobs 100000 capped at 2 workers (2 cores, 4 runs to do)\n"
    assert len(pd.read_csv(out)) == 4


def test_plot_refuses_a_table_that_is_no_sweep_and_bad_slots(tmp_path: Path) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text("run,strategy\na,stride:k=5\n")
    result = CliRunner().invoke(main, ["plot", str(runs)])
    assert result.exit_code == 2
    assert result.output == (
        f"chipsim: error: {runs}: not a chipsim sweep or trace (a 'run' column, no 'fits')\n"
    )
    trace = tmp_path / "t.csv"
    assert CliRunner().invoke(main, ["run", "--trace", str(trace)]).exit_code == 0
    for slots in ("0", "-1"):
        refused = CliRunner().invoke(main, ["plot", str(trace), "--slots", slots])
        assert refused.exit_code == 2 and "--slots" in refused.output
    assert not trace.with_suffix(".png").exists()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_only_on_a_terminal_and_not_when_quiet() -> None:
    cases = [(Terminal(), False, True), (Terminal(), True, False), (io.StringIO(), False, False)]
    for stream, quiet, drawn in cases:
        with progress(3, "sweep", quiet=quiet, stream=stream) as advance:
            advance(2)
            advance(1)
        assert ("sweep" in stream.getvalue()) is drawn
    terminal = Terminal()
    with progress(3, "sweep", stream=terminal) as advance:
        advance(3)
    assert "0/3" in terminal.getvalue()


def test_a_sweep_in_the_api_is_quiet_by_default(
    tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    sweep(Scenario(), ["stride:k=5"], {"layers": [4]}, tmp_path / "s.csv", math=False)
    assert capfd.readouterr().err == ""


def test_a_sweep_restores_the_signal_handlers(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    sweep(Scenario(), ["stride:k=5"], {"layers": [4, 6]}, tmp_path / "s.csv", jobs=2, math=False)
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
