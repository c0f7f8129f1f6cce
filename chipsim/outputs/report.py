"""``chipsim report``: a self-contained markdown report of one scenario, with figures and traces."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

from ..files import write_atomically
from ..planners import DEFAULT_COMPARISON
from ..study.analysis import Outcome, compare, run_strategy
from ..study.breakeven import breakeven
from ..study.run import RunResult
from ..study.scenario import Scenario
from . import byte_plots, course_plots, memory_plot, plots
from .exports import TRACE_FORMATS, write_trace
from .tables import summary

#: The course's questions and the answers it expects (SPEC.md).
COURSE_ANSWERS: tuple[tuple[str, str], ...] = (
    ("fwd ops in one backward pass (stride 5, L = 10)", "20"),
    ("loadmem ops in one backward pass", "10"),
    ("backward latency with fwd = 20 ns, loadmem = 10 ns", "500 ns"),
    ("disk offload: loaddisk ops in one backward pass", "10"),
    ("loaddisk latency at which disk offload ties rematerialization", "50 ns"),
)
SCALING_LAYERS: tuple[int, ...] = (4, 8, 16, 32, 64, 128, 256)
FIGURES: tuple[tuple[str, str], ...] = (
    ("timeline.png", "Timeline of the traced run: one lane per port, one bar per op"),
    ("buffer.png", "Buffer occupancy of the traced run against the chip's slots"),
    ("breakeven.png", "Backward latency against loaddisk_ns, with the break-even points"),
    ("scaling.png", "Backward latency and buffer slots needed against the number of layers"),
)
NETWORK_FIGURES: tuple[tuple[str, str], ...] = (
    FIGURES[0],
    ("buffer.png", "Buffer bytes in use over the traced run, against the chip's byte budget"),
    ("budget.png", "Backward latency against the buffer budget in bytes, one curve per strategy"),
)


def write_report(
    scenario: Scenario, out: str | os.PathLike[str], *, strategy: str = "stride:k=5"
) -> Path:
    """Write report.md, its figures (four for the course MLP, three for a named network)
    and the traced run in every format into ``out``.

    Everything is simulated before the folder is made, and a folder this call
    made is removed again if writing fails: a failed report leaves nothing.
    """
    folder = Path(out)
    outcomes = compare(scenario, list(DEFAULT_COMPARISON))
    traced = run_strategy(scenario, strategy)
    made = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return _write(scenario, folder, outcomes, traced)
    except BaseException:
        if made:
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _write(scenario: Scenario, folder: Path, outcomes: list[Outcome], traced: RunResult) -> Path:
    frame = traced.frame
    title = f"{traced.strategy} on {scenario.name}"
    plots.save(plots.timeline(frame, title=title), folder / "timeline.png")
    draw = _network_figures if scenario.network is not None else _course_figures
    figures = draw(scenario, frame, title, folder)
    if scenario.network is not None:  # a named network on a chip with one memory
        figures += memory_plot.report_figures(traced, folder, title)
    for suffix in TRACE_FORMATS:
        write_trace(frame, folder / f"trace{suffix}", title=title)
    text = _markdown(scenario, outcomes, traced.strategy, figures)
    path = folder / "report.md"
    write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


def _course_figures(
    scenario: Scenario, frame: pd.DataFrame, title: str, folder: Path
) -> tuple[tuple[str, str], ...]:
    """The course MLP's figures after the timeline: slots, break-even, scaling in L."""
    slots = scenario.chip.buffer_slots
    plots.save(plots.buffer_chart(frame, slots=slots, title=title), folder / "buffer.png")
    plots.save(course_plots.breakeven_chart(scenario, DEFAULT_COMPARISON), folder / "breakeven.png")
    scaling = course_plots.scaling_chart(scenario, DEFAULT_COMPARISON, SCALING_LAYERS)
    plots.save(scaling, folder / "scaling.png")
    return FIGURES


def _network_figures(
    scenario: Scenario, frame: pd.DataFrame, title: str, folder: Path
) -> tuple[tuple[str, str], ...]:
    """A named network's figures after the timeline: buffer bytes, latency against budget.

    The break-even and scaling-in-L figures are about the course's MLP, so a
    network scenario shows memory in bytes instead. On a chip with one memory the
    memory figure (``memory_plot``) shows what the buffer's would, and more.
    """
    if scenario.chip.memory_bytes is not None:
        return (FIGURES[0],)  # the timeline; memory.png follows
    budget = scenario.chip.buffer_capacity_bytes(scenario.chain)
    chart = byte_plots.buffer_bytes_chart(frame, budget_bytes=budget, title=title)
    plots.save(chart, folder / "buffer.png")
    plots.save(byte_plots.budget_chart(scenario, DEFAULT_COMPARISON), folder / "budget.png")
    return NETWORK_FIGURES


def course_answers(scenario: Scenario) -> list[tuple[str, str, str]]:
    """(question, the course's answer, what chipsim simulates) for the course chip."""
    stride = run_strategy(scenario, "stride:k=5", math=False).backward
    disk = run_strategy(scenario, "disk-offload", math=False).backward
    tie = breakeven(scenario, "loaddisk_ns", "disk-offload", "stride:k=5", math=False)
    simulated = (
        str(stride.ops["fwd"]),
        str(stride.ops["loadmem"]),
        f"{stride.latency_ns} ns",
        str(disk.ops["loaddisk"]),
        f"{float(tie.value):g} ns",
    )
    return [(q, a, s) for (q, a), s in zip(COURSE_ANSWERS, simulated, strict=True)]


def markdown_table(frame: pd.DataFrame) -> str:
    """A DataFrame as a GitHub markdown table (index included when it is named)."""
    if frame.index.name:
        frame = frame.reset_index()
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    rows = ["| " + " | ".join(map(_cell, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def _cell(value: object) -> str:
    """A table cell: floats to six significant figures (jittered means are long)."""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _title(scenario: Scenario) -> tuple[str, str]:
    """(name, description): a course scenario with a changed chip or size is not the course."""
    if scenario.name != "course" or scenario.is_course:
        return scenario.name, scenario.description
    return "course, modified", "The course scenario with the network and chip below."


def _breakeven_caption(scenario: Scenario) -> str:
    """The break-even figure's caption: points are solved only on a serial, fixed chip."""
    chip = scenario.chip
    if chip.mode == "serial" and not chip.is_random:
        return FIGURES[2][1]
    return (
        "Serial backward latency against loaddisk_ns at the expected latencies (break-even "
        "points are solved only for a serial chip with fixed latencies, so none are marked)"
    )


def _markdown(
    scenario: Scenario,
    outcomes: list[Outcome],
    traced: str,
    figures: tuple[tuple[str, str], ...] = FIGURES,
) -> str:
    network, chip_line = scenario.describe().split("\n")
    name, description = _title(scenario)
    lines = [
        f"# chipsim report: {name}",
        "",
        description,
        "",
        f"{network.split(': ', 1)[1]}; {chip_line}.",
        "",
        "## Strategies side by side",
        "",
        markdown_table(summary(outcomes, scenario)),
        "",
    ]
    lines += [f"- {outcome.refusal}" for outcome in outcomes if outcome.refusal is not None]
    if scenario.is_course:
        answers = course_answers(scenario)
        table = pd.DataFrame(answers, columns=["question", "course answer", "chipsim"])
        table["match"] = ["yes" if a == s else "NO" for _, a, s in answers]
        lines += ["", "## The course's questions", "", markdown_table(table)]
    lines += ["", "## Figures", ""]
    for file, caption in figures:
        if file == "breakeven.png":
            caption = _breakeven_caption(scenario)
        lines += [f"**{caption}.**", "", f"![{caption}]({file})", ""]
    links = ", ".join(f"[trace{suffix}](trace{suffix})" for suffix in TRACE_FORMATS)
    lines += [
        "## Traces",
        "",
        f"The traced run is {traced}: {links}. Open the .json in https://ui.perfetto.dev or "
        "chrome://tracing; read any of them back with `chipsim.outputs.exports.load_trace`.",
        "",
    ]
    return "\n".join(lines)
