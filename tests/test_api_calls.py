"""The Python API called exactly as a user writes it (issue 22's bugs, each a test)."""

from __future__ import annotations

import pytest

import chipsim
from chipsim.outputs import tables

#: mcu-train on the 80 KiB byte buffer it had before it had one memory: a byte-budget example.
ON_A_BUFFER = {"buffer_bytes": 81920}


def mcu_on_a_buffer() -> chipsim.Scenario:
    return chipsim.find_scenario("mcu-train").with_overrides(chip=ON_A_BUFFER)


def test_simulate_takes_a_scenario() -> None:
    scenario = mcu_on_a_buffer()
    result = chipsim.simulate("optimal", scenario)
    assert result.chain.name == scenario.chain.name and result.chip == scenario.chip
    assert (
        result.backward.latency_ns == chipsim.run_strategy(scenario, "optimal").backward.latency_ns
    )


def test_simulate_takes_a_dict_of_chip_fields() -> None:
    result = chipsim.simulate("disk-offload", {"loaddisk_ns": 50})
    assert result.backward.latency_ns == 500  # the course's tie with stride:k=5
    with pytest.raises(chipsim.ConfigError, match="loadmen_ns"):
        chipsim.simulate("disk-offload", {"loadmen_ns": 50})


def test_simulate_resizes_a_course_scenario_and_refuses_other_chips() -> None:
    assert chipsim.simulate("disk-offload", chipsim.Scenario(), layers=20).layers == 20
    with pytest.raises(chipsim.ConfigError, match="chip must be a ChipConfig"):
        chipsim.simulate("disk-offload", 3)


def test_compare_takes_one_strategy_as_a_string() -> None:
    outcomes = chipsim.compare(chipsim.Scenario(), "optimal")
    assert [outcome.strategy for outcome in outcomes] == ["optimal"]
    assert outcomes[0].result.backward.latency_ns == 260


def test_comparison_on_a_byte_budget_has_a_bytes_column() -> None:
    scenario = mcu_on_a_buffer()
    outcomes = chipsim.compare(scenario, ["full-store", "optimal"], math=False)
    table = tables.comparison(outcomes, scenario="mcu-train")
    assert table["buffer_bytes_needed"].tolist() == [164224, 78208]


def test_print_of_a_plan_on_a_byte_budget_counts_bytes(capsys: pytest.CaptureFixture) -> None:
    scenario = mcu_on_a_buffer()
    print(chipsim.make_plan("optimal", scenario.chain, scenario.chip))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "plan optimal for L=20: needs 76.38 KiB of buffer"
    assert lines[2] == "forward (40 ops; KiB in use after each):"
    assert "slot" not in "\n".join(lines)


def test_a_preset_loads_by_name_from_the_api() -> None:
    assert chipsim.find_scenario("mcu-train") == chipsim.load_scenario("scenarios/mcu-train.toml")
    assert "mcu-train" in chipsim.preset_names()


def test_does_not_fit_names_bytes_and_says_them_for_people() -> None:
    scenario = mcu_on_a_buffer()
    with pytest.raises(chipsim.DoesNotFit) as refusal:
        chipsim.simulate("full-store", scenario, math=False)
    error = refusal.value
    assert (error.bytes_needed, error.bytes_available, error.field) == (
        164224,
        81920,
        "buffer_bytes",
    )
    assert str(error) == (
        "full-store needs 160.4 KiB [164224 B] of buffer; the chip has 80 KiB [81920 B] "
        "(try --set buffer_bytes=164224)"
    )
    with pytest.raises(chipsim.DoesNotFit) as refusal:
        chipsim.simulate("full-store")  # the course chip counts slots: the message too
    assert str(refusal.value) == (
        "full-store needs 9 buffer slots; the chip has 2 (try --set buffer_slots=9)"
    )
    assert refusal.value.bytes_needed == 9 * refusal.value.slot_bytes
