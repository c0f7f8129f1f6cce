"""Commands that write files: ``sweep`` (rows of runs), ``plot`` (a figure of a
saved trace or sweep) and ``report`` (a markdown folder). Each imports pandas
or matplotlib only when it runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from ..errors import ConfigError
from ..limits import MAX_FIGURE_OPS, MAX_TABLE_BYTES, MAX_TOTAL, text_shown
from ..planners import DEFAULT_COMPARISON
from .options import (
    STRATEGY_HELP,
    build_scenario,
    check_output_path,
    check_regular_target,
    scenario_command,
    scenario_options,
    strategies_option,
    timing_only_option,
)


@click.command(name="sweep")
@scenario_options
@strategies_option
@click.option(
    "--grid",
    "grid_items",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="Values of layers, width or a chip field; ranges START:STOP:STEP are inclusive. "
    "Repeatable: the sweep runs the cartesian product.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Rows go here (.parquet or .csv); runs already in it are skipped.",
)
@click.option("--jobs", default=1, show_default=True, help="Parallel workers (-1: every core).")
@click.option(
    "--backend",
    type=click.Choice(["loky", "dask"]),
    default="loky",
    show_default=True,
    help="loky: processes on this machine; dask: a Dask cluster "
    "(pip install 'chipsim[distributed]').",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    help="With --backend dask: the cluster's scheduler (default: start a local cluster).",
)
@timing_only_option
@click.option("--force", is_flag=True, help="Start over: replace --out, whatever sweep it holds.")
@click.option("--quiet", is_flag=True, help="No progress bar (it is drawn only on a terminal).")
def sweep_command(
    strategies: tuple[str, ...],
    grid_items: tuple[str, ...],
    out: Path,
    jobs: int,
    backend: str,
    scheduler: str | None,
    timing_only: bool,
    force: bool,
    quiet: bool,
    **scenario_args: Any,
) -> None:
    """Run strategies over a parameter grid, one row per run; resumable.

    --seed is the sweep's seed: each run's network seed derives from it. A
    file is resumed only by the same sweep (scenario, chip, network and its
    stages' contents, seed, math, chipsim version, plugins' module files);
    another grid or strategy set extends it, each run stored once.
    """
    from ..study.sweep import parse_grid, points, sweep

    if scheduler is not None and backend != "dask":
        raise ConfigError("--scheduler goes with --backend dask")
    if scheduler is not None and not _SCHEDULER.fullmatch(scheduler):
        raise ConfigError(
            f"--scheduler {text_shown(scheduler)}: expected an address such as "
            "tcp://HOST:PORT (tcp, tls, ucx, ws or wss, with a port)"
        )
    check_regular_target("--out", out)  # a FIFO would block, a device swallow the rows
    sweep_seed = scenario_args.pop("seed")
    base = build_scenario(seed=None, **scenario_args)
    grid = parse_grid(grid_items, base)
    specs = list(strategies or DEFAULT_COMPARISON)
    total = len(points(specs, grid, base))
    frame, new = sweep(
        base,
        specs,
        grid,
        out,
        jobs=jobs,
        backend=backend,
        scheduler=scheduler,
        seed=sweep_seed if sweep_seed is not None else base.seed,
        math=not timing_only,
        force=force,
        quiet=quiet,
    )
    fits = int(frame["fits"].sum()) if len(frame) else 0
    click.echo(
        f"sweep: {total} runs ({new} new, {total - new} already in {out}); "
        f"{fits} of {len(frame)} rows fit the chip; written to {out}"
    )


#: A Dask scheduler's address: protocol://host:port.
_SCHEDULER = re.compile(r"(tcp|tls|ucx|ws|wss)://[^\s/:]+(:[0-9]{1,5})")


@click.command(name="plot")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Image to write (.png, .svg, .pdf); default: FILE with .png.",
)
@click.option(
    "--slots",
    type=click.IntRange(min=1, max=MAX_TOTAL),
    help="For a trace: the chip's buffer slots, drawn as a limit (the buffer in slots).",
)
@click.option(
    "--budget-bytes",
    type=click.IntRange(min=1, max=MAX_TOTAL),
    help="For a trace: the chip's buffer bytes, drawn as a limit (the buffer in bytes).",
)
def plot_command(file: Path, out: Path | None, slots: int | None, budget_bytes: int | None) -> None:
    """Draw the figure that fits a saved trace (timeline + buffer) or sweep (latency).

    A trace's buffer is drawn in bytes when its activations differ in size (a
    real network) or --budget-bytes is given, in slots otherwise.
    """
    from ..files import read_table, regular_file
    from ..outputs import plots, sweep_plot
    from ..outputs.exports import load_trace

    if slots is not None and budget_bytes is not None:
        raise ConfigError("--slots and --budget-bytes both given: give one, the chip's limit")
    regular_file(file, "plot input", MAX_TABLE_BYTES)  # not a FIFO, a device, a huge file
    target = out or file.with_suffix(".png")
    check_output_path("--out", target, (".png", ".svg", ".pdf"))
    table = read_table(file) if file.suffix.lower() in (".csv", ".parquet") else None
    if table is not None and "run" in table.columns:
        table = table.rename(columns={"feasible": "fits"})  # sweeps before 0.2
        if "fits" not in table.columns:
            raise ConfigError(f"{file}: not a chipsim sweep or trace (a 'run' column, no 'fits')")
        if not table["fits"].any():
            raise ConfigError(f"{file}: nothing to draw: no run of the sweep fits the chip")
        figure = sweep_plot.sweep_chart(table)
    else:
        trace = load_trace(file)
        if trace.empty:
            raise ConfigError(f"{file}: nothing to draw: the trace has no ops")
        if len(trace) > MAX_FIGURE_OPS:
            raise ConfigError(
                f"{file}: the trace has {len(trace)} ops; a figure draws at most "
                f"{MAX_FIGURE_OPS} (chipsim.limits.MAX_FIGURE_OPS)"
            )
        figure = plots.trace_chart(trace, slots=slots, budget_bytes=budget_bytes, title=file.name)
    plots.save(figure, target)
    click.echo(f"figure written to {target}")


@scenario_command("report")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for report.md, the figures and the traces (made if missing).",
)
@click.option(
    "--strategy",
    default="stride:k=5",
    show_default=True,
    help="The run to trace and draw. " + STRATEGY_HELP,
)
def report_command(out: str, strategy: str, **scenario_args: Any) -> None:
    """Write a markdown report: comparison, course answers, four figures, traces."""
    if not out.strip():
        raise ConfigError("--out is empty; give the report's folder, e.g. --out report")
    if Path(out).exists() and not Path(out).is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder; give the report's folder")
    from ..planners import parse_spec, work

    scenario = build_scenario(**scenario_args)
    spec = parse_spec(strategy)
    work.check_figure(spec.name, str(spec), dict(spec.params), scenario.chain, scenario.chip)
    from ..outputs.report import write_report  # matplotlib: only once the report can be drawn

    path = write_report(scenario, out, strategy=strategy)
    click.echo(f"report written to {path}")
