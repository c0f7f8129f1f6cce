"""Nothing lost, nothing left behind (issue 23, "Data mixed or lost" items 2 and 3 and
"Leftovers and noise"): a sweep stopped before its first row resumes, a dead worker's
sweep keeps what finished, and kills, full disks and lock races leave no debris."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from chipsim import Scenario
from chipsim.cli import main
from chipsim.study.sweep import SweepInterrupted, sweep
from chipsim.study.sweep_files import sidecar
from chipsim.study.sweep_lock import locked

ROOT = Path(__file__).resolve().parents[1]
#: A plugin that plans as revolve, but while ``$CHIPSIM_TEST_GATE`` exists says it is
#: planning (a file beside the gate) and waits: a run that is surely under way, unfinished.
GATED = """
import os, time
from pathlib import Path
from chipsim.planners import make_plan

def plan(network, chip):
    gate = Path(os.environ["CHIPSIM_TEST_GATE"])
    if gate.exists():
        (gate.parent / "planning").write_text(str(os.getpid()))
        time.sleep(600)
    return make_plan("revolve", network, chip)
"""


def wait_for(path: Path, process: subprocess.Popen) -> None:
    """Until ``path`` exists (the process is past some point), or the process ended."""
    deadline = time.monotonic() + 120  # a guard against a hang, not a timing claim
    while not path.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists(), process.communicate(timeout=5)


def chipsim(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "chipsim", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


@pytest.mark.parametrize("backend", ["loky", "dask"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_sweep_interrupted_before_its_first_row_resumes(
    tmp_path: Path, suffix: str, backend: str
) -> None:
    if backend == "dask":
        pytest.importorskip("dask.distributed")
    (tmp_path / "gated.py").write_text(GATED)
    gate, out = tmp_path / "gate", tmp_path / f"z{suffix}"
    gate.touch()
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
           "CHIPSIM_TEST_GATE": str(gate)}  # fmt: skip
    args = ["sweep", "--strategy", "gated:plan", "--grid", "layers=4,6", "--no-math",
            "--backend", backend, "--out", str(out)]  # fmt: skip
    sweeper = chipsim(*args, env=env)
    wait_for(tmp_path / "planning", sweeper)  # the first run is planning: no row yet
    sweeper.send_signal(signal.SIGINT)
    stdout, stderr = sweeper.communicate(timeout=60)
    assert (sweeper.returncode, stdout) == (130, "")
    assert stderr == (
        f"chipsim: error: sweep stopped by SIGINT: 0 rows written to {out}; "
        "run it again to resume\n"
    )
    gate.unlink()
    resumed = chipsim(*args, env=env)
    stdout, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    assert stdout.startswith(f"sweep: 2 runs (2 new, 0 already in {out});")
    rows = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert rows["run"].tolist() == ["gated:plan|layers=4", "gated:plan|layers=6"]


def test_a_file_stopped_before_a_row_by_an_older_chipsim_resumes(tmp_path: Path) -> None:
    # Before this fix a stop before the first row wrote a file with no column at all.
    out = tmp_path / "z.csv"
    sweep(Scenario(), ["revolve"], {"layers": [4]}, out, math=False)
    out.write_text("\n")
    frame, new = sweep(Scenario(), ["revolve"], {"layers": [4, 6]}, out, math=False)
    assert new == 2 and frame["run"].tolist() == ["revolve|layers=4", "revolve|layers=6"]


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in found.split()]


def test_a_killed_worker_is_named_and_what_finished_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "w.csv"
    sweeper = chipsim("sweep", "--grid", "layers=4:400:4", "--grid", "loaddisk_ns=10:100:10",
                      "--set", "buffer_slots=8", "--jobs", "2", "--out", str(out))  # fmt: skip
    workers: list[int] = []
    deadline = time.monotonic() + 120
    while not (out.exists() and len(workers) == 2) and time.monotonic() < deadline:
        workers = children(sweeper.pid)  # the first checkpoint comes after 2 s
        time.sleep(0.1)
    assert out.exists() and len(workers) == 2
    checkpointed = len(pd.read_csv(out))
    os.kill(workers[0], signal.SIGKILL)
    stdout, stderr = sweeper.communicate(timeout=60)
    rows = pd.read_csv(out)
    assert (sweeper.returncode, stdout) == (1, "")
    assert stderr == (
        f"chipsim: error: sweep stopped: worker PID {workers[0]} died (killed by SIGKILL); "
        f"{len(rows)} rows written to {out}; run it again to resume\n"
    )
    assert len(rows) >= checkpointed and rows["run"].is_unique
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    # What was kept is what an uninterrupted sweep gives, run for run:
    small = ["sweep", "--grid", "layers=4:40:4", "--grid", "loaddisk_ns=10:100:10", "--set",
             "buffer_slots=8", "--out"]  # fmt: skip
    assert CliRunner().invoke(main, [*small, str(out)]).exit_code == 0
    whole = tmp_path / "whole.csv"
    assert CliRunner().invoke(main, [*small, str(whole)]).exit_code == 0
    expected = pd.read_csv(whole).set_index("run")
    kept = pd.read_csv(out).set_index("run").loc[expected.index]
    pd.testing.assert_frame_equal(kept, expected)


WRITER = """
import sys, time
from pathlib import Path
import pandas as pd
from chipsim.study import sweep_files

def stall(self, path, **kwargs):
    Path(path).write_text("run\\n")
    print("writing", flush=True)
    time.sleep(600)

pd.DataFrame.to_csv = stall
out = Path(sys.argv[1])
with sweep_files.locked(out):
    sweep_files.write(out, pd.DataFrame({"run": ["a"]}), {"x": 1})
"""


def test_temporary_files_of_a_killed_writer_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(out)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
    writer.kill()
    writer.wait()
    left = [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"]
    assert len(left) == 1 and left[0].startswith(".c.csv.")  # what kill -9 leaves
    fd, other = tempfile.mkstemp(prefix=".c.csv.x.", suffix=".tmp", dir=tmp_path)
    os.close(fd)  # another file's temporary: not ours to remove
    _, new = sweep(Scenario(), ["revolve"], {"layers": [4]}, out, math=False)
    assert new == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["c.csv", "c.csv.meta.json", Path(other).name]
    )


def test_a_full_disk_leaves_no_lone_sidecar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: pd.DataFrame, path: Path, **kwargs: object) -> None:
        Path(path).write_text("run,stra")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    out = tmp_path / "s.csv"
    result = CliRunner().invoke(main, ["sweep", "--grid", "layers=4", "--out", str(out)])
    assert result.exit_code == 2
    assert result.output == f"chipsim: error: {out}: cannot write: No space left on device\n"
    assert list(tmp_path.iterdir()) == []
    sidecar(out).write_text("{}")  # as a sweep before this fix left it
    monkeypatch.undo()
    _, new = sweep(Scenario(), ["revolve"], {"layers": [4]}, out, math=False)
    assert new == 1 and sidecar(out).read_text() != "{}"


HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(0.5)  # as a holder between taking the lock and writing its PID
os.pwrite(fd, f"{os.getpid()}\\n".encode(), 0)
time.sleep(60)
"""


def test_the_lock_message_names_a_holder_that_has_not_written_its_pid_yet(
    tmp_path: Path,
) -> None:
    out = tmp_path / "s.csv"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out) + ".lock"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(Exception) as refused:
            with locked(out):
                pass
    finally:
        holder.kill()
        holder.wait()
    assert str(refused.value) == (
        f"--out {out}: another sweep (PID {holder.pid}) is writing it; "
        "wait for it to finish or use another --out"
    )


def test_a_signal_swallowed_while_workers_start_still_stops_the_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Dask's start-up can catch the handler's Stop: the sweep then ran on to the end, exit 0.
    @contextmanager
    def swallowing(*args: object) -> Iterator[tuple[Callable, int]]:
        try:
            os.kill(os.getpid(), signal.SIGINT)
        except BaseException:
            pass  # as a library that catches everything would
        yield (lambda task, args: (task(*a) for a in args)), 1

    monkeypatch.setattr("chipsim.study.sweep._runner", swallowing)
    out = tmp_path / "s.csv"
    with pytest.raises(SweepInterrupted) as stopped:
        sweep(Scenario(), ["revolve"], {"layers": [4, 6]}, out, math=False)
    assert stopped.value.exit_code == 130
    assert str(stopped.value) == (
        f"sweep stopped by SIGINT: 0 rows written to {out}; run it again to resume"
    )
    assert pd.read_csv(out).empty
