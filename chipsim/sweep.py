"""Sweeps: every strategy on every point of a parameter grid, in parallel, resumable.

A grid maps keys (``layers``, ``width`` or any ChipConfig field) to values;
the sweep runs the cartesian product with each strategy, one row per run.
Runs go to joblib (loky processes, or a Dask cluster through joblib's Dask
backend); every couple of seconds, and at the end, the output file is
rewritten atomically with every row so far, so an interrupted sweep keeps
its finished runs and re-running it with the same ``out`` does only the rest.

Each run's network seed comes from the sweep seed alone: it is the first
word of the ``SeedSequence`` child that ``SeedSequence(seed).spawn`` would
make, keyed by the run's identity (a CRC of its key) rather than its
position, so results do not depend on the order or the number of workers,
and a grown grid keeps the seeds of the runs it shares.
"""

from __future__ import annotations

import itertools
import os
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np

from .analysis import run_strategy
from .chip import ChipConfig
from .errors import ConfigError, DiskReadError, Refusal
from .files import write_atomically
from .plan import PHASES
from .scenario import Scenario
from .strategies import parse_spec

if TYPE_CHECKING:  # workers import this module to run chunks: pandas only where a table is made
    import pandas as pd

SWEEP_FORMATS: tuple[str, ...] = (".parquet", ".csv")
NETWORK_KEYS: tuple[str, ...] = ("layers", "width")
GRID_KEYS: tuple[str, ...] = (*NETWORK_KEYS, *ChipConfig.field_names())
BACKENDS: tuple[str, ...] = ("loky", "dask")
CHECKPOINT_SECONDS = 2.0
CHUNKS_PER_WORKER = 8
MAX_CHUNK = 64  # runs a task: keeps progress and checkpoints frequent on big grids


@dataclass(frozen=True)
class Point:
    """One run of a sweep: a strategy and the grid values it runs with."""

    strategy: str
    values: tuple[tuple[str, int | float], ...]

    @property
    def key(self) -> str:
        """The run's identity, e.g. ``stride:k=5|layers=10|loaddisk_ns=50``."""
        return "|".join([self.strategy, *(f"{k}={v}" for k, v in self.values)])

    def seed(self, sweep_seed: int) -> int:
        child = np.random.SeedSequence(sweep_seed, spawn_key=(zlib.crc32(self.key.encode()),))
        return int(child.generate_state(1)[0])


def parse_grid(items: Sequence[str], base: Scenario) -> dict[str, list[int | float]]:
    """``["layers=4:16:4", "loaddisk_ns=20,50"]`` → values per key, each checked on ``base``."""
    grid: dict[str, list[int | float]] = {}
    for item in items:
        key, eq, text = item.partition("=")
        key = key.strip()
        if not eq or not text.strip():
            raise ConfigError(f"--grid {item!r}: expected KEY=V1,V2,... or KEY=START:STOP:STEP")
        if key not in GRID_KEYS:
            raise ConfigError(
                f"--grid {item}: unknown key {key!r}; valid keys: {', '.join(GRID_KEYS)}"
            )
        if key in grid:
            raise ConfigError(f"--grid {item}: {key} is given twice")
        values = _range(item, text) if ":" in text else [_number(item, v) for v in text.split(",")]
        for value in values:
            try:
                _apply(base, ((key, value),))
            except ConfigError as error:
                raise ConfigError(f"--grid {item}: {error}") from None
        grid[key] = values
    return grid


def points(strategies: Sequence[str], grid: dict[str, list[int | float]]) -> list[Point]:
    """The cartesian product, strategies outermost, keys in the order given; no run twice."""
    specs = list(dict.fromkeys(str(parse_spec(spec)) for spec in strategies))
    combos = itertools.product(*grid.values())
    values = [tuple(zip(grid, combo, strict=True)) for combo in combos]
    return [Point(spec, combo) for spec in specs for combo in values]


def run_point(base: Scenario, point: Point, sweep_seed: int, math: bool) -> dict[str, Any]:
    """One row: every parameter, fit, per-phase latencies and op counts (a worker's task)."""
    scenario = _apply(base, point.values)
    scenario = scenario.with_overrides(seed=point.seed(sweep_seed) if math else scenario.seed)
    row: dict[str, Any] = {
        "run": point.key,
        "strategy": point.strategy,
        "layers": scenario.layers,
        "width": scenario.width,
        "seed": scenario.seed,
        **scenario.chip.as_dict(flat=True),
    }
    try:
        result = run_strategy(scenario, point.strategy, math=math)
    except (Refusal, DiskReadError) as refusal:  # a row that says why, not a lost sweep
        return {
            **row,
            "feasible": False,
            "reason": str(refusal),
            "buffer_slots_needed": (
                None if isinstance(refusal, DiskReadError) else refusal.buffer_slots_needed
            ),
        }
    row.update(feasible=True, reason="", buffer_slots_needed=result.plan.buffer_slots_needed)
    for phase in PHASES:
        summary = result.phase(phase)
        row[f"{phase}_latency_ns"] = summary.latency_ns
        row.update({f"{phase}_{kind}": count for kind, count in summary.ops.items()})
    row["loss"] = result.loss
    return row


def run_chunk(
    base: Scenario, chunk: Sequence[Point], sweep_seed: int, math: bool
) -> list[dict[str, Any]]:
    """The rows of several runs (one worker task)."""
    return [run_point(base, point, sweep_seed, math) for point in chunk]


def sweep(
    base: Scenario,
    strategies: Sequence[str],
    grid: dict[str, list[int | float]],
    out: str | os.PathLike[str],
    *,
    jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    seed: int = 0,
    math: bool = True,
    checkpoint_seconds: float = CHECKPOINT_SECONDS,
    progress: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, int]:
    """Run what ``out`` does not hold yet; returns (all rows, how many were new).

    Runs go to joblib in one call, a chunk of them per task (so a run of a
    millisecond does not pay a round trip to a worker process each); chunks come back in order as
    they finish and the file is rewritten at most every ``checkpoint_seconds``,
    and once at the end.
    """
    import pandas as pd

    path = Path(out)
    done = _load_existing(path)
    finished = set(done["run"]) if not done.empty else set()
    todo = [p for p in points(strategies, grid) if p.key not in finished]
    rows: list[dict[str, Any]] = []
    last_write = time.monotonic()
    with _executor(jobs, backend, scheduler) as (run_chunks, workers):
        for chunk_rows in run_chunks(base, _chunks(todo, workers), seed, math):
            rows += chunk_rows
            if progress is not None:
                progress(len(chunk_rows))
            if time.monotonic() - last_write >= checkpoint_seconds:
                _write(path, pd.concat([done, pd.DataFrame(rows)], ignore_index=True))
                last_write = time.monotonic()
    frame = pd.concat([done, pd.DataFrame(rows)], ignore_index=True)
    _write(path, frame)
    return frame, len(todo)


def _executor(jobs: int, backend: str, scheduler: str | None):
    """A context giving ``(run_chunks, workers)``.

    ``run_chunks(base, chunks, seed, math)`` yields each chunk's rows, in order, as they finish.
    """
    if backend not in BACKENDS:
        raise ConfigError(f"--backend {backend}: unknown; valid: {', '.join(BACKENDS)}")
    if jobs < 1 and jobs != -1:
        raise ConfigError(f"--jobs {jobs}: must be a whole number >= 1 (or -1 for every core)")

    @contextmanager
    def context() -> Iterator[tuple[Callable[..., Iterator[list[dict[str, Any]]]], int]]:
        client = _dask_client(scheduler, jobs) if backend == "dask" else None
        try:
            n_jobs = jobs if client is None else -1
            with joblib.parallel_config(backend=backend, n_jobs=n_jobs):
                parallel = joblib.Parallel(return_as="generator")
                task = joblib.delayed(run_chunk)

                def run_chunks(base, chunks, seed, math):
                    return parallel(task(base, chunk, seed, math) for chunk in chunks)

                workers = (
                    len(client.nthreads())
                    if client is not None
                    else joblib.effective_n_jobs(n_jobs)
                )
                yield run_chunks, max(workers, 1)
        finally:
            if client is not None:
                client.close()

    return context()


def _dask_client(scheduler: str | None, jobs: int):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError(
            "--backend dask needs Dask's distributed scheduler: pip install 'chipsim[distributed]'"
        ) from None
    if scheduler is not None:
        try:
            return Client(scheduler, timeout=10)
        except OSError as error:
            raise ConfigError(f"--scheduler {scheduler}: cannot connect ({error})") from None
    workers = (os.cpu_count() or 1) if jobs == -1 else jobs
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, dashboard_address=None, host="127.0.0.1"
    )
    client = Client(cluster)
    client.close = _closing(client.close, cluster.close)  # type: ignore[method-assign]
    return client


def _closing(*closers: Callable[[], Any]) -> Callable[[], None]:
    def close() -> None:
        for closer in closers:
            closer()

    return close


def _load_existing(path: Path) -> pd.DataFrame:
    import pandas as pd

    from .exports import read_table

    suffix = path.suffix.lower()
    if suffix not in SWEEP_FORMATS:
        raise ConfigError(f"--out {path}: unsupported format {suffix!r}; valid: .parquet, .csv")
    if not path.parent.is_dir():
        raise ConfigError(f"--out {path}: the folder {path.parent} does not exist")
    if not path.exists():
        return pd.DataFrame()
    frame = read_table(path)
    if "run" not in frame.columns:
        raise ConfigError(f"--out {path}: exists and is not a chipsim sweep (no 'run' column)")
    return frame.drop_duplicates("run", keep="first").reset_index(drop=True)


def _write(path: Path, frame: pd.DataFrame) -> None:
    if path.suffix.lower() == ".parquet":
        write_atomically(path, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        write_atomically(path, lambda tmp: frame.to_csv(tmp, index=False))


def _apply(base: Scenario, values: tuple[tuple[str, int | float], ...]) -> Scenario:
    network = {k: v for k, v in values if k in NETWORK_KEYS}
    chip = {k: v for k, v in values if k not in NETWORK_KEYS}
    return base.with_overrides(**network, chip=chip)  # type: ignore[arg-type]


def _number(item: str, text: str) -> int | float:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"--grid {item}: {text!r} is not a number") from None


def _range(item: str, text: str) -> list[int | float]:
    parts = text.split(":")
    if len(parts) != 3:
        raise ConfigError(f"--grid {item}: a range is START:STOP:STEP, e.g. layers=4:256:4")
    start, stop, step = (_number(item, part) for part in parts)
    if step <= 0 or stop < start:
        raise ConfigError(f"--grid {item}: a range needs STEP > 0 and STOP >= START")
    count = int((stop - start) / step + 1e-9) + 1
    return [start + i * step for i in range(count)]


def _chunks(todo: list[Point], workers: int) -> Iterator[list[Point]]:
    """About CHUNKS_PER_WORKER chunks a worker, at most MAX_CHUNK runs each, in order.

    One worker runs in this process, where a task costs nothing: one run a chunk.
    """
    share = -(-len(todo) // (workers * CHUNKS_PER_WORKER))
    size = 1 if workers == 1 else max(1, min(share, MAX_CHUNK))
    for start in range(0, len(todo), size):
        yield todo[start : start + size]
