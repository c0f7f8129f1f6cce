"""``chipsim fit``: per strategy, the largest batch that fits the chip's one memory and
the smallest memory that fits the network's batch (``chipsim.study.fit``)."""

from __future__ import annotations

from typing import Any

import click

from ..formatting import ns_cell
from ..outputs import jsonout
from ..study.fit import MAX_BATCH, Fit, batch_of, fit
from ..study.scenario import Scenario
from .options import build_scenario, scenario_options, strategies_option, with_progress
from .text import strip_lines

#: Where the table comes from and how it is searched, printed under it.
SOURCE = (
    "Checkmate's max-batch table (Jain et al., MLSys 2020). Largest batch: doubling, then "
    f"bisection, up to {MAX_BATCH}; step = forward + backward latency, simulated. Smallest "
    "memory: the least memory_bytes at which the strategy, planning under it, fits."
)


@click.command(name="fit")
@with_progress
@scenario_options
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
    click.echo(legend(batch, scenario.chip.memory_bytes) + "\n")
    click.echo(fit_table(fits, batch))
    if batch is None:
        click.echo(
            f"\n{scenario.chain.name} has no batch parameter: only the smallest memory "
            "is answered (a zoo network's spec takes batch=N)."
        )
    click.echo(f"\n{SOURCE}")
    reasons = [f"{one.strategy}: {one.reason}" for one in fits if one.reason]
    if reasons:
        click.echo("\n" + "\n".join(reasons))


def fit_table(fits: list[Fit], batch: int | None) -> str:
    """One row per strategy, units in the headers; '-' where there is no answer."""
    import pandas as pd  # the text table only: `fit --json` starts without pandas

    rows = {}
    for one in fits:
        row: dict[str, Any] = {}
        if batch is not None:
            row = {"max_batch": one.max_batch, "step_ns": one.step_ns, "peak_bytes": one.peak_bytes}
        rows[one.strategy] = {key: _dash(value) for key, value in row.items()}
        rows[one.strategy]["min_memory_bytes"] = _dash(one.min_memory_bytes)
    frame = pd.DataFrame.from_dict(rows, orient="index").rename_axis("strategy")
    return strip_lines(frame.to_string())


def legend(batch: int | None, memory_bytes: int) -> str:
    """What each column answers, above the table."""
    if batch is None:
        return "min_memory_bytes: the least memory that trains the network as given"
    return (
        f"max_batch: the largest batch within memory_bytes = {memory_bytes}, with its step_ns "
        f"(forward + backward) and peak_bytes; min_memory_bytes: the least memory at batch {batch}"
    )


def _dash(value: int | float | None) -> int | str:
    return "-" if value is None else ns_cell(value)


def _payload(scenario: Scenario, batch: int | None, fits: list[Fit]) -> dict[str, Any]:
    return {
        "scenario": scenario.name,
        "network": scenario.chain.name,
        "batch": batch,
        "memory_bytes": scenario.chip.memory_bytes,
        "chip": scenario.chip.as_dict(),
        "results": [one.as_dict() for one in fits],
    }
