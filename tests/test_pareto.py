"""chipsim pareto: the front has no dominated point, and every point runs as reported."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from chipsim import ChipConfig, Scenario, simulate
from chipsim.cli import main
from chipsim.errors import DoesNotFit
from chipsim.planners import DEFAULT_COMPARISON
from chipsim.study.pareto import OPTIMA, Point, mark_front, pareto
from chipsim.study.run import RunResult
from chipsim.study.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

CHIP = ChipConfig(
    loaddisk_ns=30,
    loadmem_nj=2,
    loaddisk_nj=50,
    storedisk_nj=50,
    compute_pj_per_mac=125,
    static_mw=1,
)


def rounded(point: Point) -> list[float]:
    """Coordinates to 12 significant digits: float sums in another order tie."""
    return [float(f"{x:.12g}") for x in (point.buffer_bytes, point.latency_ns, point.energy_nj)]


def dominates(a: Point, b: Point) -> bool:
    pairs = list(zip(rounded(a), rounded(b), strict=True))
    return all(x <= y for x, y in pairs) and any(x < y for x, y in pairs)


#: The review's repro: forward stores take time, so the least total latency is not
#: the least backward latency.
SLOW_STORES = CHIP.replace({"storedisk_ns": 40, "storemem_ns": 15})

BUILT_IN = set(DEFAULT_COMPARISON)


def test_the_front_is_the_undominated_set_of_the_run_points() -> None:
    points = pareto(Scenario(chip=CHIP))
    front = [p for p in points if p.on_front]
    assert front and len(front) < len(points)
    for point in front:
        assert not any(dominates(other, point) for other in points), point
    for point in points:
        if not point.on_front:
            assert any(dominates(other, point) for other in front), point
    assert BUILT_IN <= {p.strategy for p in points}


def test_the_fastest_backward_plan_at_each_budget_is_on_the_front() -> None:
    budgets = [0, 64, 192]
    points = pareto(Scenario(chip=SLOW_STORES), budgets=budgets)
    for budget in budgets:
        best = simulate("optimal", SLOW_STORES.replace({"buffer_bytes": budget}), math=False)
        fastest = min(p.latency_ns for p in points if p.on_front and p.buffer_bytes <= budget)
        assert fastest == best.backward.latency_ns, budget
        total = simulate(
            "optimal:objective=total", SLOW_STORES.replace({"buffer_bytes": budget}), math=False
        )
        assert total.backward.latency_ns > fastest  # the repro: total latency's optimum is slower


def test_a_preset_front_holds_each_optimum_and_the_fastest_plan() -> None:
    scenario = load_scenario(SCENARIOS / "mkr1000.toml")
    points = pareto(scenario, budgets=[0, 2048])
    at = {(p.strategy, p.buffer_bytes): p for p in points}
    for budget in (0, 2048):
        chip = scenario.chip.replace({"buffer_bytes": budget})
        runs = [simulate(s, chip, network=scenario.chain, math=False) for s in OPTIMA]
        # On this chip memory is free and every op costs time and energy alike, so one
        # plan is fastest and least energy at once: nothing at <= budget bytes can beat it.
        tied = {(f"{r.backward.latency_ns:.12g}", f"{r.energy_nj:.12g}") for r in runs}
        assert len(tied) == 1  # to 12 digits: the same ops summed in another order
        point = at["optimal:objective=backward", budget]  # the first optimum's name
        assert (point.latency_ns, point.energy_nj) == (
            runs[0].backward.latency_ns,
            runs[0].energy_nj,
        )
    # full-store recomputes and pages nothing: faster and cheaper than every other point.
    fastest = at["full-store", 7 * 1024]  # it keeps a(0) .. a(L-2) of 1024 bytes
    assert all(
        p.latency_ns > fastest.latency_ns and p.energy_nj > fastest.energy_nj
        for p in points
        if p.strategy != "full-store"
    )
    # compare's optimal is the 2048-byte optimum's plan; the other built-ins lose to an optimum
    # at no more bytes.
    expected = {
        ("optimal:objective=backward", 0),
        ("optimal:objective=backward", 2048),
        ("optimal", 2048),
        ("full-store", 7 * 1024),
    }
    assert {(p.strategy, p.buffer_bytes) for p in points if p.on_front} == expected


def reproduce(scenario: Scenario, point: Point) -> RunResult:
    """The point run the way a user would: a swept point at its budget, a built-in on the
    scenario's chip (at the point's budget when that chip refuses it as too small)."""
    chip = scenario.chip.replace({"buffer_bytes": point.buffer_bytes})
    if point.strategy in BUILT_IN:
        try:
            result = simulate(point.strategy, scenario.chip, network=scenario.chain, math=False)
        except DoesNotFit:
            return simulate(point.strategy, chip, network=scenario.chain, math=False)
        assert result.peak_buffer_bytes == point.buffer_bytes, point
        return result
    return simulate(point.strategy, chip, network=scenario.chain, math=False)


def test_every_point_is_reproduced_by_running_it_as_a_user_would() -> None:
    m4f = load_scenario(SCENARIOS / "m4f.toml")  # revolve plans 2 slots here, 1 in fewer bytes
    cases = [(Scenario(chip=SLOW_STORES), [0, 64, 192], None), (m4f, [0], [1.0])]
    for scenario, budgets, weights in cases:
        for point in pareto(scenario, budgets=budgets, weights=weights):
            result = reproduce(scenario, point)
            assert (result.backward.latency_ns, result.energy_nj) == (
                point.latency_ns,
                point.energy_nj,
            ), point


def test_mark_front_by_hand() -> None:
    points = [
        Point(0, 10, 5.0, "a"),
        Point(0, 10, 5.0, "tie"),  # equal points do not dominate each other
        Point(64, 10, 5.0, "more memory"),
        Point(64, 5, 9.0, "faster"),
        Point(128, 5, 9.0, "faster, more memory"),
    ]
    assert [p.on_front for p in mark_front(points)] == [True, True, False, True, False]


def test_cli_pareto_json_shape_and_figure(tmp_path: Path) -> None:
    figure = tmp_path / "front.png"
    result = CliRunner().invoke(
        main,
        ["pareto", "--set", "static_mw=1", "--set", "loaddisk_nj=7", "--budgets", "0,64",
         "--weights", "0.5", "--json", "--plot", str(figure)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["points"]
    for point in data["points"]:
        assert list(point) == ["buffer_bytes", "latency_ns", "energy_nj", "strategy", "on_front"]
        assert isinstance(point["on_front"], bool)
    assert figure.read_bytes().startswith(b"\x89PNG")


def test_cli_pareto_refuses_a_chip_without_energy() -> None:
    result = CliRunner().invoke(main, ["pareto"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "declares energy" in result.output


def test_cli_pareto_table_formats_numbers_as_compare_does() -> None:
    preset = str(SCENARIOS / "mkr1000.toml")
    runner = CliRunner()
    pareto_text = runner.invoke(main, ["pareto", preset, "--budgets", "0", "--weights", "1"])
    compare_text = runner.invoke(main, ["compare", preset, "--no-math", "--strategy", "optimal"])
    assert pareto_text.exit_code == 0 and compare_text.exit_code == 0, pareto_text.output
    assert "e+" not in "".join(line.split()[2] for line in pareto_text.output.splitlines()[3:])
    compared = next(
        row.split() for row in compare_text.output.splitlines() if row[:8] == "optimal "
    )
    placed = next(
        row.split() for row in pareto_text.output.splitlines() if row.split()[:1] == ["optimal"]
    )
    # compare: strategy fits bytes forward_s backward_s step_s ... energy_J; pareto: strategy
    # buffer_bytes backward_s energy_J on_front: both in seconds and joules here
    assert pareto_text.output.splitlines()[3].split()[1:4] == [
        "buffer_bytes",
        "backward_s",
        "energy_J",
    ]
    assert (placed[2], placed[3]) == (compared[4], compared[-1]) == ("18.88", "1.662")
