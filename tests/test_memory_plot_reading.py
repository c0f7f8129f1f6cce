"""The memory figure reads at a glance: the peak in the axis's unit, a budget far above
the peak noted in text rather than flattening the stack, a short phase in a panel of its
own; a network report links every figure it writes.

The hand chain is test_fit.py's (full-store peaks at 38 bytes in ``bwd 3``); ``BIG``
is it with every size × 100 (a0..a3 = 200, 800, 800, 200 bytes, 100 parameters a
stage), whose full-store peak is 3800 bytes.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from test_fit import HAND

from chipsim import ChipConfig
from chipsim.model.stages import Chain, Stage
from chipsim.outputs.memory_plot import memory_chart
from chipsim.outputs.report import write_report
from chipsim.study.run import simulate
from chipsim.study.scenario import Scenario

BIG = Chain(
    "big",
    (200,),
    [Stage("s1", (800,), 0, 0, 100), Stage("s2", (800,), 0, 0, 100),
     Stage("s3", (200,), 0, 0, 100)],
    dtype_bytes=1,
)  # fmt: skip


def chart(chain: Chain = HAND, **chip: object) -> Figure:
    result = simulate("full-store", ChipConfig(**chip), network=chain, math=False)
    figure = memory_chart(result, title="full-store")
    FigureCanvasAgg(figure).draw()
    return figure


def notes(figure: Figure) -> list[str]:
    return [text.get_text() for axes in figure.axes for text in axes.texts if text.get_text()]


def test_the_peak_is_labelled_in_the_axiss_unit() -> None:
    figure = chart(BIG, memory_bytes=4096)
    (axes,) = figure.axes
    assert axes.get_ylabel() == "memory (KiB)"
    assert "peak 3.711 KiB (for 0 ns)" in notes(figure)  # 3800 B, not "3,800 B"


def test_a_budget_well_above_the_peak_is_noted_in_text_and_the_axis_ends_near_the_peak() -> None:
    figure = chart(memory_bytes=380)  # 10 times the peak: a linear axis, capped
    (axes,) = figure.axes
    assert axes.get_yscale() == "linear" and axes.get_ylim() == (0, 1.25 * 38)
    assert not [line for line in axes.get_lines() if line.get_linestyle() == "--"]
    assert "memory_bytes 380 B: above this axis (the peak is 10 % of it)" in notes(figure)


def test_a_budget_near_the_peak_is_drawn_as_a_line() -> None:
    figure = chart(memory_bytes=50)
    (axes,) = figure.axes
    assert [line.get_ydata()[0] for line in axes.get_lines() if line.get_linestyle() == "--"] == [
        50
    ]


def test_a_short_backward_gets_its_own_panel_with_its_own_time_axis() -> None:
    # forward: loadmem 0 and 3 fwd of 1000 ns; backward: 3 bwd and 3 loadmem of 1 ns each
    figure = chart(memory_bytes=50, fwd_ns=1000, bwd_ns=1, loadmem_ns=1)
    forward, backward = figure.axes
    assert forward.get_title() == "forward phase (3.001 µs)"
    assert backward.get_title() == "backward phase (6 ns)"
    assert backward.get_xlim() == (0, 6)  # from the backward's start, not a sliver at 3 µs
    assert backward.get_xlabel() == "time from the backward phase's start (ns)"
    assert forward.get_ylim() == backward.get_ylim()  # one memory axis
    assert "peak 38 B" in notes(figure)  # in bwd 3: the backward panel marks it
    assert [text.get_text() for text in backward.texts] == ["peak 38 B"]


def test_phases_of_like_length_share_one_panel() -> None:
    assert len(chart(memory_bytes=50).axes) == 1  # forward 70 ns, backward 30 ns


def test_a_network_report_on_one_memory_links_its_timeline(tmp_path: Path) -> None:
    scenario = Scenario(
        name="tiny", network="mlp:widths=8,16,4", chip=ChipConfig(memory_bytes=10**5)
    )
    write_report(scenario, tmp_path, strategy="full-store")
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "(timeline.png)" in text and "(memory.png)" in text
    linked = {line.rsplit("(", 1)[1].rstrip(")") for line in text.splitlines() if "![" in line}
    assert linked == {path.name for path in tmp_path.glob("*.png")}
