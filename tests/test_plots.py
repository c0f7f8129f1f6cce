"""Figures render from small runs, and read right: units on the axes, log scales where
values span decades, every curve and op kind drawn, labelled limits, text inside."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from figure_checks import assert_inside_canvas, legend_texts
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.image import imread

from chipsim import Scenario, simulate
from chipsim.model.ops import OP_KINDS
from chipsim.outputs.axis_units import human, is_wide, unit_for
from chipsim.outputs.course_plots import breakeven_chart, scaling_chart
from chipsim.outputs.occupancy import INSTANT_LABEL, split_instants
from chipsim.outputs.plots import (
    DPI,
    OP_COLOURS,
    buffer_chart,
    in_bytes,
    save,
    timeline,
    trace_chart,
)
from chipsim.study.scenario import load_scenario

STRATEGIES = ["full-store", "stride:k=5", "sqrt-n", "disk-offload", "revolve", "optimal"]
WORKED = Scenario(network="mlp:widths=8,4,6,2,5").with_overrides(chip={"buffer_bytes": 100})


@pytest.mark.parametrize(
    ("name", "make", "inches"),
    [
        ("timeline", lambda: timeline(simulate("optimal").frame, title="optimal"), (11, 3.2)),
        ("buffer", lambda: buffer_chart(simulate("optimal").frame, slots=2), (8, 3.2)),
        (
            "breakeven",
            lambda: breakeven_chart(Scenario(), ["stride:k=5", "disk-offload", "optimal"]),
            (8, 4.5),
        ),
        (
            "scaling",
            lambda: scaling_chart(Scenario(), ["stride:k=5", "disk-offload"], [4, 8, 16]),
            (12, 4.5),
        ),
    ],
)
def test_each_figure_renders_to_a_png_of_its_size(tmp_path: Path, name, make, inches) -> None:
    path = tmp_path / f"{name}.png"
    figure = make()
    assert_inside_canvas(figure)
    save(figure, path)
    image = imread(path)
    assert image.shape[:2] == (round(inches[1] * DPI), round(inches[0] * DPI))
    assert image.std() > 0.01  # something was drawn, not a blank canvas
    assert [p.name for p in tmp_path.iterdir()] == [f"{name}.png"]  # no temporary left over


def test_figures_do_not_touch_pyplot() -> None:
    import sys

    timeline(simulate("stride:k=5").frame)
    assert "matplotlib.pyplot" not in sys.modules


# Units


@pytest.mark.parametrize(
    ("value", "quantity", "text"),
    [
        (0, "time", "0 ns"),
        (999, "time", "999 ns"),
        (1500, "time", "1.5 µs"),
        (145_546_975, "time", "145.5 ms"),
        (34_866_969_235, "time", "34.87 s"),
        (81_920, "bytes", "80 KiB"),
        (164_224, "bytes", "160.4 KiB"),
        (3 * 2**20, "bytes", "3 MiB"),
        (510_564_006, "energy", "510.6 mJ"),
        (1.66e9, "energy", "1.66 J"),
    ],
)
def test_human_units(value: float, quantity, text: str) -> None:
    assert human(value, quantity) == text


def test_unit_for_and_wide_spans() -> None:
    assert unit_for(1023, "bytes") == ("B", 1.0)
    assert unit_for(1024, "bytes") == ("KiB", 1024.0)
    assert is_wide([40, 1201]) and not is_wide([40, 1200])  # 30x is not "more than 30x"
    assert not is_wide([0, np.nan, 5])  # zeros and NaN are not on a log axis


# The trace figures


def test_split_instants_by_hand() -> None:
    # stride:k=5 on the course chip: a10 is stored at 210 ns and freed at once (2 slots for 0 ns).
    steady, instants = split_instants([0, 110, 210, 210, 210, 460], [0, 1, 2, 2, 1, 0])
    assert steady.to_dict() == {0: 0, 110: 1, 210: 1, 460: 0}
    assert instants.to_dict() == {210: 2}
    _, none = split_instants([0, 10, 10], [0, 1, 2])  # rises in two steps and stays: no instant
    assert none.empty


def test_stacked_levels_and_a_labelled_limit_by_hand() -> None:
    from matplotlib.figure import Figure

    from chipsim.outputs.axis_units import unit_axis
    from chipsim.outputs.occupancy import draw_limit, draw_stacked_levels

    axes = Figure().subplots()
    roles = {"checkpoints": [0, 2048, 1024], "weights": [4096, 4096, 4096]}
    top = draw_stacked_levels(axes, [0, 10, 20], roles, end_ns=30)
    draw_limit(axes, 8192, "memory 8 KiB")
    unit_axis(axes, "y", "bytes", "memory in use")
    assert top == 6144  # 2048 + 4096 at 10 ns
    assert len(axes.collections) == 2
    assert [t.get_text() for t in axes.texts] == ["memory 8 KiB"]
    assert axes.get_ylabel() == "memory in use (KiB)"


def test_the_buffer_chart_marks_a_zero_ns_store_and_free_instead_of_a_spike() -> None:
    figure = buffer_chart(simulate("stride:k=5").frame, slots=2, title="stride:k=5")
    (axes,) = figure.axes
    step = axes.lines[0]
    (marker,) = [line for line in axes.lines if line.get_label() == INSTANT_LABEL]
    assert max(step.get_ydata()) == 1  # the steady level never reaches 2
    assert marker.get_label() == INSTANT_LABEL
    assert list(zip(marker.get_xdata(), marker.get_ydata(), strict=True)) == [(210, 2)]
    assert INSTANT_LABEL in legend_texts(axes)
    assert "the chip's 2 slots" in [text.get_text() for text in axes.texts]
    assert axes.get_xlabel() == "simulated time (ns)"
    assert axes.get_ylabel() == "buffer slots"
    assert_inside_canvas(figure)


def test_the_timeline_shows_every_op_kind_even_the_short_ones() -> None:
    # mcu-train's memory ops take 50 ns beside 2 ms computations: ticks, not invisible bars.
    scenario = load_scenario(Path(__file__).parents[1] / "scenarios" / "mcu-train.toml")
    chip = scenario.chip.replace({"buffer_bytes": 81920})  # the 80 KiB buffer it had before
    frame = simulate("optimal", chip, network=scenario.chain, math=False).frame
    figure = timeline(frame, title="optimal")
    (axes,) = figure.axes
    drawn = set()
    for collection in axes.collections:
        colours = collection.get_facecolors() if isinstance(collection, PolyCollection) else []
        if isinstance(collection, LineCollection):
            colours = collection.get_colors()
        drawn |= {tuple(np.round(c[:3], 3)) for c in colours}
    used = [kind for kind in OP_KINDS if (frame["op"] == kind).any()]
    assert {tuple(np.round(OP_COLOURS[kind], 3)) for kind in used} <= drawn
    assert legend_texts(axes) == used
    assert axes.get_xlabel() == "simulated time (ms)"
    assert_inside_canvas(figure)


def test_a_byte_trace_is_drawn_in_bytes_and_a_course_trace_in_slots() -> None:
    worked = simulate("stride:k=2", WORKED.chip, network=WORKED.chain).frame
    course = simulate("stride:k=5").frame
    assert in_bytes(worked) and not in_bytes(course)
    bottom = trace_chart(worked, title="t").axes[1]
    assert bottom.get_ylabel() == "buffer in use (B)"
    # a2 (24 B) held 50..130 ns; a4 (20 B) stored and freed at 90 ns: 44 B for no time
    assert max(bottom.lines[0].get_ydata()) == 24
    (marker,) = [line for line in bottom.lines if line.get_label() == INSTANT_LABEL]
    assert list(zip(marker.get_xdata(), marker.get_ydata(), strict=True)) == [(90, 44)]
    assert trace_chart(course).axes[1].get_ylabel() == "buffer slots"
    with_budget = trace_chart(course, budget_bytes=128).axes[1]
    assert "budget 128 B" in [text.get_text() for text in with_budget.texts]


def test_buffer_bytes_chart_names_its_budget_in_bytes() -> None:
    from chipsim.outputs.byte_plots import buffer_bytes_chart

    frame = simulate("stride:k=2", WORKED.chip, network=WORKED.chain).frame
    figure = buffer_bytes_chart(frame, budget_bytes=100, title="stride:k=2")
    (axes,) = figure.axes
    assert axes.get_ylabel() == "buffer in use (B)"
    assert axes.get_xlabel() == "simulated time (ns)"
    assert [text.get_text() for text in axes.texts] == ["budget 100 B"]
    assert legend_texts(axes) == ["bytes in use", INSTANT_LABEL, "backward starts"]
    assert_inside_canvas(figure)


# The course figures


def test_breakeven_chart_axes_and_curves() -> None:
    figure = breakeven_chart(Scenario(), ["stride:k=5", "disk-offload", "optimal"])
    (axes,) = figure.axes
    assert axes.get_xlabel() == "loaddisk latency (ns)"
    assert axes.get_ylabel() == "backward latency (ns)"
    assert legend_texts(axes) == ["stride:k=5", "disk-offload", "optimal"]
    assert [text.get_text() for text in axes.texts] == ["50 ns", "10 ns"]
    assert_inside_canvas(figure)


def test_scaling_chart_is_log_on_one_scale_with_a_labelled_budget() -> None:
    figure = scaling_chart(Scenario(), STRATEGIES, [4, 8, 16, 32, 64, 128, 256])
    latency, slots = figure.axes
    assert latency.get_yscale() == "log"  # 40 ns … 35 µs
    assert slots.get_yscale() == "log"  # one scale, not symlog's linear-then-log
    assert latency.get_xscale() == slots.get_xscale() == "log"
    assert latency.get_ylabel() == "backward latency"  # each log tick names its unit
    assert [t.get_text() for t in latency.get_yticklabels() if t.get_text()][:2] == [
        "10 ns",
        "100 ns",
    ]
    assert "the chip has 2 slots" in [text.get_text() for text in slots.texts]
    entries = legend_texts(figure)
    assert "disk-offload (0 slots at every L: below a log axis)" in entries
    assert len([e for e in entries if e.split(" ")[0] in STRATEGIES]) == len(STRATEGIES)
    assert len(latency.lines) == 2 * len(STRATEGIES)  # solid where it fits, dotted all along
    assert_inside_canvas(figure)
