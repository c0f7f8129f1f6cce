"""Bandwidth-based costs: bytes and multiply-adds priced at the network's width; the presets."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from chipsim import (
    ChipConfig,
    ConfigError,
    Scenario,
    breakeven,
    execute,
    load_scenario,
    make_plan,
    run_strategy,
)
from chipsim.study.analysis import compare

SCENARIOS = Path(__file__).parent.parent / "scenarios"
PRICED = ChipConfig(dtype_bytes=4, mem_bytes_per_ns=2, disk_bytes_per_ns=0.5, compute_macs_per_ns=8)


def test_each_op_pays_for_its_bytes_or_multiply_adds() -> None:
    width = 16  # 64 bytes an activation, 256 MACs a layer
    assert {kind: PRICED.transfer_ns(kind, width) for kind in ("fwd", "bwd", "free")} == {
        "fwd": 32,
        "bwd": 96,  # the pre-activation again, then the weight and input gradients
        "free": 0,
    }
    assert PRICED.transfer_ns("loadmem", width) == PRICED.transfer_ns("storemem", width) == 32
    assert PRICED.transfer_ns("loaddisk", width) == PRICED.transfer_ns("storedisk", width) == 128
    resolved = PRICED.resolved(width)
    assert resolved.as_dict() == {
        **PRICED.as_dict(),
        "fwd_ns": 52,
        "bwd_ns": 96,
        "loadmem_ns": 42,
        "storemem_ns": 32,
        "loaddisk_ns": 228,
        "storedisk_ns": 128,
        "mem_bytes_per_ns": None,
        "disk_bytes_per_ns": None,
        "compute_macs_per_ns": None,
    }
    assert resolved.resolved(width) == resolved  # nothing left to price
    assert ChipConfig().resolved(4096) == ChipConfig()  # no bandwidths: fixed latencies


def test_a_run_is_priced_at_its_networks_width() -> None:
    scenario = Scenario(width=16, chip=PRICED)
    result = run_strategy(scenario, "stride:k=5")
    assert result.backward.latency_ns == 20 * 52 + 10 * 42 + 10 * 96
    wider = run_strategy(scenario.with_overrides(width=32), "stride:k=5", math=False)
    assert wider.backward.latency_ns == 20 * (20 + 128) + 10 * (10 + 64) + 10 * 384


def test_timing_only_runs_need_the_width_when_the_chip_prices_bytes() -> None:
    plan = make_plan("stride:k=5", 10, PRICED.resolved(16))
    with pytest.raises(ConfigError, match="give the network's width"):
        execute(plan, PRICED, None)
    assert execute(plan, PRICED, None, width=16).trace.latency_ns("backward") == 2420


def test_breakeven_solves_for_the_fixed_part_of_a_priced_latency() -> None:
    """disk-offload pays 10·(loaddisk_ns + 16) at width 4: it ties 500 ns at loaddisk_ns = 34."""
    scenario = Scenario(width=4, chip=ChipConfig(dtype_bytes=4, disk_bytes_per_ns=1))
    point = breakeven(scenario, "loaddisk_ns", "disk-offload", "stride:k=5")
    assert (point.value, point.latency_ns) == (Fraction(34), 500)


@pytest.mark.parametrize("name", ["course", "mcu", "accelerator"])
def test_every_scenario_file_loads(name: str) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    assert scenario.name == name
    assert (name == "course") == (not scenario.chip.uses_bandwidth)


def backward_ns(scenario: Scenario, width: int) -> dict[str, float]:
    strategies = ["disk-offload", "sqrt-n", "stride:k=3"]
    outcomes = compare(scenario.with_overrides(width=width), strategies, math=False)
    return {o.strategy: o.result.backward.latency_ns for o in outcomes}


@pytest.mark.parametrize(
    ("preset", "recompute_wins", "paging_wins"),
    [("mcu", 512, 1024), ("accelerator", 8192, 16384)],
)
def test_presets_show_where_recompute_stops_beating_paging_as_width_grows(
    preset: str, recompute_wins: int, paging_wins: int
) -> None:
    """The crossover of scenarios/README.md: compute grows as s², transfers as s."""
    scenario = load_scenario(SCENARIOS / f"{preset}.toml")
    for width, paging_faster in ((recompute_wins, False), (paging_wins, True)):
        latency = backward_ns(scenario, width)
        best_recompute = min(latency["sqrt-n"], latency["stride:k=3"])
        assert (latency["disk-offload"] < best_recompute) is paging_faster, (width, latency)
        chip = scenario.chip.resolved(width)  # disk-offload: L·(loaddisk + bwd), as documented
        assert latency["disk-offload"] == pytest.approx(
            scenario.layers * (chip.loaddisk_ns + chip.bwd_ns), rel=1e-12
        )


def test_a_scenario_file_may_give_a_latency_distribution(tmp_path: Path) -> None:
    path = tmp_path / "jitter.toml"
    path.write_text('[chip]\nloaddisk_ns = {dist = "uniform", low = 40, high = 60}\n')
    chip = load_scenario(path).chip
    assert chip.op_latency_ns("loaddisk") == 50
    assert chip.as_dict()["loaddisk_ns"] == {"dist": "uniform", "low": 40, "high": 60}
    path.write_text('[chip]\nloaddisk_ns = {dist = "uniform", low = 40}\n')
    expected = (
        'jitter.toml: chip field loaddisk_ns: no high; a uniform latency is {dist = "uniform"'
    )
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_scenario(path)
