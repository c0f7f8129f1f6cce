"""pandas views of traces and runs: where the time goes, and runs side by side.

Every function takes a trace DataFrame (``RunResult.frame`` or
``chipsim.outputs.exports.load_trace(path)``) or a list of results, and returns a new
DataFrame; none of them simulates anything.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ..errors import DiskReadError
from ..model.ops import OP_KINDS, PORTS
from ..sim.plan import PHASES
from ..study.analysis import Outcome
from ..study.scenario import Scenario
from .summary import summary_columns


def per_layer(frame: pd.DataFrame) -> pd.DataFrame:
    """Time and op counts spent on each layer's gradient in the backward phase.

    A backward op counts towards the next ``bwd`` at or after it: the loads,
    recomputations and stores that make ``bwd l`` possible are layer l's
    cost (anything after the last ``bwd`` joins it). Index: layer, L first;
    columns: ``time_ns`` then one count column per op kind.
    """
    backward = frame[frame["phase"] == "backward"]
    owner = backward["layer"].where(backward["op"] == "bwd").bfill().ffill()
    duration = backward["end_ns"] - backward["start_ns"]
    grouped = pd.DataFrame({"layer": owner, "op": backward["op"], "time_ns": duration})
    grouped = grouped.dropna(subset=["layer"]).astype({"layer": "int64"})
    counts = pd.crosstab(grouped["layer"], grouped["op"]).reindex(columns=OP_KINDS, fill_value=0)
    table = grouped.groupby("layer")["time_ns"].sum().to_frame().join(counts)
    table.columns.name = None
    return table.sort_index(ascending=False)


def resource_use(frame: pd.DataFrame) -> pd.DataFrame:
    """Busy time and utilisation of each port, per phase and over the whole run.

    Utilisation is busy time over the span it is measured in (the phase, or
    the whole run); index: (phase, resource) with phase ``total`` last.
    """
    rows = []
    bounds = {
        phase: (group["start_ns"].min(), group["end_ns"].max())
        for phase, group in frame.groupby("phase", observed=True)
    }
    run_end = frame["end_ns"].max() if len(frame) else 0
    spans = {**bounds, "total": (0, run_end)}
    for phase in (*PHASES, "total"):
        if phase not in spans:
            continue
        rows_in = frame if phase == "total" else frame[frame["phase"] == phase]
        start, end = spans[phase]
        busy = (
            (rows_in["end_ns"] - rows_in["start_ns"])
            .groupby(rows_in["resource"], observed=False)
            .sum()
        )
        for resource in PORTS:
            busy_ns = busy.get(resource, 0)
            span = end - start
            rows.append(
                {
                    "phase": phase,
                    "resource": resource,
                    "busy_ns": busy_ns,
                    "span_ns": span,
                    "utilisation": busy_ns / span if span else 0.0,
                }
            )
    return pd.DataFrame(rows).set_index(["phase", "resource"])


def buffer_occupancy(frame: pd.DataFrame) -> pd.DataFrame:
    """The buffer's occupancy as a step function: ``time_ns``, ``slots`` from that time on.

    Starts at (0, 0); one row per change, at the end of the op that made it.
    """
    steps = pd.DataFrame({"time_ns": frame["end_ns"], "slots": frame["buffer_slots_used"]})
    start = pd.DataFrame({"time_ns": [0], "slots": [0]}).astype(steps.dtypes.to_dict())
    steps = pd.concat([start, steps], ignore_index=True)
    changed = steps["slots"].ne(steps["slots"].shift())
    return steps[changed].reset_index(drop=True)


def summary(outcomes: list[Outcome], scenario: Scenario) -> pd.DataFrame:
    """The side-by-side table ``chipsim compare`` and reports show (text cells, "-" if n/a).

    Index: strategy; columns: fit, buffer needed (slots of the chip's slots, or
    on a byte budget, bytes of its bytes, in one unit), the forward and
    backward phases and the whole step (forward + backward), each in one unit
    named in its header (``backward_ms``), the backward gap to optimal
    (``vs_approx_optimal`` when the optimum is the periodic approximation,
    beyond the exact planner), and the backward op counts that decide the
    question: recomputations, buffer loads, disk loads; on a chip that
    declares energy, the whole run's energy; with replications, the backward
    latency's p50 and p99 too. A strategy that did not run shows fit "no" and
    its refusal's buffer needed ("-" when the refusal is not about room, e.g.
    too large to plan), or "failed" when a disk read failed past its retries.
    Built by ``chipsim.outputs.summary``, which needs no pandas.
    """
    columns = summary_columns(outcomes, scenario)
    labels = [outcome.strategy for outcome in outcomes]
    frame = pd.DataFrame(columns, index=labels, dtype=object)
    return frame.rename_axis("strategy")


def comparison(outcomes: Iterable[Outcome], *, scenario: str = "") -> pd.DataFrame:
    """One row per strategy (× scenario): fit, latencies, gap to optimal, op counts.

    Takes ``compare()``'s outcomes; ``buffer_bytes_needed`` is the plan's peak
    buffer bytes (a refusal's, where a byte budget refused it), beside the
    activations it keeps at once, ``buffer_slots_needed``; op-count columns are
    ``<phase>_<op>``; on a chip that declares energy, ``<phase>_energy_nj`` and
    the run's ``energy_nj``.
    """
    rows = []
    for outcome in outcomes:
        result, refusal = outcome.result, outcome.refusal
        row: dict[str, object] = {"scenario": scenario, "strategy": outcome.strategy}
        if result is None:
            failed = isinstance(refusal, DiskReadError)
            row.update(fits=failed, failed=failed)
            row["buffer_slots_needed"] = None if failed else refusal.buffer_slots_needed
            row["buffer_bytes_needed"] = None if failed else refusal.buffer_bytes_needed
            row["reason"] = str(refusal) if refusal else ""
        else:
            row.update(
                fits=True,
                failed=False,
                buffer_slots_needed=result.plan.buffer_slots_needed,
                buffer_bytes_needed=result.plan.buffer_bytes_needed(result.chain),
                reason="",
                forward_ns=result.forward.latency_ns,
                backward_ns=result.backward.latency_ns,
                total_ns=result.forward.latency_ns + result.backward.latency_ns,
                gap_to_optimal_pct=outcome.gap_to_optimal_pct,
            )
            if result.energy_nj is not None:  # a chip that declares energy
                row.update(
                    forward_energy_nj=result.trace.energy_of("forward"),
                    backward_energy_nj=result.trace.energy_of("backward"),
                    energy_nj=result.energy_nj,
                )
            for phase in PHASES:
                for kind, count in result.phase(phase).ops.items():
                    row[f"{phase}_{kind}"] = count
        rows.append(row)
    return pd.DataFrame(rows)
