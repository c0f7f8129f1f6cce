"""What the commands share: the scenario argument and its overrides, the
replication, timing-only and progress options, and checks of output paths."""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import ConfigError
from ..files import setting_value
from ..limits import DEFAULT_PLAN_TIMEOUT_S, MAX_PLAN_TIMEOUT_S, text_shown
from ..planners import DEFAULT_COMPARISON, STRATEGIES, deadline, describe
from ..progress import reporting
from ..study.guards import check_priced_by_size
from ..study.presets import find_scenario, rate_warning
from ..study.scenario import Scenario

STRATEGY_HELP = "Strategy spec: " + ", ".join(describe(name) for name in STRATEGIES) + "."


def scenario_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The scenario argument and the options that override it, shared by every command."""
    options = [
        click.argument("scenario", required=False, metavar="[SCENARIO]"),
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
        click.option(
            "--fixed-latencies",
            is_flag=True,
            help="Allow a chip without compute or memory rates on a network whose stages "
            "differ: every op then costs its fixed latency, whatever its size.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return _with_plan_timeout(command)


def _with_plan_timeout(command: Callable[..., Any]) -> Callable[..., Any]:
    """A ``--plan-timeout`` option: how long a third-party strategy may plan."""

    @functools.wraps(command)
    def wrapped(*args: Any, plan_timeout: float, **kwargs: Any) -> Any:
        with deadline.limit(plan_timeout):
            return command(*args, **kwargs)

    option = click.option(
        "--plan-timeout",
        type=click.FloatRange(min=0, min_open=True, max=MAX_PLAN_TIMEOUT_S),
        default=DEFAULT_PLAN_TIMEOUT_S,
        show_default=True,
        metavar="SECONDS",
        help="Stop a third-party strategy (a plugin) that plans longer than this.",
    )
    return option(wrapped)


strategies_option = click.option(
    "--strategy",
    "strategies",
    multiple=True,
    help=f"{STRATEGY_HELP} Repeatable; default: {', '.join(DEFAULT_COMPARISON)}.",
)

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


def scenario_command(name: str) -> Callable[[Callable[..., Any]], click.Command]:
    """A command that runs a scenario: named ``name``, with the scenario argument and its
    overrides (``scenario_options``) and ``--quiet`` (``with_progress``)."""

    def decorate(command: Callable[..., Any]) -> click.Command:
        return click.command(name=name)(with_progress(scenario_options(command)))

    return decorate


timing_only_option = click.option(
    "--no-math",
    "timing_only",
    is_flag=True,
    help="Simulate timing only: no numpy math or gradient check; same trace and counts.",
)


def build_scenario(
    scenario: str | None,
    layers: int | None,
    width: int | None,
    seed: int | None,
    assignments: tuple[str, ...],
    network: str | None = None,
    fixed_latencies: bool = False,
) -> Scenario:
    """The scenario file or preset (or the built-in course) with the command-line
    overrides applied; refused when its chip cannot price its network's stages
    (``guards``), and with a warning on stderr when a preset's rate was derived
    for another network (``presets.rate_warning``)."""
    if network is not None and not network.strip():
        raise ConfigError("--network is empty; give a network spec or a stage-table path")
    base = find_scenario(scenario) if scenario is not None else Scenario()
    changes = parse_assignments(assignments)
    try:
        base = base.with_overrides(chip=changes)
    except ConfigError as error:
        raise ConfigError(f"--set: {error}") from None
    chosen = base.with_overrides(layers=layers, width=width, seed=seed, network=network)
    if not fixed_latencies:
        check_priced_by_size(chosen)
    warning = rate_warning(chosen)
    if warning is not None:
        click.echo(f"chipsim: warning: {warning}", err=True)
    return chosen


def check_output_path(option: str, path: Path, formats: tuple[str, ...]) -> None:
    """Refuse, before any work, an output file of the wrong kind or in a missing folder."""
    if path.suffix.lower() not in formats:
        raise ConfigError(
            f"{option} {path}: unsupported format {path.suffix!r}; valid: {', '.join(formats)}"
        )
    folder = path.parent
    if not folder.is_dir():
        raise ConfigError(f"{option} {path}: the folder {folder} does not exist")
    check_regular_target(option, path)


def check_regular_target(option: str, path: Path) -> None:
    """Refuse to write over anything but a regular file: a FIFO, a device, or a symlink to
    one (``/dev/full``) would be replaced by the atomic rename, or block."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return  # nothing there yet (or a dangling link): the write makes a new file
    except OSError as error:
        raise ConfigError(f"{option} {path}: {error.strerror}") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "a device"
        raise ConfigError(f"{option} {path}: is {kind}, not a regular file; give a file name")


def parse_assignments(assignments: tuple[str, ...]) -> dict[str, Any]:
    """``("loaddisk_ns=50", "mode=overlapped")`` → ``{"loaddisk_ns": 50, "mode": "overlapped"}``.

    A value is read as a TOML value (50, 0.2, 40e9, "text", {dist = "lognormal", ...});
    anything else is taken as plain text, so ``mode=overlapped`` needs no
    quotes (``files.setting_value``). The chip then says whether the value suits the field.
    """
    values: dict[str, Any] = {}
    for text in assignments:
        key, eq, raw = text.partition("=")
        if not eq or not key.strip():
            raise ConfigError(
                f"--set {text_shown(text)}: expected KEY=VALUE, e.g. --set loaddisk_ns=50"
            )
        shown = text if len(text) <= 80 and text.isprintable() else text_shown(text, 80)
        values[key.strip()] = setting_value(raw, f"--set {shown}")
    return values
