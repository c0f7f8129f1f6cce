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


@pytest.mark.parametrize(
    ("name", "budget", "working"),
    [
        # 256 KiB less the stem's a0 + 2·a1; full-store keeps a1..a19 (the head's
        # 1,000 logits are a20): the activation total less a0 and the logits.
        ("mcu-train", 262_144 - 180_224, 49_152 + 2 * 65_536),
        # conv2_2's a(l-1) + 2·a(l) = 3 × 256·56·56 × 8192 images × 2 bytes.
        ("accelerator-train", 40_000_000_000, 3 * 256 * 56 * 56 * 8192 * 2),
    ],
)
def test_presets_fit_only_with_a_checkpointing_or_paging_plan(name, budget, working):
    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    chain = scenario.chain
    assert scenario.chip.buffer_bytes == budget
    assert chain.working_bytes == working
    inner = int(chain.activation_bytes[1:-1].sum())
    with pytest.raises(DoesNotFit) as refusal:
        simulate("full-store", scenario.chip, network=chain, math=False)
    assert (refusal.value.buffer_bytes_needed, refusal.value.slots_available) == (inner, budget)
    for spec in ("sqrt-n", "stride:k=3", "disk-offload"):
        result = simulate(spec, scenario.chip, network=chain, math=False)
        assert result.trace.buffer_bytes_used.max() <= budget


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
