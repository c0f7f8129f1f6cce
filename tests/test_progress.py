"""Progress of long library work: planners and replications report, only the CLI draws."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner

from chipsim import ChipConfig, make_plan, simulate
from chipsim import progress as progress_module
from chipsim.cli import main
from chipsim.progress import report, reporting


class Terminal(io.StringIO):
    """A text stream that says it is a terminal, so bars are drawn into it."""

    def isatty(self) -> bool:
        return True


def heard(work) -> list[tuple[str, int, int]]:
    """Every (label, done, total) the work reports."""
    calls: list[tuple[str, int, int]] = []
    token = progress_module._reporter.set(lambda *call: calls.append(call))
    try:
        work()
    finally:
        progress_module._reporter.reset(token)
    return calls


def test_report_is_a_no_op_without_a_reporter() -> None:
    report("planning", 1, 2)  # nothing installed: nothing happens, nothing raises


def test_the_optimal_planner_reports_each_chain_length() -> None:
    calls = heard(lambda: make_plan("optimal", 30, ChipConfig(buffer_slots=3)))
    assert calls == [("planning", n, 30) for n in range(1, 31)]


def test_replications_report_each_draw_after_the_run_itself() -> None:
    chip = ChipConfig(loaddisk_ns={"dist": "uniform", "low": 40, "high": 60})
    calls = heard(lambda: simulate("disk-offload", chip, math=False, replications=4))
    assert calls == [("replications", n, 4) for n in (2, 3, 4)]


@pytest.mark.parametrize(("quiet", "drawn"), [(False, True), (True, False)])
def test_a_reporter_draws_on_a_terminal_unless_quiet(quiet: bool, drawn: bool) -> None:
    terminal = Terminal()
    with reporting(quiet=quiet, stream=terminal):
        assert (progress_module._reporter.get() is not None) is drawn
        for done in range(1, 4):
            report("planning", done, 3)
    assert progress_module._reporter.get() is None  # put back as it was


def test_a_reporter_is_not_installed_when_stderr_is_not_a_terminal() -> None:
    with reporting(stream=io.StringIO()):
        assert progress_module._reporter.get() is None


def test_cli_progress_never_reaches_json_output() -> None:
    result = CliRunner().invoke(
        main, ["run", "--strategy", "optimal", "--layers", "200", "--no-math", "--json"]
    )
    assert result.exit_code == 0
    assert result.output.lstrip().startswith("{") and "planning" not in result.output
    quiet = CliRunner().invoke(main, ["run", "--quiet", "--no-math", "--json"])
    assert quiet.exit_code == 0
