"""What a sweep's rows hold: one run's parameters and results, and each row's gap to the optimum.

A worker runs ``run_chunk``; the sweep adds ``gap_to_optimal_pct`` over the
whole table when it ends or stops (``with_gaps``; its checkpoints leave the
column out), so a file extended with ``optimal`` later gains the gaps of the
rows it already held.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import DiskReadError, Refusal, StrategyError
from ..planners import parse_spec
from ..sim.plan import PHASES
from .analysis import _is_optimum as is_optimum  # compare's test of what an optimum is
from .analysis import run_strategy
from .grid import Point, apply
from .scenario import Scenario

if TYPE_CHECKING:  # workers import this module to run chunks: pandas only where a table is made
    import pandas as pd

#: The column of each row's backward gap to the best optimum run at its grid point, in %.
GAP_COLUMN = "gap_to_optimal_pct"


def run_point(base: Scenario, point: Point, sweep_seed: int, math: bool) -> dict[str, Any]:
    """One row: every parameter, fit, per-phase latencies and op counts (a worker's task)."""
    scenario = apply(base, point.values)
    scenario = scenario.with_overrides(seed=point.seed(sweep_seed) if math else scenario.seed)
    row: dict[str, Any] = {
        "run": point.key,
        "strategy": point.strategy,
        "network": scenario.chain.name,
        "layers": scenario.layers,
        "width": scenario.width,
        "seed": scenario.seed,
        **scenario.chip.as_dict(flat=True),
    }
    try:
        result = run_strategy(scenario, point.strategy, math=math)
    except (Refusal, DiskReadError) as refusal:  # a row that says why, not a lost sweep
        return {**row, **_refused(refusal)}
    in_slots = scenario.chip.buffer_slots is not None  # slots count only equal widths
    row.update(
        fits=True,
        reason="",
        buffer_slots_needed=result.plan.buffer_slots_needed if in_slots else None,
        buffer_bytes_needed=result.plan.buffer_bytes_needed(result.chain),
        peak_buffer_bytes=result.peak_buffer_bytes,
    )
    if result.energy_nj is not None:
        row["energy_nj"] = result.energy_nj
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


def _refused(refusal: Refusal | DiskReadError) -> dict[str, Any]:
    disk = isinstance(refusal, DiskReadError)
    return {
        "fits": False,
        "reason": str(refusal),
        "buffer_slots_needed": None if disk else refusal.buffer_slots_needed,
        "buffer_bytes_needed": None if disk else refusal.buffer_bytes_needed,
    }


def with_gaps(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``gap_to_optimal_pct``: by how much, in percent, each fitting row's
    backward latency exceeds the least of the optimum runs (``optimal``, minimising the
    backward phase, any ``units``) at its grid point; empty where there is none."""
    import pandas as pd

    frame = frame.drop(columns=GAP_COLUMN, errors="ignore")
    if frame.empty or "backward_latency_ns" not in frame.columns:
        return frame
    fits = frame["fits"].astype(bool)
    optimum = frame["strategy"].map({s: _is_optimum(s) for s in frame["strategy"].unique()})
    if not (optimum & fits).any():
        return frame
    point = pd.Series([run.partition("|")[2] for run in frame["run"]], index=frame.index)
    reference = frame.loc[optimum & fits].groupby(point[optimum & fits])["backward_latency_ns"]
    best = point.map(reference.min())
    latency = frame["backward_latency_ns"]
    gap = (100 * (latency - best) / best).where(best != 0, (latency == 0).map({True: 0.0}))
    return frame.assign(**{GAP_COLUMN: gap.where(fits & best.notna()).astype(float)})


def _is_optimum(strategy: str) -> bool:
    try:
        return is_optimum(parse_spec(strategy))
    except StrategyError:  # a plugin of an older extension no longer installed
        return False
