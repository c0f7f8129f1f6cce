"""``chipsim fit``: per strategy, the largest batch that fits the chip's one memory and
the smallest memory that fits the network's batch (``chipsim.study.fit``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from ..formatting import (
    BYTE_UNITS,
    TIME_UNITS,
    bytes_of,
    column_cells,
    column_unit,
    text_table,
)
from ..outputs import jsonout
from ..study.analysis import compare
from ..study.fit import MAX_BATCH, Fit, batch_of, fit
from ..study.scenario import Scenario
from .options import build_scenario, scenario_command, strategies_option

#: Where the table comes from and how it is searched, printed under it.
SOURCE = (
    "Checkmate's max-batch table (Jain et al., MLSys 2020). Largest batch: doubling, then "
    f"bisection, up to {MAX_BATCH}; step = forward + backward latency, simulated. Smallest "
    "memory: the least memory_bytes at which the strategy, planning under it, fits."
)


@scenario_command("fit")
@strategies_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def fit_command(strategies: tuple[str, ...], as_json: bool, **scenario_args: Any) -> None:
    """Per strategy: the largest batch within memory_bytes, and the least memory at the batch.

    Checkmate's max-batch table (Jain et al., MLSys 2020) on the chip's one memory.
    """
    scenario = build_scenario(**scenario_args)
    fits = fit(scenario, list(strategies) or None)
    batch = batch_of(scenario.network)
    if as_json:
        click.echo(jsonout.dumps(_payload(scenario, batch, fits), indent=2))
        return
    click.echo(f"{scenario.describe()}\n")
    assert scenario.chip.memory_bytes is not None  # fit refused a chip without it
    nothing = nothing_fits(fits, batch, scenario.chip.memory_bytes)
    click.echo(legend(batch, scenario.chip.memory_bytes, fitting=not nothing) + "\n")
    if nothing:
        click.echo(nothing + "\n" + _why(scenario, fits) + "\n")
    click.echo(fit_table(fits, batch, fitting=not nothing))
    if batch is None:
        click.echo(
            f"\n{scenario.chain.name} has no batch parameter: only the smallest memory "
            "is answered (a zoo network's spec takes batch=N)."
        )
    click.echo(f"\n{SOURCE}")
    reasons = [f"{one.strategy}: {one.reason}" for one in fits if one.reason]
    if reasons:
        click.echo("\n" + "\n".join(reasons))


def fit_table(fits: list[Fit], batch: int | None, *, fitting: bool = True) -> str:
    """One row per strategy, one unit per column named in its header; '-' where there is
    no answer. Where nothing fits (not ``fitting``), no step and peak columns: there is
    no run to time. The exact integers are in ``--json``."""
    columns: dict[str, list[str]] = {}
    if batch is not None:
        columns["max_batch"] = [
            "-" if one.max_batch is None else str(one.max_batch) for one in fits
        ]
    if batch is not None and fitting:
        columns.update(_in_units("step", [one.step_ns for one in fits], TIME_UNITS))
        columns.update(_in_units("peak", [one.peak_bytes for one in fits], BYTE_UNITS))
    columns.update(_in_units("min_memory", [one.min_memory_bytes for one in fits], BYTE_UNITS))
    rows = [(one.strategy, [cells[i] for cells in columns.values()]) for i, one in enumerate(fits)]
    return text_table("strategy", list(columns), rows)


def _in_units(
    name: str, values: list[int | float | None], units: Sequence[tuple[str, float]]
) -> dict[str, list[str]]:
    """``name_<unit>``: a column's values in the one unit its largest reads in."""
    unit, scale = column_unit(values, units)
    return {f"{name}_{unit}": column_cells(values, scale)}


def nothing_fits(fits: list[Fit], batch: int | None, memory_bytes: int) -> str:
    """Where no strategy fits the memory (not even batch 1): the sentence that says so,
    with the least memory any strategy needs; "" where one fits."""
    if batch is not None and any(one.max_batch != 0 for one in fits):
        return ""
    needs = [one.min_memory_bytes for one in fits if one.min_memory_bytes is not None]
    if batch is None and any(need <= memory_bytes for need in needs):
        return ""
    budget = bytes_of(memory_bytes)
    at = "" if batch is None else ", not even at batch 1"
    text = f"Nothing fits: no strategy trains within memory_bytes = {budget}{at}."
    if not needs:
        return text
    least = min(needs)
    best = ", ".join(one.strategy for one in fits if one.min_memory_bytes == least)
    where = "" if batch is None else f"At the scenario's batch of {batch}, t"
    return (
        f"{text} {where or 'T'}he least memory any needs is {bytes_of(least)}"
        f" ({best}), {bytes_of(least - memory_bytes)} more than the chip has."
    )


def _why(scenario: Scenario, fits: list[Fit]) -> str:
    """Why: the refusal of the strategy that needs the least, naming what is live at its
    peak (or the first strategy's reason, where none has a least memory)."""
    answered = [one for one in fits if one.min_memory_bytes is not None]
    if not answered:
        return next((f"{one.strategy}: {one.reason}" for one in fits if one.reason), "")
    best = min(answered, key=lambda one: one.min_memory_bytes or 0)
    (outcome,) = compare(scenario, [best.strategy], math=False)
    return "" if outcome.refusal is None else f"Why: {outcome.refusal}"


def legend(batch: int | None, memory_bytes: int, *, fitting: bool = True) -> str:
    """What each column answers, above the table (no step or peak where nothing fits)."""
    if batch is None:
        return "min_memory: the least memory that trains the network as given"
    shown = (
        "with its step (forward + backward) and peak"
        if fitting
        else "0 where not even batch 1 fits"
    )
    return (
        f"max_batch: the largest batch within memory_bytes = {bytes_of(memory_bytes)}, {shown}; "
        f"min_memory: the least memory at batch {batch}"
    )


def _payload(scenario: Scenario, batch: int | None, fits: list[Fit]) -> dict[str, Any]:
    return {
        "scenario": scenario.name,
        "network": scenario.chain.name,
        "batch": batch,
        "memory_bytes": scenario.chip.memory_bytes,
        "chip": scenario.chip.as_dict(),
        "results": [one.as_dict() for one in fits],
    }
