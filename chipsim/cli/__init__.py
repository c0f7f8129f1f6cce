"""The ``chipsim`` command line: run, plan, compare and break-even over scenarios.

Errors a user can cause print one line on stderr and exit with the error's
status (2 bad input, 3 does not fit / no break-even, 4 a disk read failed
past its retries, 1 a failed run).

The group lives here; the commands live in modules by the work they do:
``run`` (run, plan), ``compare`` (compare, pareto, breakeven), ``fit``,
``outputs`` (sweep, plot, report), ``networks``; ``options`` holds what they share and
``text`` what they print.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, NoReturn

import click

from ..errors import ChipsimError
from . import compare, fit, networks, outputs, presets, run

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
        except KeyboardInterrupt:
            click.echo("chipsim: interrupted", err=True)
            raise click.exceptions.Exit(130) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:  # a command's options, or an unknown command
            _usage_error(error)
        except ChipsimError as error:
            _error_line(str(error))
            ctx.exit(error.exit_code)
        except BrokenPipeError:  # e.g. `chipsim compare | head`: the reader left, stop quietly
            sys.stdout = open(os.devnull, "w")  # so the exit flush cannot fail again
            ctx.exit(1)
        except OSError as error:  # a file that could not be read or written: bad input
            where = f"{error.filename}: " if error.filename else ""
            _error_line(f"{where}{error.strerror or error}")
            ctx.exit(2)
        except (MemoryError, RecursionError) as error:  # past what chipsim.limits foresaw
            _error_line(_EXHAUSTED[type(error)])
            ctx.exit(2)
        except KeyboardInterrupt:  # Ctrl-C: one line and 130, as a shell reports SIGINT
            click.echo("chipsim: interrupted", err=True)
            ctx.exit(130)


def _error_line(message: str) -> None:
    """Print ``chipsim: error: MESSAGE`` as one line: a newline or other control
    character inside it (from a file name, a value) is shown escaped, and a
    number of over 40 digits by its first digits and its length."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    shown = _DIGITS.sub(lambda m: f"{m[0][:8]}…({len(m[0])} digits)", shown)
    click.echo(f"chipsim: error: {shown}", err=True)


#: What running out of memory or stack says: still one line, never a traceback.
_EXHAUSTED = {
    MemoryError: "out of memory; try a smaller network, fewer layers, --no-math or "
    "fewer strategies",
    RecursionError: "an input is nested too deeply to read",
}

#: A run of digits too long to read in a message (a 5000-digit value echoed back).
_DIGITS = re.compile(r"[0-9]{41,}")


def _usage_error(error: click.UsageError) -> NoReturn:
    """Click's usage error as one line (click prints four), exit status 2."""
    command = error.ctx.command_path if error.ctx is not None else "chipsim"
    message = " ".join(error.format_message().split()).rstrip(".")  # choices come one a line
    _error_line(f"{message}; see '{command} --help'")
    raise click.exceptions.Exit(error.exit_code)


@click.group(cls=_Group)
@click.version_option(package_name="chipsim")
def main() -> None:
    """Simulate recompute, keep or page strategies for training on a memory-starved chip."""


# Registered, not decorated, so that a command module needs no import of this one.
for _command in (
    run.run,
    run.plan_command,
    compare.compare_command,
    compare.pareto_command,
    compare.breakeven_command,
    fit.fit_command,
    outputs.sweep_command,
    outputs.plot_command,
    outputs.report_command,
    networks.networks_command,
    presets.scenarios_command,
):
    main.add_command(_command)
