"""The real-network presets, the byte figures and the report of a network scenario.

The presets' numbers are derived from the stage tables (docs/networks.md):
MobileNetV2-0.35 at 128 in int8 has a0 = 3·128·128 = 49,152 B and the stem's
output 16·64·64 = 65,536 B (32 × 0.35 rounds up to 16 channels); ResNet-50's
conv2 blocks output 256·56·56 elements per image.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from chipsim import DoesNotFit, Scenario, load_scenario, simulate
from chipsim.outputs.byte_plots import (
    budget_chart,
    budget_curve,
    buffer_bytes_chart,
    buffer_bytes_steps,
)
from chipsim.outputs.plots import DPI, save
from chipsim.outputs.report import write_report

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def test_mcu_train_full_backprop_does_not_fit_256_kib_and_says_what_it_needs() -> None:
    # issue 20: the 256 KiB hold everything at once. Trained int8 weights alone are
    # the network's 1,677,128 parameters; the refusal names the peak's op and roles.
    scenario = load_scenario(SCENARIOS / "mcu-train.toml")
    assert (scenario.chip.memory_bytes, scenario.chip.buffer_bytes) == (262_144, None)
    for strategy in ("full-store", "sqrt-n", "optimal"):
        with pytest.raises(DoesNotFit) as refusal:
            simulate(strategy, scenario.chip, network=scenario.chain, math=False)
        assert refusal.value.field == "memory_bytes"
        assert refusal.value.bytes_needed > 1_677_128 + 262_144
        assert "the peak is at `" in str(refusal.value) and "weights 1.599 MiB" in str(
            refusal.value
        )


def test_mcu_train_fits_training_the_classifier_alone_with_frozen_weights_in_flash() -> None:
    # MCUNetV3's choice at stage granularity: a 10-class head at 112 px, the classifier
    # trained, every frozen weight in flash. Its forward through block2_1 is the peak.
    scenario = load_scenario(SCENARIOS / "mcu-train.toml")
    network = "mobilenetv2:width_mult=0.35,resolution=112,dtype_bytes=1,classes=10,saves=deployed"
    sparse = scenario.with_overrides(chip={"train": "last:1"}, network=network)
    result = simulate("optimal", sparse.chip, network=sparse.chain, math=False)
    memory = result.to_dict()["memory"]
    assert memory["peak_bytes"] == 232_330 <= 262_144
    assert memory["peak_op"] == "fwd 3"


def test_accelerator_train_holds_resnet50_with_adam_only_with_a_checkpointing_plan() -> None:
    scenario = load_scenario(SCENARIOS / "accelerator-train.toml")
    chip, chain = scenario.chip, scenario.chain
    assert (chip.memory_bytes, chip.optimizer, chip.weight_dtype_bytes) == (80 * 10**9, "adam", 4)
    state = 25_557_032 * (4 + 8)  # fp32 master weights and two Adam states per parameter
    with pytest.raises(DoesNotFit) as refusal:
        simulate("full-store", chip, network=chain, math=False)
    assert refusal.value.bytes_needed > 80 * 10**9
    for spec in ("sqrt-n", "optimal"):
        memory = simulate(spec, chip, network=chain, math=False).to_dict()["memory"]
        assert memory["peak_bytes"] <= 80 * 10**9
        by_role = memory["by_role"]
        assert by_role["weights"] + by_role["optimizer_state"] == state


def test_mcu_train_totals_match_the_slim_table() -> None:
    # The TF-Slim MobileNetV2 table (docs/networks.md) lists 0.35 at 128 as 20 M MACs;
    # the stage table gives the exact count, and the full activation footprint
    # is far above the 81,920-byte buffer.
    chain = load_scenario(SCENARIOS / "mcu-train.toml").chain
    assert round(chain.totals()["macs_fwd"] / 1e6) == 20
    assert chain.dtype_bytes == 1


# The figures' numbers, by hand on mlp:widths=8,4,6,2,5 (a0..a4: 32, 16, 24, 8, 20 B).

WORKED = Scenario(network="mlp:widths=8,4,6,2,5").with_overrides(chip={"buffer_bytes": 100})


def test_buffer_bytes_steps_by_hand() -> None:
    # stride:k=2 (tests/test_real_networks.py): a2 stored at 50 ns, a4 at 90, a4 freed at 90,
    # a2 freed at 130 (fwd 20, loadmem 10, the rest 0).
    frame = simulate("stride:k=2", WORKED.chip, network=WORKED.chain).frame
    steps = buffer_bytes_steps(frame)
    assert steps.values.tolist() == [[0, 0], [50, 24], [90, 44], [90, 24], [130, 0]]


def test_budget_curve_by_hand() -> None:
    # stride:k=2 needs 44 B and takes 80 ns backward; full-store needs a1..a3 = 48 B
    # and loads each a(l-1) once: 4 × 10 = 40 ns; disk-offload needs 0 B and 4 × 100 ns.
    curve = budget_curve(WORKED, ["stride:k=2", "full-store", "disk-offload"], [0, 44, 47, 48])
    assert curve["budget_bytes"].tolist() == [0, 44, 47, 48]
    assert np.isnan(curve["stride:k=2"].iloc[0])
    assert curve["stride:k=2"].tolist()[1:] == [80, 80, 80]
    assert [math.isnan(v) for v in curve["full-store"]] == [True, True, True, False]
    assert curve["full-store"].iloc[3] == 40
    assert curve["disk-offload"].tolist() == [400, 400, 400, 400]


@pytest.mark.parametrize(
    ("name", "make", "inches"),
    [
        (
            "buffer_bytes",
            lambda: buffer_bytes_chart(
                simulate("sqrt-n", WORKED.chip, network=WORKED.chain).frame, budget_bytes=100
            ),
            (8, 3.2),
        ),
        ("budget", lambda: budget_chart(WORKED, ["stride:k=2", "sqrt-n", "full-store"]), (8, 4.5)),
    ],
)
def test_byte_figures_render(tmp_path: Path, name, make, inches) -> None:
    path = tmp_path / f"{name}.png"
    save(make(), path)
    image = imread(path)
    assert image.shape[:2] == (round(inches[1] * DPI), round(inches[0] * DPI))
    assert image.std() > 0.01


def test_a_network_report_shows_bytes_and_its_own_figures(tmp_path: Path) -> None:
    # resmlp:width=8,blocks=12: every activation 32 B; 128 B hold 4, full-store needs 11·32.
    scenario = Scenario(network="resmlp:width=8,blocks=12", description="twelve blocks")
    scenario = scenario.with_overrides(chip={"buffer_bytes": 128})
    path = write_report(scenario, tmp_path / "report")
    text = path.read_text(encoding="utf-8")
    assert "| strategy | fits | bytes (of 128) |" in text
    assert "| full-store | no | 352 |" in text
    assert "course's questions" not in text
    assert "breakeven.png" not in text and "scaling.png" not in text
    assert sorted(p.name for p in path.parent.glob("*.png")) == [
        "budget.png",
        "buffer.png",
        "timeline.png",
    ]
