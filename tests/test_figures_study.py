"""The study figures read right: a sweep, the latency-against-budget curves, the Pareto
front; and ``chipsim plot`` draws a trace's buffer in the unit its chip counts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from figure_checks import assert_inside_canvas, legend_texts, overlapping, rendered

from chipsim.cli import main
from chipsim.outputs.byte_plots import budget_chart
from chipsim.outputs.pareto_plot import FADED, pareto_chart
from chipsim.outputs.sweep_plot import sweep_chart
from chipsim.study.pareto import Point, mark_front
from chipsim.study.scenario import Scenario

WORKED = Scenario(network="mlp:widths=8,4,6,2,5").with_overrides(chip={"buffer_bytes": 100})


def _sweep_rows() -> pd.DataFrame:
    """Two strategies over L = 1, 100 and loaddisk_ns: latencies from 100 ns to 100 ms."""
    rows = [
        {"run": f"{s}|{n}|{d}", "strategy": s, "layers": n, "loaddisk_ns": d, "fits": True,
         "backward_latency_ns": (10 if s == "optimal" else 1000) * n * d}
        for s in ("optimal", "disk-offload") for n in (1, 100) for d in (10, 100, 1000)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_sweep_chart_goes_log_where_latencies_span_decades() -> None:
    figure = sweep_chart(_sweep_rows())
    (axes,) = figure.axes
    assert axes.get_yscale() == "log" and axes.get_xscale() == "log"  # 100 ns..100 ms; L 1..100
    assert axes.get_xlabel() == "layers"  # the first varying grid key, before chip fields
    assert legend_texts(axes) == [
        "optimal, loaddisk_ns=10", "optimal, loaddisk_ns=100", "optimal, loaddisk_ns=1000",
        "disk-offload, loaddisk_ns=10", "disk-offload, loaddisk_ns=100",
        "disk-offload, loaddisk_ns=1000",
    ]  # fmt: skip
    assert len(axes.lines) == 6
    labelled = [t.get_text() for t in axes.get_yticklabels(minor=True) if t.get_text()]
    assert labelled == []  # six decades: the 10x ticks say enough
    assert_inside_canvas(figure)


def test_a_log_axis_of_two_decades_labels_its_2x_and_5x_ticks() -> None:
    rows = _sweep_rows()
    rows = rows[(rows["loaddisk_ns"] == 10) & (rows["strategy"] == "optimal")]
    rows = rows.assign(backward_latency_ns=[50, 7000])  # 50 ns .. 7 µs
    (axes,) = sweep_chart(rows).axes
    assert axes.get_yscale() == "log"
    figure_labels = [t.get_text() for t in axes.get_yticklabels(minor=True) if t.get_text()]
    assert {"200 ns", "500 ns", "2 µs", "5 µs"} <= set(figure_labels)
    assert "300 ns" not in figure_labels


def test_sweep_chart_stays_linear_and_in_units_on_a_narrow_range() -> None:
    rows = _sweep_rows()
    rows = rows[(rows["layers"] == 100) & (rows["strategy"] == "optimal")]
    rows = rows.assign(backward_latency_ns=[2e6, 3e6, 4e6])  # 2..4 ms: under 30x
    (axes,) = sweep_chart(rows).axes
    assert axes.get_yscale() == "linear" and axes.get_xscale() == "log"
    assert axes.get_ylabel() == "backward latency (ms)"
    assert axes.get_xlabel() == "loaddisk latency"  # log: each tick names its unit


def test_budget_chart_axes_curves_and_complete_legend() -> None:
    figure = budget_chart(WORKED, ["stride:k=2", "sqrt-n", "full-store"])
    (axes,) = figure.axes
    assert axes.get_xscale() == "log"
    assert axes.get_xlabel() == "buffer budget"
    assert axes.get_ylabel() == "backward latency (ns)"
    assert legend_texts(axes) == ["stride:k=2", "sqrt-n", "full-store", "the chip's budget: 100 B"]
    assert len(axes.lines) == 4  # three curves and the chip's budget
    assert_inside_canvas(figure)


def test_budget_chart_title_fits_a_long_network_spec() -> None:
    long = WORKED.with_overrides(network="mlp:widths=8,4,6,2,5,7,9,3,8,4,6,2,5,7,9,3,8,4,6,2,5")
    assert_inside_canvas(budget_chart(long, ["stride:k=2"]))


def _points() -> list[Point]:
    """A front of three (two budgets) and two dominated built-ins far away."""
    return mark_front(
        [
            Point(0, 1.000e9, 5.3e8, "optimal:objective=backward"),
            Point(0, 1.020e9, 5.2e8, "optimal:objective=energy"),
            Point(1024, 0.990e9, 5.1e8, "optimal"),
            Point(1024, 0.990e9, 5.1e8, "optimal:objective=backward"),
            Point(512, 1.6e9, 7.4e8, "stride:k=5"),
            Point(768, 1.3e9, 6.3e8, "sqrt-n"),
            Point(768, 1.31e9, 6.35e8, "revolve"),
            Point(0, 1.001e9, 5.31e8, "disk-offload"),
        ]
    )


def test_pareto_chart_front_line_faded_dominated_key_and_units() -> None:
    figure = pareto_chart(_points(), title="toy")
    every, zoom = figure.axes[:2]  # the front is a small corner: a zoomed panel
    for axes in (every, zoom):
        assert axes.get_xlabel() == "backward latency (s)"
        assert axes.get_ylabel() == "energy of the run (mJ)"
    front_lines = [line for line in every.lines if len(set(line.get_xdata())) >= 2]
    assert len(front_lines) == 2  # the front at 0 B; the fastest point of each budget
    alphas = {round(c.get_alpha() or 1.0, 2) for c in every.collections}
    assert alphas == {1.0, FADED}
    assert legend_texts(figure)[:2] == [
        "on the front: no plan beats it on bytes, time and energy",
        "dominated",
    ]
    assert figure.axes[-1].get_ylabel() == "buffer budget (KiB)"  # the colour bar
    assert_inside_canvas(figure)


def test_pareto_labels_do_not_overlap_and_coincident_plans_share_one() -> None:
    figure = pareto_chart(_points())
    renderer = rendered(figure)
    every = figure.axes[0]
    labels = [text.get_text() for text in every.texts]
    assert sorted(labels) == ["disk-offload", "optimal", "revolve", "sqrt-n", "stride:k=5"]
    assert overlapping(every.texts, renderer) == []
    tied = mark_front([Point(0, 10, 5.0, "optimal"), Point(64, 10, 5.0, "full-store")])
    assert [t.get_text() for t in pareto_chart(tied).axes[0].texts] == ["optimal = full-store"]


def test_plot_cli_draws_a_byte_trace_and_refuses_two_limits(tmp_path: Path) -> None:
    trace = tmp_path / "t.csv"
    runner = CliRunner()
    ran = runner.invoke(main, ["run", "--network", "mlp:widths=8,4,6,2,5", "--fixed-latencies",
                               "--set", "buffer_bytes=100", "--trace", str(trace)])  # fmt: skip
    assert ran.exit_code == 0, ran.output
    drawn = runner.invoke(main, ["plot", str(trace), "--budget-bytes", "100"])
    assert drawn.exit_code == 0 and (tmp_path / "t.png").stat().st_size > 10_000
    both = runner.invoke(main, ["plot", str(trace), "--slots", "2", "--budget-bytes", "100"])
    assert both.exit_code == 2
    assert "--slots and --budget-bytes both given" in both.output
