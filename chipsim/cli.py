"""The ``chipsim`` command line: run, plan, compare and break-even over scenarios.

Errors a user can cause print one line on stderr and exit with the error's
status (2 bad input, 3 does not fit / no break-even, 4 a disk read failed
past its retries, 1 a failed run).
"""

from __future__ import annotations

import functools
import os
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from . import jsonout
from .analysis import RANKINGS, BreakEven, Outcome, breakeven, compare, rank, run_strategy
from .chip import LATENCY_FIELDS
from .costs import Costs
from .engine import execute
from .errors import ChipsimError, ConfigError, DiskReadError, DoesNotFit
from .networks import build_network, describe_networks
from .ops import OP_KINDS
from .pareto import front_table, pareto
from .plan import PHASES
from .progress import reporting
from .run import RunResult
from .scenario import Scenario, load_scenario
from .strategies import DEFAULT_COMPARISON, STRATEGIES, describe, make_plan

STRATEGY_HELP = "Strategy spec: " + ", ".join(describe(name) for name in STRATEGIES) + "."


_NoArgsIsHelp = getattr(click.exceptions, "NoArgsIsHelpError", ())  # click >= 8.2


class _Group(click.Group):
    """Turns chipsim errors into one line on stderr and the error's exit status."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except _NoArgsIsHelp:  # bare `chipsim`: click prints the help, as it should
            raise
        except click.UsageError as error:  # `chipsim --bogus`: the group's own options
            _usage_error(error)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:  # a command's options, or an unknown command
            _usage_error(error)
        except ChipsimError as error:
            click.echo(f"chipsim: error: {error}", err=True)
            ctx.exit(error.exit_code)
        except BrokenPipeError:  # e.g. `chipsim compare | head`: the reader left, stop quietly
            sys.stdout = open(os.devnull, "w")  # so the exit flush cannot fail again
            ctx.exit(1)
        except OSError as error:  # a file that could not be read or written: bad input
            where = f"{error.filename}: " if error.filename else ""
            click.echo(f"chipsim: error: {where}{error.strerror or error}", err=True)
            ctx.exit(2)


def _usage_error(error: click.UsageError) -> NoReturn:
    """Click's usage error as one line (click prints four), exit status 2."""
    command = error.ctx.command_path if error.ctx is not None else "chipsim"
    message = error.format_message().rstrip(".")
    click.echo(f"chipsim: error: {message}; see '{command} --help'", err=True)
    raise click.exceptions.Exit(error.exit_code)


@click.group(cls=_Group)
@click.version_option(package_name="chipsim")
def main() -> None:
    """Simulate recompute, keep or page strategies for training on a memory-starved chip."""


def scenario_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The scenario argument and the options that override it, shared by every command."""
    options = [
        click.argument("scenario", required=False, type=click.Path(path_type=Path)),
        click.option(
            "--network",
            metavar="SPEC",
            help="The network: a spec such as mlp:widths=784,512,10 or resnet18:batch=8, or a "
            "stage-table .csv/.toml (default: the scenario's; `chipsim networks` lists them).",
        ),
        click.option("--layers", type=int, help="Number of layers L (default: the scenario's)."),
        click.option("--width", type=int, help="Layer width s (default: the scenario's)."),
        click.option(
            "--seed", type=int, help="Seed of weights and input (default: the scenario's)."
        ),
        click.option(
            "--set",
            "assignments",
            multiple=True,
            metavar="KEY=VALUE",
            help="Set a chip field, e.g. --set loaddisk_ns=50, --set mode=overlapped or "
            "--set 'loaddisk_ns={dist=\"lognormal\", median=50, sigma=0.5}' (repeatable).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


replications_option = click.option(
    "--replications",
    type=click.IntRange(min=1),
    help="Also run N seeded draws of the timing (jitter, faults; derived from --seed) "
    "and report the backward latency's distribution.",
)


def with_progress(command: Callable[..., Any]) -> Callable[..., Any]:
    """A ``--quiet`` option, and progress bars on stderr (a terminal only) for the long
    steps the command runs: planning, replications (``chipsim.progress``)."""

    @functools.wraps(command)
    def wrapped(*args: Any, quiet: bool, **kwargs: Any) -> Any:
        with reporting(quiet=quiet):
            return command(*args, **kwargs)

    option = click.option(
        "--quiet", is_flag=True, help="No progress bars (they are drawn only on a terminal)."
    )
    return option(wrapped)


timing_only_option = click.option(
    "--no-math",
    "timing_only",
    is_flag=True,
    help="Simulate timing only: no numpy math or gradient check; same trace and counts.",
)


def build_scenario(
    scenario: Path | None,
    layers: int | None,
    width: int | None,
    seed: int | None,
    assignments: tuple[str, ...],
    network: str | None = None,
) -> Scenario:
    """The scenario file (or the built-in course) with the command-line overrides applied."""
    base = load_scenario(scenario) if scenario is not None else Scenario()
    changes = parse_assignments(assignments)
    try:
        base = base.with_overrides(chip=changes)
    except ConfigError as error:
        raise ConfigError(f"--set: {error}") from None
    return base.with_overrides(layers=layers, width=width, seed=seed, network=network)


def check_output_path(option: str, path: Path, formats: tuple[str, ...]) -> None:
    """Refuse, before any work, an output file of the wrong kind or in a missing folder."""
    if path.suffix.lower() not in formats:
        raise ConfigError(
            f"{option} {path}: unsupported format {path.suffix!r}; valid: {', '.join(formats)}"
        )
    folder = path.parent
    if not folder.is_dir():
        raise ConfigError(f"{option} {path}: the folder {folder} does not exist")


def parse_assignments(assignments: tuple[str, ...]) -> dict[str, Any]:
    """``("loaddisk_ns=50", "mode=overlapped")`` → ``{"loaddisk_ns": 50, "mode": "overlapped"}``.

    A value is read as a TOML value (50, 0.2, "text", {dist = "lognormal", ...});
    anything else is taken as plain text, so ``mode=overlapped`` needs no
    quotes. The chip then says whether the value suits the field.
    """
    values: dict[str, Any] = {}
    for text in assignments:
        key, eq, raw = text.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"--set {text!r}: expected KEY=VALUE, e.g. --set loaddisk_ns=50")
        try:
            value = tomllib.loads(f"value = {raw}")["value"]
        except tomllib.TOMLDecodeError as error:
            if raw.strip().startswith("{"):
                raise ConfigError(f"--set {text}: not a valid TOML table ({error})") from None
            value = raw.strip()
        values[key.strip()] = value
    return values


@main.command()
@with_progress
@scenario_options
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
        from .exports import TRACE_FORMATS, write_trace  # pandas: only when a trace is written

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
    click.echo(_phase_table(result))
    chain = result.chain
    if result.math:
        gradients = f"bitwise equal to plain backprop (max |diff| = {result.max_abs_grad_diff})"
    elif chain.has_math:
        gradients = "not computed (--no-math: timing only)"
    else:
        gradients = f"not computed ({chain.name} is timing only: it has no numpy math)"
    if scenario.chip.buffer_slots is not None:
        click.echo(
            f"\npeak buffer slots: {result.peak_buffer_slots} of {scenario.chip.buffer_slots}"
        )
    else:
        click.echo("")
    click.echo(
        f"peak buffer bytes: {result.peak_buffer_bytes} of {result.buffer_bytes}; "
        f"registers' working memory: {chain.working_bytes} bytes"
        f"\ngradients: {gradients}"
    )
    retries = int((result.trace.attempt > 1).sum())
    if retries:
        click.echo(f"disk read retries: {retries}")
    spread = result.replications
    if spread is not None:
        shown = ", ".join(f"{name} {value:.6g}" for name, value in spread.summary().items())
        failed = f" ({spread.failed} failed a disk read, not counted)" if spread.failed else ""
        click.echo(f"backward latency over {spread.n} replications{failed} (ns): {shown}")
    if trace_path is not None:
        click.echo(f"trace: {len(result.trace)} rows written to {trace_path}")


@main.command(name="plan")
@with_progress
@scenario_options
@click.option("--strategy", default="stride:k=5", show_default=True, help=STRATEGY_HELP)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print a list of {"phase", "op", "layer"} (and "prefetch": true on prefetching loads).',
)
def plan_command(strategy: str, as_json: bool, **scenario_args: Any) -> None:
    """Print a plan op by op, with its slot use and predicted latency; runs nothing.

    A plan that does not fit the chip is still printed, with the slots it
    needs (exit status 0: it is a plan, not a run).
    """
    scenario = build_scenario(**scenario_args)
    chip, chain = scenario.chip, scenario.chain
    plan = make_plan(strategy, chain, chip)
    if as_json:
        ops = [
            {
                "phase": phase,
                "op": op.kind,
                "layer": op.layer,
                **({"prefetch": True} if op.prefetch else {}),
            }
            for phase, op in plan.ops()
        ]
        click.echo("[\n" + ",\n".join(jsonout.dumps(op) for op in ops) + "\n]")
        return
    click.echo(str(plan))
    expected = ", expected latencies" if scenario.chip.is_random else ""
    costs = Costs(chip, chain)
    latencies = ", ".join(f"{phase} {_ns(plan.latency_ns(costs, phase))}" for phase in PHASES)
    click.echo(f"predicted latency (serial{expected}): {latencies}")
    try:
        plan.check_fits(chip, chain)
    except DoesNotFit as refusal:
        click.echo(f"does not fit: {refusal}")
        return
    if chip.mode == "overlapped":
        trace = execute(plan, chip.replace({"disk_fault_rate": 0}), chain).trace
        latencies = ", ".join(f"{phase} {_ns(trace.latency_ns(phase))}" for phase in PHASES)
        click.echo(f"predicted latency (overlapped{expected}, no faults): {latencies}")
    staging = plan.staging_slots_needed
    room = (
        f"{plan.buffer_slots_needed} of {chip.buffer_slots} buffer slots"
        if chip.buffer_slots is not None
        else f"{plan.buffer_bytes_needed(chain)} of {chip.buffer_bytes} buffer bytes"
    )
    click.echo(
        f"fits the chip: {room}"
        + (f", {staging} of {chip.staging_slots} staging slots" if staging else "")
    )


@main.command(name="compare")
@with_progress
@scenario_options
@click.option(
    "--strategy",
    "strategies",
    multiple=True,
    help=f"{STRATEGY_HELP} Repeatable; default: {', '.join(DEFAULT_COMPARISON)}.",
)
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
    click.echo(_comparison_table(outcomes, scenario))
    refusals = [str(outcome.refusal) for outcome in outcomes if outcome.refusal is not None]
    if refusals:
        click.echo("\n" + "\n".join(refusals))


@main.command(name="pareto")
@with_progress
@scenario_options
@click.option(
    "--budgets",
    metavar="B,B,...",
    help="Buffer budgets in bytes to sweep (default: 0 to 8 of the largest activation).",
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
    points = pareto(
        scenario,
        budgets=None if budgets is None else _numbers("--budgets", budgets, int),
        weights=None if weights is None else _numbers("--weights", weights, float),
    )
    if plot_path is not None:
        from .pareto_plot import pareto_chart  # matplotlib only when a figure is asked for
        from .plots import save

        save(pareto_chart(points, title=scenario.name), plot_path)
    if as_json:
        click.echo(jsonout.dumps({"points": [point.as_dict() for point in points]}, indent=2))
        return
    click.echo(f"{scenario.describe()}\n")
    click.echo(front_table(points))
    if plot_path is not None:
        click.echo(f"\nfigure: {plot_path}")


def _numbers(option: str, text: str, kind: type) -> list[Any]:
    """``"0,64,128"`` → [0, 64, 128] (``kind`` int or float, each >= 0)."""
    try:
        values = [kind(part) for part in text.split(",")]
    except ValueError:
        noun = "whole numbers" if kind is int else "numbers"
        raise ConfigError(
            f"{option} must be {noun} >= 0 separated by commas, got {text!r}"
        ) from None
    if any(not value >= 0 or value == float("inf") for value in values):
        raise ConfigError(f"{option} must be finite numbers >= 0, got {text!r}")
    return values


@main.command(name="breakeven")
@with_progress
@scenario_options
@click.option(
    "--param",
    required=True,
    type=click.Choice(LATENCY_FIELDS),
    help="The latency to solve for.",
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
    click.echo(_describe_breakeven(point))


@main.command(name="sweep")
@scenario_options
@click.option(
    "--strategy",
    "strategies",
    multiple=True,
    help=f"{STRATEGY_HELP} Repeatable; default: {', '.join(DEFAULT_COMPARISON)}.",
)
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
    file is resumed only by the same sweep (scenario, chip, network, seed,
    math, chipsim version); another grid or strategy set extends it.
    """
    from .sweep import parse_grid, points, sweep

    if scheduler is not None and backend != "dask":
        raise ConfigError("--scheduler goes with --backend dask")
    sweep_seed = scenario_args.pop("seed")
    base = build_scenario(seed=None, **scenario_args)
    grid = parse_grid(grid_items, base)
    specs = list(strategies or DEFAULT_COMPARISON)
    total = len(points(specs, grid))
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


@main.command(name="plot")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Image to write (.png, .svg, .pdf); default: FILE with .png.",
)
@click.option(
    "--slots",
    type=click.IntRange(min=1),
    help="For a trace: the chip's buffer slots, drawn as a limit.",
)
def plot_command(file: Path, out: Path | None, slots: int | None) -> None:
    """Draw the figure that fits a saved trace (timeline + buffer) or sweep (latency)."""
    from . import plots
    from .exports import load_trace, read_table

    target = out or file.with_suffix(".png")
    check_output_path("--out", target, (".png", ".svg", ".pdf"))
    table = read_table(file) if file.suffix.lower() in (".csv", ".parquet") else None
    if table is not None and "run" in table.columns:
        table = table.rename(columns={"feasible": "fits"})  # sweeps before 0.2
        if "fits" not in table.columns:
            raise ConfigError(f"{file}: not a chipsim sweep or trace (a 'run' column, no 'fits')")
        if not table["fits"].any():
            raise ConfigError(f"{file}: nothing to draw: no run of the sweep fits the chip")
        figure = plots.sweep_chart(table)
    else:
        trace = load_trace(file)
        if trace.empty:
            raise ConfigError(f"{file}: nothing to draw: the trace has no ops")
        figure = plots.trace_chart(trace, slots=slots, title=file.name)
    plots.save(figure, target)
    click.echo(f"figure written to {target}")


@main.command(name="report")
@with_progress
@scenario_options
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for report.md, the figures and the traces (made if missing).",
)
@click.option(
    "--strategy",
    default="stride:k=5",
    show_default=True,
    help="The run to trace and draw. " + STRATEGY_HELP,
)
def report_command(out: Path, strategy: str, **scenario_args: Any) -> None:
    """Write a markdown report: comparison, course answers, four figures, traces."""
    from .report import write_report

    scenario = build_scenario(**scenario_args)
    path = write_report(scenario, out, strategy=strategy)
    click.echo(f"report written to {path}")


@main.group(name="networks", invoke_without_command=True)
@click.pass_context
def networks_command(ctx: click.Context) -> None:
    """List the networks a --network spec can name (then `networks show SPEC`)."""
    if ctx.invoked_subcommand is None:
        click.echo("\n".join(describe_networks()))


@networks_command.command(name="show")
@click.argument("spec")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def networks_show(spec: str, as_json: bool) -> None:
    """Print a network's stage table: output shape, elements, bytes, MACs, parameters."""
    chain = build_network(spec)
    if as_json:
        click.echo(jsonout.dumps(chain.as_dict(), indent=2))
        return
    rows = [
        {**stage, "output_shape": "x".join(map(str, stage["output_shape"]))}
        for stage in chain.as_dict()["stages"]
    ]
    import pandas as pd  # tables only: --json and the other commands start without it

    frame = pd.DataFrame(rows).set_index("name")
    totals = ", ".join(f"{key} {value:,}" for key, value in chain.totals().items())
    math = "numpy math" if chain.has_math else "timing only"
    click.echo(
        f"{chain.name}: L={chain.layers}, input {'x'.join(map(str, chain.input_shape))}, "
        f"{chain.dtype_bytes}-byte values, {math}"
    )
    click.echo(_strip_lines(frame.to_string()))
    click.echo(f"totals: {totals}")


# Text formatting.


def _ns(value: int | float) -> str:
    """A latency for people: whole ns exactly, others to six significant figures."""
    return f"{value} ns" if isinstance(value, int) else f"{value:.6g} ns"


def _phase_table(result: RunResult) -> str:
    import pandas as pd  # the text table only: `run --json` starts without pandas

    rows = {
        name: {"latency_ns": result.phase(name).latency_ns, **result.phase(name).ops}
        for name in PHASES
    }
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["latency_ns", *OP_KINDS])
    return _strip_lines(frame.rename_axis("phase").to_string())


def _comparison_table(outcomes: list[Outcome], scenario: Scenario) -> str:
    from .tables import summary  # pandas: only for the text table

    return _strip_lines(summary(outcomes, scenario).to_string())


def _strip_lines(text: str) -> str:
    """pandas pads the index-name line with spaces; drop trailing blanks."""
    return "\n".join(line.rstrip() for line in text.splitlines())


def _outcome_dict(outcome: Outcome) -> dict[str, Any]:
    if outcome.result is not None:
        return {
            "fits": True,
            **outcome.result.to_dict(),
            "gap_to_optimal_pct": outcome.gap_to_optimal_pct,
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
        "reason": str(refusal),
    }


def _describe_breakeven(point: BreakEven) -> str:
    value = point.value
    shown = f"{value}" if value.denominator == 1 else f"{float(value):g} ({value})"
    return (
        f"{point.strategy} ties {point.against} at {point.param} = {shown} ns: "
        f"{point.phase} latency {point.latency_ns} ns each (confirmed by simulation)"
    )
