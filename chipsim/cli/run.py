"""One scenario, one strategy: ``run`` simulates it, ``plan`` prints its ops and
predicted latency without running anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import DoesNotFit
from ..formatting import bytes_text, energy_text
from ..model.chip import ChipConfig
from ..model.costs import Costs
from ..model.stages import Chain
from ..outputs import jsonout
from ..planners import make_plan, work
from ..sim.engine import execute
from ..sim.plan import PHASES, Plan
from ..sim.plan_memory import use_of
from ..study.analysis import run_strategy
from ..study.run import RunResult
from .memory_text import peak_text, plan_listing
from .options import (
    STRATEGY_HELP,
    build_scenario,
    check_output_path,
    replications_option,
    scenario_command,
    timing_only_option,
)
from .text import format_ns, phase_table


@scenario_command("run")
@click.option("--strategy", default="stride:k=5", show_default=True, help=STRATEGY_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--trace",
    "trace_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the trace, one row per op: .csv, .parquet, or .json (Chrome trace, for Perfetto).",
)
@replications_option
@timing_only_option
def run(
    strategy: str,
    as_json: bool,
    trace_path: Path | None,
    replications: int | None,
    timing_only: bool,
    **scenario_args: Any,
) -> None:
    """Run one strategy and summarise both phases."""
    if trace_path is not None:
        from ..outputs.exports import (  # pandas: only when a trace is written
            TRACE_FORMATS,
            write_trace,
        )

        check_output_path("--trace", trace_path, TRACE_FORMATS)
    scenario = build_scenario(**scenario_args)
    result = run_strategy(scenario, strategy, math=not timing_only, replications=replications)
    if trace_path is not None:
        write_trace(result.frame, trace_path, title=result.strategy)
    if as_json:
        click.echo(jsonout.dumps(result.to_dict(), indent=2))
        return
    click.echo(f"{result.strategy} on {scenario.describe()}\n")
    for note in result.plan.notes:
        click.echo(f"note: {note}")
    click.echo(phase_table(result))
    chain = result.chain
    if result.math:
        gradients = f"bitwise equal to plain backprop (max |diff| = {result.max_abs_grad_diff})"
    elif chain.has_math:
        gradients = "not computed (--no-math: timing only)"
    else:
        gradients = f"not computed ({chain.name} is timing only: it has no numpy math)"
    click.echo(f"\n{_footprint(result)}\ngradients: {gradients}")
    if result.energy_nj is not None:
        forward, backward = (result.trace.energy_of(phase) for phase in ("forward", "backward"))
        click.echo(
            f"energy: {energy_text(result.energy_nj)} (forward {energy_text(forward)}, "
            f"backward {energy_text(backward)}; static power included)"
        )
    retries = int((result.trace.attempt > 1).sum())
    if retries:
        click.echo(f"disk read retries: {retries}")
    spread = result.replications
    if spread is not None:
        shown = ", ".join(f"{name} {format_ns(value)}" for name, value in spread.summary().items())
        failed = f" ({spread.failed} failed a disk read, not counted)" if spread.failed else ""
        click.echo(f"backward latency over {spread.n} replications{failed}: {shown}")
    if trace_path is not None:
        click.echo(f"trace: {len(result.trace)} rows written to {trace_path}")


@scenario_command("plan")
@click.option("--strategy", default="stride:k=5", show_default=True, help=STRATEGY_HELP)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print a list of {"phase", "op", "layer"} (and "prefetch": true on prefetching loads, '
    '"record": true on recording forwards).',
)
def plan_command(strategy: str, as_json: bool, **scenario_args: Any) -> None:
    """Print a plan op by op, with its slot use and predicted latency; runs nothing.

    A plan that does not fit the chip is still printed, with the slots it
    needs (exit status 0: it is a plan, not a run).
    """
    scenario = build_scenario(**scenario_args)
    chip, chain = scenario.chip, scenario.chain
    plan = make_plan(strategy, chain, chip)
    work.check_run(plan.strategy, len(plan), chip, math=False)  # printing costs as a run
    if as_json:
        for piece in jsonout.plan_json(plan):  # streamed: a block of ops at a time
            click.echo(piece, nl=False)
        return
    if chip.memory_bytes is not None:
        click.echo(plan_listing(plan, chip, chain))
    else:
        click.echo(plan.listing(None if chip.buffer_slots is not None else chain.activation_bytes))
    expected = ", expected latencies" if scenario.chip.is_random else ""
    costs = Costs(chip, chain)
    latencies = ", ".join(f"{phase} {format_ns(plan.latency_ns(costs, phase))}" for phase in PHASES)
    click.echo(f"predicted latency (serial{expected}): {latencies}")
    try:
        plan.check_fits(chip, chain)
    except DoesNotFit as refusal:
        click.echo(f"does not fit: {refusal}")
        return
    if chip.mode == "overlapped":
        trace = execute(plan, chip.replace({"disk_fault_rate": 0}), chain).trace
        latencies = ", ".join(f"{phase} {format_ns(trace.latency_ns(phase))}" for phase in PHASES)
        click.echo(f"predicted latency (overlapped{expected}, no faults): {latencies}")
    staging = plan.staging_slots_needed
    room = _room_used(plan, chip, chain)
    click.echo(
        f"fits the chip: {room}"
        + (f", {staging} of {chip.staging_slots} staging slots" if staging else "")
    )


def _footprint(result: RunResult) -> str:
    """The run's memory: the one memory's peak by role, or the buffer's peak against its
    budget and the registers' working memory beside it."""
    if result.memory_at_peak is not None:
        return peak_text(result.memory_at_peak)
    slots = result.chip.buffer_slots
    return (
        (f"peak buffer slots: {result.peak_buffer_slots} of {slots}\n" if slots is not None else "")
        + f"peak buffer bytes: {bytes_text(result.peak_buffer_bytes)} of "
        f"{bytes_text(result.buffer_bytes)}; "
        f"registers' working memory: {bytes_text(result.chain.working_bytes)}"
    )


def _room_used(plan: Plan, chip: ChipConfig, chain: Chain) -> str:
    """What a plan that fits uses of the chip: its one memory's peak, or the buffer's."""
    if chip.memory_bytes is not None:
        peak = use_of(plan, chip, chain).peak_bytes
        return f"{bytes_text(peak)} of the {bytes_text(chip.memory_bytes)} memory at its peak"
    if chip.buffer_slots is not None:
        return f"{plan.buffer_slots_needed} of {chip.buffer_slots} buffer slots"
    needed = bytes_text(plan.buffer_bytes_needed(chain))
    return f"{needed} of the {bytes_text(chip.buffer_bytes)} buffer"
