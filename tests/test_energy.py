"""Energy: chip fields, the per-op table, traces, run JSON and the energy objectives.

Expected figures are derived by hand from the fields (width 16, 4-byte
elements: 64 bytes per activation, 256 MACs per fwd, 768 per bwd); the
values are chosen so every nJ is a dyadic fraction and sums are exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from exhaustive import optimal_latency

from chipsim import ChipConfig, ConfigError, DoesNotFit, StrategyError, make_plan, simulate
from chipsim.formatting import energy_text
from chipsim.model.chip import LATENCY_FIELDS
from chipsim.model.costs import Costs
from chipsim.model.networks import course_chain
from chipsim.model.ops import OP_KINDS
from chipsim.model.stage_file import load_stage_file
from chipsim.outputs.exports import load_trace, write_trace
from chipsim.sim.trace import COLUMNS
from chipsim.study.analysis import run_strategy
from chipsim.study.scenario import load_scenario

ENERGY = {
    "compute_pj_per_mac": 125,  # 256 MACs → 32 nJ per fwd, 96 per bwd
    "mem_pj_per_byte": 250,  # 64 bytes → 16 nJ
    "loadmem_nj": 2,  # loadmem: 18 nJ
    "storemem_nj": 1,  # storemem: 17 nJ
    "static_mw": 125,  # 0.125 nJ per ns
}


def test_stride_energy_is_the_sum_over_its_ops_plus_static_power() -> None:
    result = simulate("stride:k=5", ChipConfig(**ENERGY))
    # forward: loadmem 0 (18) + 10 fwd (320) + 2 storemem (34), 210 ns × 0.125
    forward = 18 + 10 * 32 + 2 * 17 + 210 * 0.125
    # backward: 20 fwd (640) + 10 bwd (960) + 10 loadmem (180) + 2 free (0), 500 ns × 0.125
    backward = 20 * 32 + 10 * 96 + 10 * 18 + 500 * 0.125
    data = result.to_dict()
    assert data["forward"]["energy_nj"] == forward == 398.25
    assert data["backward"]["energy_nj"] == backward == 1842.5
    assert data["energy_nj"] == result.energy_nj == forward + backward
    assert data["static_energy_nj"] == 710 * 0.125
    frame = result.frame
    assert frame.groupby("phase", observed=True)["energy_nj"].sum().tolist() == [372.0, 1780.0]


def test_disk_energy_prices_every_read_attempt() -> None:
    chip = ChipConfig(
        disk_pj_per_byte=500, loaddisk_nj=3, storedisk_nj=5, disk_fault_rate=0.5, max_retries=50
    )
    result = simulate("disk-offload", chip, seed=3)
    frame = result.frame
    reads = int((frame["op"] == "loaddisk").sum())  # attempts, retries included
    assert reads > 10
    # 10 storedisk of a0..a9 at 5 + 64·0.5 = 37 nJ; each read attempt 3 + 32 = 35 nJ
    assert result.to_dict()["forward"]["energy_nj"] == 10 * 37
    assert result.to_dict()["backward"]["energy_nj"] == reads * 35


def test_a_chip_without_energy_reports_none_and_its_outputs_do_not_change() -> None:
    result = simulate("stride:k=5")
    data = result.to_dict()
    assert "energy_nj" not in data and "energy_nj" not in data["backward"]
    assert not any(
        key.endswith(("_nj", "_pj_per_mac", "_pj_per_byte", "_mw")) for key in data["chip"]
    )
    assert list(result.frame.columns) == list(COLUMNS)
    assert result.energy_nj is None


def test_replications_summarise_energy_over_jittered_makespans() -> None:
    chip = ChipConfig(static_mw=1000, fwd_ns={"dist": "uniform", "low": 10, "high": 30})
    result = simulate("stride:k=5", chip, replications=4)
    stats = result.to_dict()["replications"]["energy_nj"]
    assert stats["max"] > stats["min"]  # static energy follows the drawn makespan
    # 1 nJ per ns and no dynamic terms: energy is the makespan
    assert result.energy_nj == result.forward.latency_ns + result.backward.latency_ns


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_trace_files_carry_energy(tmp_path: Path, suffix: str) -> None:
    frame = simulate("stride:k=5", ChipConfig(**ENERGY)).frame
    path = tmp_path / f"trace{suffix}"
    write_trace(frame, path)
    back = load_trace(path)
    assert back["energy_nj"].tolist() == frame["energy_nj"].tolist()


# Bad fields: one line, naming the field.


@pytest.mark.parametrize("value", [-1, float("nan"), float("inf"), "5", True])
@pytest.mark.parametrize("field", [*sorted(ENERGY), "disk_pj_per_byte", "loaddisk_nj"])
def test_bad_energy_fields_are_refused_in_one_line(field: str, value: object) -> None:
    with pytest.raises(ConfigError) as error:
        ChipConfig(**{field: value})
    message = str(error.value)
    assert field in message and "\n" not in message


def test_per_mac_energy_on_a_network_without_macs_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "profile.csv"
    table.write_text("name,output_shape,macs_fwd\ninput,8,\nconv,8,0\nfc,8,0\n")
    chain = load_stage_file(table)
    chip = ChipConfig(compute_pj_per_mac=1, buffer_bytes=0)
    with pytest.raises(ConfigError, match=r"compute_pj_per_mac \(1\) prices .* declares none"):
        simulate("disk-offload", chip, network=chain)


@pytest.mark.parametrize(
    ("spec", "chip", "match"),
    [
        ("optimal:objective=energy", ChipConfig(), "needs a chip that declares energy"),
        ("optimal:objective=weighted", ChipConfig(static_mw=1), "ns_per_nj"),
        ("optimal:ns_per_nj=1", ChipConfig(static_mw=1), "ns_per_nj"),
        ("optimal:objective=weighted,ns_per_nj=-1", ChipConfig(static_mw=1), ">= 0"),
    ],
)
def test_energy_objectives_refuse_what_cannot_be_priced(
    spec: str, chip: ChipConfig, match: str
) -> None:
    with pytest.raises(StrategyError, match=match):
        make_plan(spec, 5, chip)


# The energy objectives: exact against every valid plan.


def random_energy_chip(rng: np.random.Generator, slots: int) -> ChipConfig:
    """Whole-nJ prices at width 1 (4 bytes, 1 MAC fwd, 3 bwd): every sum is exact."""
    latencies = {name: int(rng.integers(0, 30)) for name in LATENCY_FIELDS}
    energy = {
        "compute_pj_per_mac": 1000 * int(rng.integers(0, 8)),
        "mem_pj_per_byte": 250 * int(rng.integers(0, 8)),
        "disk_pj_per_byte": 250 * int(rng.integers(0, 40)),
        "loadmem_nj": int(rng.integers(0, 10)),
        "storemem_nj": int(rng.integers(0, 10)),
        "loaddisk_nj": int(rng.integers(0, 60)),
        "storedisk_nj": int(rng.integers(0, 60)),
        "static_mw": 1000 * int(rng.integers(0, 3)),
    }
    return ChipConfig(buffer_slots=slots, **latencies, **energy)


def hand_energy(chip: ChipConfig) -> dict[str, float]:
    """Each kind's energy at width 1, static power over its latency included."""
    static = chip.static_mw / 1000
    return {
        "fwd": chip.compute_pj_per_mac / 1000 + static * chip.fwd_ns,
        "bwd": 3 * chip.compute_pj_per_mac / 1000 + static * chip.bwd_ns,
        "loadmem": chip.loadmem_nj + 4 * chip.mem_pj_per_byte / 1000 + static * chip.loadmem_ns,
        "storemem": chip.storemem_nj + 4 * chip.mem_pj_per_byte / 1000 + static * chip.storemem_ns,
        "loaddisk": chip.loaddisk_nj + 4 * chip.disk_pj_per_byte / 1000 + static * chip.loaddisk_ns,
        "storedisk": (
            chip.storedisk_nj + 4 * chip.disk_pj_per_byte / 1000 + static * chip.storedisk_ns
        ),
    }


def run_energy(spec: str, layers: int, chip: ChipConfig) -> tuple[float, float]:
    """(whole latency, whole energy) of running ``spec``'s plan at width 1."""
    result = simulate(spec, chip, layers=layers, width=1, math=False)
    return result.forward.latency_ns + result.backward.latency_ns, result.energy_nj


def test_no_valid_plan_spends_less_energy_than_the_energy_objective() -> None:
    rng = np.random.default_rng(14)
    for _ in range(25):
        layers, slots = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        chip = random_energy_chip(rng, slots)
        best = optimal_latency(layers, chip, "total", prices=hand_energy(chip))
        assert run_energy("optimal:objective=energy", layers, chip)[1] == best, (layers, chip)


def test_no_valid_plan_beats_the_weighted_objective() -> None:
    rng = np.random.default_rng(15)
    for _ in range(20):
        layers, slots = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        chip, weight = random_energy_chip(rng, slots), 0.25 * int(rng.integers(0, 9))
        energy = hand_energy(chip)
        prices = {kind: getattr(chip, f"{kind}_ns") + weight * energy[kind] for kind in energy}
        best = optimal_latency(layers, chip, "total", prices=prices)
        latency, spent = run_energy(f"optimal:objective=weighted,ns_per_nj={weight}", layers, chip)
        assert latency + weight * spent == best, (layers, chip, weight)


def test_weighted_endpoints_are_the_time_and_energy_optima() -> None:
    rng = np.random.default_rng(16)
    for _ in range(15):
        layers, slots = int(rng.integers(2, 9)), int(rng.integers(1, 4))
        chip = random_energy_chip(rng, slots)
        at_zero = make_plan("optimal:objective=weighted,ns_per_nj=0", layers, chip)
        assert list(at_zero.ops()) == list(make_plan("optimal:objective=total", layers, chip).ops())
        # every latency here is below 10**4 ns, so at 10**6 ns per nJ energy decides alone
        huge = run_energy("optimal:objective=weighted,ns_per_nj=1000000", layers, chip)
        least = run_energy("optimal:objective=energy", layers, chip)
        assert huge[1] == least[1] and huge[0] <= least[0], (layers, chip)


def test_energy_table_prices_each_op_kind_by_stage() -> None:
    chain = course_chain(3, 16)
    costs = Costs(ChipConfig(**ENERGY, disk_pj_per_byte=1000, loaddisk_nj=4), chain)
    table = dict(zip(OP_KINDS, costs.energy_nj, strict=True))
    assert table["fwd"].tolist() == [0, 32, 32, 32]
    assert table["bwd"].tolist() == [0, 96, 96, 96]
    assert table["loadmem"].tolist() == [18] * 4
    assert table["loaddisk"].tolist() == [68] * 4
    assert table["storedisk"].tolist() == [64] * 4
    assert table["free"].tolist() == [0] * 4
    assert json.dumps(costs.static_nj_per_ns) == "0.125"


# Presets with POET's device figures (scenarios/README.md, "Energy presets").

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def test_mkr1000_disk_offload_prices_each_page_like_poet() -> None:
    scenario = load_scenario(SCENARIOS / "mkr1000.toml")
    result = run_strategy(scenario, "disk-offload", math=False)
    # POET's page-in: (0.109 ms + 1024 B / 4616.51 KB/s) x 0.33 W, in nJ
    page_in_s = 0.109e-3 + 1024 / 4616.51e3
    assert result.backward.ops["loaddisk"] == 8
    # backward: 8 page-ins, 8 bwd of 3·256² MACs at 792 nJ per MAC (POET's 2 FLOP per MAC)
    expected = 8 * page_in_s * 0.33 * 1e9 + 8 * 3 * 256**2 * 792
    assert result.trace.energy_of("backward") == pytest.approx(expected, rel=1e-9)
    assert result.backward.latency_ns == pytest.approx(
        8 * page_in_s * 1e9 + 8 * 3 * 256**2 / (2000 / 0.012 / 2) * 1e9, rel=1e-6
    )


@pytest.mark.parametrize("name", ["mkr1000", "m4f", "rpi4"])
def test_energy_presets_load_run_and_force_checkpointing_or_paging(name: str) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    assert scenario.chip.has_energy
    chain = scenario.chain
    with pytest.raises(DoesNotFit):
        make_plan("full-store", chain, scenario.chip).check_fits(
            scenario.chip, chain
        )  # not all kept
    result = run_strategy(scenario, "disk-offload", math=False)
    assert result.energy_nj > 0 and result.backward.ops["loaddisk"] == chain.layers


def test_m4f_runs_poets_resnet18_for_cifar10() -> None:
    scenario = load_scenario(SCENARIOS / "m4f.toml")
    assert scenario.chain.name == "resnet18:resolution=32,classes=10"
    result = run_strategy(scenario, "stride:k=3", math=False)
    assert result.peak_buffer_bytes <= scenario.chip.buffer_bytes
    # every fwd and bwd row: its stage's MACs at 3448.212 pJ
    frame = result.frame
    compute = frame[frame["op"].isin(["fwd", "bwd"])]
    macs = np.where(
        compute["op"] == "fwd",
        scenario.chain.macs_fwd[compute["layer"]],
        # a bwd that did not record recomputes its stage first: forward + gradient work
        scenario.chain.macs_fwd[compute["layer"]] + scenario.chain.macs_bwd[compute["layer"]],
    )
    assert compute["energy_nj"].to_numpy() == pytest.approx(macs * 3448.212 / 1000, rel=1e-12)


def test_compare_tables_show_energy_only_when_the_chip_declares_it() -> None:
    from chipsim import Scenario
    from chipsim.outputs.tables import comparison, summary
    from chipsim.study.analysis import compare

    plain = Scenario()
    assert not any(c.startswith("energy") for c in summary(compare(plain, ["stride:k=5"]), plain))
    energetic = Scenario(chip=ChipConfig(**ENERGY))
    outcomes = compare(energetic, ["stride:k=5", "full-store"])
    table = summary(outcomes, energetic)
    assert table["energy_µJ"].tolist() == ["2.241", "-"]  # 398.25 + 1842.5 nJ, as derived above
    rows = comparison(outcomes)
    assert rows.loc[0, ["forward_energy_nj", "backward_energy_nj", "energy_nj"]].tolist() == [
        398.25,
        1842.5,
        2240.75,
    ]


def test_run_text_shows_the_energy_the_json_gives() -> None:
    from click.testing import CliRunner

    from chipsim.cli import main

    args = ["run", "scenarios/mkr1000.toml", "--no-math"]
    data = json.loads(CliRunner().invoke(main, [*args, "--json"]).output)
    text = CliRunner().invoke(main, args).output
    forward, backward = data["forward"]["energy_nj"], data["backward"]["energy_nj"]
    assert (
        f"energy: {energy_text(data['energy_nj'])} (forward {energy_text(forward)}, backward "
        f"{energy_text(backward)}; static power included)"
    ) in text
    assert "energy: 2.336 J (forward 415.2 mJ, backward 1.92 J;" in text
