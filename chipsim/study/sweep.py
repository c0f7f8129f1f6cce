"""Sweeps: every strategy on every point of a parameter grid, in parallel, resumable.

A grid (``chipsim.study.grid``) maps keys (``layers``, ``width`` or any ChipConfig
field) to values; the sweep runs the product with each strategy, one row per
run. Runs go, a chunk per task, to local worker processes or a Dask cluster
(``chipsim.study.workers``); every couple of seconds, and at the end, the output
file is rewritten atomically with every row so far, with the sweep's
identity (``chipsim.study.sweep_files``), so an interrupted sweep keeps its
finished runs and re-running it with the same ``out`` does only the rest,
and only if it is the same experiment; a run is stored once, under its
canonical id (``chipsim.study.grid``). SIGINT and SIGTERM write what is
finished, stop the workers and raise ``SweepInterrupted`` (exit 130 / 143);
a worker that dies, or an error in a run (a plugin's, say), also writes what
is finished first, then ``SweepFailed`` says what happened in one line.

Each run's network seed comes from the sweep seed alone: it is the first
word of the ``SeedSequence`` child that ``SeedSequence(seed).spawn`` would
make, keyed by the run's identity (a CRC of its key) rather than its
position, so results do not depend on the order or the number of workers,
and a grown grid keeps the seeds of the runs it shares.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ChipsimError, ConfigError
from ..progress import progress as progress_bar
from . import sweep_files
from .grid import GRID_KEYS, MAX_RUNS, NETWORK_KEYS, Point, parse_grid, points
from .scenario import Scenario
from .sweep_files import SWEEP_FORMATS
from .sweep_rows import GAP_COLUMN, run_chunk, run_point, with_gaps
from .workers import (
    BACKENDS,
    Stop,
    WorkerDied,
    check_jobs,
    dask,
    local,
    local_workers,
    stopping_on_signals,
)

if TYPE_CHECKING:  # workers import this module to run chunks: pandas only where a table is made
    import pandas as pd

__all__ = [
    "BACKENDS", "GAP_COLUMN", "GRID_KEYS", "MAX_RUNS", "NETWORK_KEYS", "SWEEP_FORMATS", "Point",
    "SweepFailed", "SweepInterrupted", "parse_grid", "points", "run_chunk", "run_point", "sweep",
]  # fmt: skip

CHECKPOINT_SECONDS = 2.0
CHUNKS_PER_WORKER = 8
MAX_CHUNK = 64  # runs a task: keeps progress and checkpoints frequent on big grids


class SweepInterrupted(ChipsimError):
    """SIGINT or SIGTERM stopped a sweep; its finished rows are in the file."""

    def __init__(self, signum: int, rows: int, out: Path) -> None:
        self.exit_code = 128 + signum  # 130 for SIGINT, 143 for SIGTERM, as a shell reports
        name = "SIGINT" if signum == 2 else "SIGTERM"
        super().__init__(
            f"sweep stopped by {name}: {rows} rows written to {out}; run it again to resume"
        )


class SweepFailed(ChipsimError):
    """A run failed or a worker died mid-sweep; the finished rows are in the file."""

    def __init__(self, error: ChipsimError, rows: int, out: Path) -> None:
        self.exit_code = error.exit_code
        again = "; run it again to resume" if isinstance(error, WorkerDied) else ""
        super().__init__(f"sweep stopped: {error}; {rows} rows written to {out}{again}")


def sweep(
    base: Scenario,
    strategies: Sequence[str],
    grid: dict[str, Sequence[Any]],
    out: str | os.PathLike[str],
    *,
    jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    seed: int = 0,
    math: bool = True,
    force: bool = False,
    quiet: bool = True,
    checkpoint_seconds: float = CHECKPOINT_SECONDS,
    say: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, int]:
    """Run what ``out`` does not hold yet; returns (all rows, how many were new).

    ``out`` is locked for the sweep; rows of another sweep's identity in it
    are refused (``force``: replace the file). Progress is drawn on stderr
    unless ``quiet``; ``say`` gets one-line notices (default: stderr).
    """
    import pandas as pd

    say = say or _to_stderr
    path = Path(out)
    runs = points(strategies, grid, base)
    if backend not in BACKENDS:
        raise ConfigError(f"--backend {backend}: unknown; valid: {', '.join(BACKENDS)}")
    check_jobs(jobs)
    sweep_files.check_path(path)
    expected = sweep_files.identity(base, seed, math, runs.specs)
    with sweep_files.locked(path):
        done, identity = sweep_files.load(path, expected, force=force, say=say)
        finished = set(done["run"]) if not done.empty else set()
        todo = sum(1 for point in runs if point.key not in finished)
        rows: list[dict[str, Any]] = []

        def save(gaps: bool = True) -> pd.DataFrame:
            """Write every row; the gaps (seconds on a million rows) only when it ends."""
            parts = [part for part in (done, pd.DataFrame(rows)) if len(part)]
            frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
            frame = with_gaps(frame) if gaps else frame.drop(columns=GAP_COLUMN, errors="ignore")
            sweep_files.write(path, frame, identity)
            return frame

        try:
            with stopping_on_signals() as check_signals:
                with _runner(jobs, backend, scheduler, todo, say) as (run, workers):
                    check_signals()
                    chunks = _chunks(runs, finished, todo, workers)
                    last_write = time.monotonic()
                    with progress_bar(todo, "sweep", quiet=quiet) as advance:
                        for chunk_rows in run(run_chunk, ((base, c, seed, math) for c in chunks)):
                            rows += chunk_rows
                            advance(len(chunk_rows))
                            check_signals()
                            if time.monotonic() - last_write >= checkpoint_seconds:
                                save(gaps=False)
                                last_write = time.monotonic()
                check_signals()
        except Stop as stop:
            frame = save()
            raise SweepInterrupted(stop.signum, len(frame), path) from None
        except ChipsimError as error:  # a worker died, or a run failed: keep what finished
            if not rows:
                raise
            raise SweepFailed(error, len(save()), path) from None
        return save(), todo


@contextmanager
def _runner(jobs, backend, scheduler, todo, say) -> Iterator[tuple[Callable, int]]:
    """``(run, workers)``: ``run(task, args)`` yields each task's result, in order."""
    if backend == "dask":
        capped = jobs if scheduler is not None else local_workers(jobs, todo)[0]
        with dask(capped, scheduler) as (run, workers):
            yield run, workers
        return
    workers, note = local_workers(jobs, todo)
    if note:
        say(note)
    with local(workers) as run:
        yield run, workers


def _chunks(
    runs: Iterable[Point], finished: set[str], todo: int, workers: int
) -> Iterator[list[Point]]:
    """About CHUNKS_PER_WORKER chunks a worker, at most MAX_CHUNK runs each, in order.

    One worker runs in this process, where a task costs nothing: one run a chunk.
    """
    share = -(-todo // (workers * CHUNKS_PER_WORKER))
    size = 1 if workers == 1 else max(1, min(share, MAX_CHUNK))
    chunk: list[Point] = []
    for point in runs:
        if point.key in finished:
            continue
        chunk.append(point)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _to_stderr(message: str) -> None:
    print(f"chipsim: {message}", file=sys.stderr)
