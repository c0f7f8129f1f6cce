"""chipsim pareto on a chip with one memory: the memory axis is the one memory's peak
(weights and all), and a plan that does not fit the chip is never on the front.

The network is 8 stages of 64 float32 values (256 B each), 64 MACs and one parameter
each, trained by SGD with each stage's gradient applied at once. The least memory of
each plan (``chipsim.study.fit.smallest_memory_bytes``): full-store 2596 B, stride:k=5
1572, sqrt-n 1316, revolve 1060, optimal and disk-offload 804. The chip has 1200 B.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from chipsim import ChipConfig, Scenario, simulate
from chipsim.cli import main
from chipsim.sim.plan_memory import use_of
from chipsim.study.pareto import Point, front_table, mark_front, memory_budgets, pareto

MEMORY_BYTES = 1200
ZERO = {f"{kind}_ns": 0 for kind in ("fwd", "bwd", "loadmem", "storemem", "loaddisk")}
CHIP = ChipConfig(
    memory_bytes=MEMORY_BYTES, update="per_stage", compute_macs_per_ns=1, mem_bytes_per_ns=1,
    disk_bytes_per_ns=1, compute_pj_per_mac=1, mem_pj_per_byte=1, disk_pj_per_byte=10, **ZERO,
)  # fmt: skip


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    rows = "".join(f"s{layer},64,64,1\n" for layer in range(1, 9))
    path: Path = tmp_path_factory.mktemp("pareto") / "deep.csv"
    path.write_text(f"name,output_shape,macs_fwd,params\ninput,64,,\n{rows}")
    return Scenario(network=str(path), chip=CHIP)


@pytest.fixture(scope="module")
def points(scenario: Scenario) -> list[Point]:
    return pareto(scenario)


def test_the_budgets_run_from_the_least_memory_to_the_chips(scenario: Scenario) -> None:
    budgets = memory_budgets(scenario)
    assert (budgets[0], budgets[-1], len(budgets)) == (804, MEMORY_BYTES, 9)


def test_every_point_is_at_its_runs_peak_in_the_one_memory(scenario, points) -> None:
    for point in points:
        chip = CHIP.replace({"memory_bytes": point.memory_budget_bytes})
        run = simulate(point.strategy, chip, network=scenario.chain, math=False)
        assert point.memory_bytes == use_of(run.plan, chip, scenario.chain).peak_bytes
        assert point.fits == (point.memory_bytes <= MEMORY_BYTES)


def test_plans_that_do_not_fit_are_placed_at_their_need_and_off_the_front(points) -> None:
    built_in = {p.strategy: p for p in points if not p.strategy.startswith("optimal:")}
    misfits = {name: p.memory_bytes for name, p in built_in.items() if not p.fits}
    assert misfits == {"full-store": 2596, "stride:k=5": 1572, "sqrt-n": 1316}
    assert not any(p.on_front for p in points if not p.fits)
    front = [p for p in points if p.on_front]
    assert min(p.memory_bytes for p in front) == 804  # the least any plan needs, on the front
    assert all(p.memory_bytes <= MEMORY_BYTES for p in front)


def test_a_point_that_does_not_fit_dominates_none() -> None:
    fast = Point(0, 1, 1.0, "full-store", memory_bytes=999, fits=False)
    slow = Point(0, 5, 5.0, "optimal", memory_bytes=2000)
    assert [p.on_front for p in mark_front([fast, slow])] == [False, True]


def test_the_table_reads_the_one_memory_and_whether_it_fits(points) -> None:
    header, *rows = front_table(points).splitlines()
    assert header.split() == ["strategy", "memory_bytes", "backward_ns", "energy_nJ", "fits",
                              "on_front"]  # fmt: skip
    cells = next(row for row in rows if row.startswith("full-store")).split()
    assert (cells[1], cells[4], cells[5]) == ("2596", "no", "no")


def test_the_figure_colours_by_the_one_memory_and_marks_what_does_not_fit(points) -> None:
    from chipsim.outputs.pareto_plot import pareto_chart

    figure = pareto_chart(points, title="deep")
    texts = {text.get_text() for axes in figure.axes for text in axes.texts}
    assert "full-store: needs 2596 B, does not fit" in texts
    assert any(axes.get_ylabel().startswith("one memory's peak") for axes in figure.axes)
    assert any("does not fit" in text.get_text() for text in figure.legends[0].get_texts())


def test_pareto_where_nothing_fits_the_memory_says_so_and_what_the_least_plan_needs() -> None:
    result = CliRunner().invoke(main, ["pareto", "mcu-train", "--set", "compute_pj_per_mac=1"])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith(
        "Nothing fits memory_bytes = 256 KiB [262144 B]: the least any plan needs is "
        "2.866 MiB [3005208 B] (disk-offload)."
    )
