"""Strategies against each other: ``compare`` side by side, ``breakeven`` where
two tie, ``pareto`` the plans no other beats on bytes, latency and energy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import ConfigError, DiskReadError, Refusal
from ..formatting import bytes_of
from ..limits import MAX_PARETO_VALUES, text_shown
from ..model.specs import number
from ..outputs import jsonout
from ..planners import DEFAULT_COMPARISON
from ..sim.plan import PHASES
from ..study.analysis import RANKINGS, Outcome, compare, rank
from ..study.breakeven import SOLVABLE_FIELDS, breakeven
from .options import (
    STRATEGY_HELP,
    build_scenario,
    check_output_path,
    replications_option,
    scenario_command,
    strategies_option,
    timing_only_option,
)
from .text import comparison_table, describe_breakeven


@scenario_command("compare")
@strategies_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@replications_option
@click.option(
    "--rank-by",
    type=click.Choice(RANKINGS),
    help="List the fastest first by the backward latency, or by a statistic of "
    "its replications (needs --replications).",
)
@timing_only_option
def compare_command(
    strategies: tuple[str, ...],
    as_json: bool,
    replications: int | None,
    rank_by: str | None,
    timing_only: bool,
    **scenario_args: Any,
) -> None:
    """Run several strategies on one chip, side by side."""
    scenario = build_scenario(**scenario_args)
    if rank_by not in (None, "backward") and replications is None:
        raise ConfigError(f"--rank-by {rank_by} needs --replications N")
    outcomes = compare(
        scenario,
        list(strategies or DEFAULT_COMPARISON),
        math=not timing_only,
        replications=replications,
    )
    if rank_by is not None:
        outcomes = rank(outcomes, rank_by)
    if as_json:
        payload = {
            "scenario": scenario.name,
            "network": scenario.chain.name,
            "layers": scenario.layers,
            "width": scenario.width,
            "seed": scenario.seed,
            "chip": scenario.chip.as_dict(),
            "results": [_outcome_dict(outcome) for outcome in outcomes],
        }
        click.echo(jsonout.dumps(payload, indent=2))
        return
    click.echo(f"{scenario.describe()}\n")
    click.echo(comparison_table(outcomes, scenario))
    refusals = [str(outcome.refusal) for outcome in outcomes if outcome.refusal is not None]
    if refusals:
        click.echo("\n" + "\n".join(refusals))


@scenario_command("pareto")
@click.option(
    "--budgets",
    metavar="B,B,...",
    help="Budgets in bytes to sweep: the buffer's (default: 0 to 8 of the largest activation), "
    "or memory_bytes on a chip with one memory (default: 9 from the least any plan needs to the "
    "chip's).",
)
@click.option(
    "--weights",
    metavar="W,W,...",
    help="ns_per_nj weights to sweep (default: 13 around the chip's own ns per nJ).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(path_type=Path),
    help="Also draw latency against energy to this image (.png, .svg, .pdf).",
)
def pareto_command(
    budgets: str | None,
    weights: str | None,
    as_json: bool,
    plot_path: Path | None,
    **scenario_args: Any,
) -> None:
    """Plans no other beats on buffer bytes, backward latency and energy (docs/energy.md)."""
    if plot_path is not None:
        check_output_path("--plot", plot_path, (".png", ".svg", ".pdf"))
    scenario = build_scenario(**scenario_args)
    from ..study.pareto import front_table, pareto  # only this command needs it

    points = pareto(
        scenario,
        budgets=None if budgets is None else _numbers("--budgets", budgets, int),
        weights=None if weights is None else _numbers("--weights", weights, float),
    )
    if plot_path is not None:
        from ..outputs.pareto_plot import pareto_chart  # matplotlib only when a figure is asked for
        from ..outputs.plots import save

        save(pareto_chart(points, title=scenario.name), plot_path)
    if as_json:
        click.echo(jsonout.dumps({"points": [point.as_dict() for point in points]}, indent=2))
        return
    click.echo(f"{scenario.describe()}\n")
    click.echo(front_table(points))
    if scenario.chip.memory_bytes is not None and points and not any(p.fits for p in points):
        least = min(points, key=lambda point: point.memory_bytes or 0)
        click.echo(
            f"\nNothing fits memory_bytes = {bytes_of(scenario.chip.memory_bytes)}: the least "
            f"any plan needs is {bytes_of(least.memory_bytes or 0)} ({least.strategy})."
        )
    if plot_path is not None:
        click.echo(f"\nfigure: {plot_path}")


def _numbers(option: str, text: str, kind: type) -> list[Any]:
    """``"0,64,128"`` → [0, 64, 128] (``kind`` int or float, each >= 0)."""
    try:
        values = [number(part, kind, option) for part in text.split(",")]
    except ConfigError:
        noun = "whole numbers" if kind is int else "numbers"
        raise ConfigError(
            f"{option} must be {noun} >= 0 separated by commas, got {text_shown(text)}"
        ) from None
    if any(not value >= 0 or value == float("inf") for value in values):
        raise ConfigError(f"{option} must be finite numbers >= 0, got {text_shown(text)}")
    if len(values) > MAX_PARETO_VALUES:  # every budget is planned once per weight, and 3 more
        raise ConfigError(
            f"{option} lists {len(values)} values; at most {MAX_PARETO_VALUES} "
            "(chipsim.limits.MAX_PARETO_VALUES): each budget is planned 3 + (weights) times"
        )
    return values


@scenario_command("breakeven")
@click.option(
    "--param",
    required=True,
    type=click.Choice(SOLVABLE_FIELDS),
    help="The latency or bandwidth to solve for.",
)
@click.option("--strategy", required=True, help=STRATEGY_HELP)
@click.option("--against", required=True, help="The strategy spec to tie with.")
@click.option(
    "--phase",
    type=click.Choice(PHASES),
    default="backward",
    show_default=True,
    help="Whose latency must tie.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@timing_only_option
def breakeven_command(
    param: str,
    strategy: str,
    against: str,
    phase: str,
    as_json: bool,
    timing_only: bool,
    **scenario_args: Any,
) -> None:
    """Solve for the latency at which two strategies tie, and confirm it by simulation."""
    scenario = build_scenario(**scenario_args)
    point = breakeven(scenario, param, strategy, against, phase=phase, math=not timing_only)
    if as_json:
        click.echo(jsonout.dumps(point.to_dict(), indent=2))
        return
    click.echo(describe_breakeven(point))


def _outcome_dict(outcome: Outcome) -> dict[str, Any]:
    """One strategy's entry in ``compare --json``: its run, or why it has none."""
    if outcome.result is not None:
        return {
            "fits": True,
            **outcome.result.to_dict(),
            "gap_to_optimal_pct": outcome.gap_to_optimal_pct,
            "gap_reference": outcome.gap_reference,  # "optimal over N units" when cut so
        }
    refusal = outcome.refusal
    if isinstance(refusal, DiskReadError):  # it fit and ran, until a read failed
        return {"strategy": outcome.strategy, "fits": True, "failed": True, "reason": str(refusal)}
    assert refusal is not None
    return {
        "strategy": outcome.strategy,
        "fits": False,
        "buffer_slots_needed": refusal.buffer_slots_needed,
        **({"buffer_bytes_needed": needed} if (needed := refusal.buffer_bytes_needed) else {}),
        **_memory_needed(refusal),
        "reason": str(refusal),
    }


def _memory_needed(refusal: Refusal) -> dict[str, Any]:
    """A refusal on a chip with one memory: the bytes the plan needs of it and, where the
    refusal knows its plan's peak, the ``memory`` object of a run (peak op, roles)."""
    if refusal.field != "memory_bytes" or refusal.bytes_needed is None:
        return {}
    peak = getattr(refusal, "memory_at_peak", None)
    return {
        "memory_bytes_needed": refusal.bytes_needed,
        **({} if peak is None else {"memory": peak.as_dict()}),
    }
