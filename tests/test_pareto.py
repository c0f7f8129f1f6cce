"""chipsim pareto: the front has no dominated point, and every point runs as reported."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from chipsim import ChipConfig, Scenario, simulate
from chipsim.cli import main
from chipsim.pareto import Point, mark_front, pareto
from chipsim.scenario import load_scenario

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


def test_front_points_are_exactly_the_undominated_ones() -> None:
    points = pareto(Scenario(chip=CHIP))
    assert any(p.on_front for p in points) and any(not p.on_front for p in points)
    for point in points:
        beaten = any(dominates(other, point) for other in points)
        assert point.on_front is not beaten, point
    built_in = {p.strategy for p in points}
    assert {"stride:k=5", "disk-offload", "full-store", "revolve"} <= built_in


def test_a_preset_front_holds_each_optimum() -> None:
    points = pareto(load_scenario(SCENARIOS / "mkr1000.toml"), budgets=[0, 2048])
    for point in points:
        assert point.on_front is not any(dominates(other, point) for other in points)
    front = {p.strategy for p in points if p.on_front}
    assert {"optimal:objective=total", "optimal:objective=energy"} & front


def test_every_point_is_reproduced_by_running_its_plan() -> None:
    for point in pareto(Scenario(chip=CHIP), budgets=[0, 64, 192]):
        chip = CHIP.replace({"buffer_bytes": point.buffer_bytes})
        result = simulate(point.strategy, chip, math=False)
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
