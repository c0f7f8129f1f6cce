"""The memory figure: the one memory over simulated time, stacked by role, with the budget.

The hand chain is test_fit.py's (a0..a3 = 2, 8, 8, 2 bytes, one parameter a
stage, nothing saved, no workspace, SGD): full-store peaks at 38 bytes in
``bwd 3``, and holds checkpoints, activations, gradients, weights and weight
gradients at some point, but never workspace or optimizer state.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from test_fit import HAND

from chipsim import ChipConfig
from chipsim.outputs.memory_plot import memory_chart, memory_steps, role_colour
from chipsim.outputs.report import write_report
from chipsim.sim.plan_memory import use_of
from chipsim.study.run import simulate
from chipsim.study.scenario import Scenario

PRESENT = ["checkpoints", "activations", "gradients", "weights", "weight_gradients"]


def run(memory_bytes: int = 100, **chip: object):
    return simulate(
        "full-store", ChipConfig(memory_bytes=memory_bytes, **chip), network=HAND, math=False
    )


def test_each_trace_row_holds_its_ops_roles_and_only_roles_present() -> None:
    result = run()
    steps = memory_steps(result)
    assert list(steps.columns) == ["start_ns", "end_ns", *PRESENT]
    total = use_of(result.plan, result.chip, result.chain).total
    assert steps[PRESENT].sum(axis=1).tolist() == total.tolist()
    assert int(steps[PRESENT].sum(axis=1).max()) == 38
    assert steps["start_ns"].tolist() == result.trace.start_ns.tolist()


def test_a_retried_read_holds_its_bytes_on_every_attempt() -> None:
    chip = {"disk_fault_rate": 0.5, "max_retries": 50, "loaddisk_ns": 7}
    result = simulate(
        "disk-offload", ChipConfig(memory_bytes=100, **chip), network=HAND, math=False, seed=3
    )
    steps = memory_steps(result)
    assert len(steps) == len(result.trace) > len(result.plan)  # some read was retried
    retried = np.flatnonzero(result.trace.attempt > 1)
    columns = steps.columns[2:]
    assert all(steps.loc[row, columns].equals(steps.loc[row - 1, columns]) for row in retried)


def texts(figure: Figure) -> list[str]:
    return [text.get_text() for text in figure.findobj(lambda a: hasattr(a, "get_text"))]


def test_the_chart_stacks_one_band_per_role_present_under_the_labelled_budget() -> None:
    figure = memory_chart(run(), title="hand")
    (axes,) = figure.axes
    bands = [c for c in axes.collections if isinstance(c, PolyCollection)]
    assert len(bands) == len(PRESENT)
    for band in bands:  # one colour per role, in every figure
        role = band.get_label().replace(" ", "_")
        assert tuple(band.get_facecolor()[0][:3]) == pytest.approx(role_colour(role))
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend == ["backward starts", *reversed(_stacked(bands))]  # the top band first
    budget = [line for line in axes.get_lines() if line.get_linestyle() == "--"]
    assert [line.get_ydata()[0] for line in budget] == [100]  # in bytes: the peak is 38
    assert "memory_bytes 100 B" in texts(figure)
    assert "peak 38 B (for 0 ns)" in texts(figure)  # the course chip's bwd_ns is 0
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("simulated time (ns)", "memory (B)")
    assert axes.get_yscale() == "linear" and axes.get_ylim()[0] == 0


def _stacked(bands: list[PolyCollection]) -> list[str]:
    """The bands' labels, bottom first: weights never change, so they are at the bottom."""
    labels = [band.get_label() for band in bands]
    assert labels[0] == "weights" and sorted(labels) == sorted(r.replace("_", " ") for r in PRESENT)
    return labels


def test_a_budget_far_above_the_peak_draws_a_log_axis_in_human_units() -> None:
    figure = memory_chart(run(memory_bytes=10**6))
    (axes,) = figure.axes
    FigureCanvasAgg(figure).draw()
    assert axes.get_yscale() == "log"
    assert axes.get_ylabel() == "memory"  # each tick names its unit
    ticks = [label.get_text() for label in axes.get_yticklabels() if label.get_text()]
    assert "1 KiB" in ticks and "512 KiB" in ticks, ticks  # 10⁶ bytes is 976.6 KiB


@pytest.mark.parametrize("memory_bytes", [40, 10**6])
def test_no_text_falls_outside_the_canvas(memory_bytes: int) -> None:
    figure = memory_chart(run(memory_bytes=memory_bytes), title="full-store on hand")
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer, frame = canvas.get_renderer(), figure.bbox
    (axes,) = figure.axes
    # everything the axes draws: tick labels in view, axis labels, title, legend, notes
    box = axes.get_tightbbox(renderer)
    assert box.x0 >= frame.x0 and box.y0 >= frame.y0, box
    assert box.x1 <= frame.x1 and box.y1 <= frame.y1, box
    notes = [text for text in axes.texts if text.get_text()]
    assert len(notes) == 2  # the budget's and the peak's labels
    for note in notes:
        extent = note.get_window_extent(renderer)
        assert axes.bbox.x0 <= extent.x0 and extent.x1 <= axes.bbox.x1, note.get_text()
        assert axes.bbox.y0 <= extent.y0 and extent.y1 <= axes.bbox.y1, note.get_text()


def test_the_report_of_a_network_on_a_chip_with_one_memory_includes_it(tmp_path: Path) -> None:
    chip = ChipConfig(memory_bytes=10**5)
    scenario = Scenario(name="tiny", network="mlp:widths=8,16,4", chip=chip)
    write_report(scenario, tmp_path / "with", strategy="full-store")
    assert "(memory.png)" in (tmp_path / "with" / "report.md").read_text(encoding="utf-8")
    assert (tmp_path / "with" / "memory.png").stat().st_size > 0
    plain = Scenario(name="tiny", network="mlp:widths=8,16,4", chip=ChipConfig(buffer_bytes=256))
    write_report(plain, tmp_path / "without", strategy="full-store")
    assert not (tmp_path / "without" / "memory.png").exists()
