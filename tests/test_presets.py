"""Presets by name and the guard-rails around them (issue 22)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import chipsim
from chipsim.cli import main
from chipsim.study.presets import preset_descriptions, preset_folder, preset_names

ROOT = Path(__file__).resolve().parent.parent


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_presets_ship_inside_the_package_once() -> None:
    assert preset_folder() == ROOT / "chipsim" / "scenarios"
    assert (ROOT / "scenarios").resolve() == preset_folder()  # the repository's path links there
    names = {"course", "mcu", "mcu-train", "accelerator", "accelerator-train", "m4f", "mkr1000"}
    assert names <= set(preset_names())
    setup = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    assert "chipsim = scenarios/*.toml, scenarios/README.md" in setup  # package data


def test_run_a_preset_by_name_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    buffer = ("--set", "buffer_bytes=81920")  # mcu-train's old byte buffer: it fits there
    code, out, _ = invoke("run", "mcu-train", *buffer, "--strategy", "optimal", "--json")
    assert code == 0
    assert json.loads(out)["backward"]["latency_ns"] == pytest.approx(145546974.74074078)
    code, by_path, _ = invoke("run", str(ROOT / "scenarios" / "mcu-train.toml"), *buffer,
                              "--strategy", "optimal", "--json")  # fmt: skip
    assert (code, by_path) == (0, out)


def test_scenarios_lists_every_preset_with_its_description() -> None:
    code, out, _ = invoke("scenarios")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == preset_names()
    described = preset_descriptions()
    assert all(line.split(None, 1)[1] == described[line.split()[0]] for line in lines)


def test_a_name_that_is_neither_a_file_nor_a_preset_lists_the_names() -> None:
    code, out, err = invoke("run", "mcu-trian")
    assert code == 2 and out == ""
    assert err == (
        "chipsim: error: no scenario file or preset named 'mcu-trian' (did you mean "
        f"'mcu-train'?); presets: {', '.join(preset_names())} "
        "(`chipsim scenarios` describes them)\n"
    )
    code, _, err = invoke("run", "nowhere/mcu.toml")  # a path keeps the file's own error
    assert (code, err) == (2, "chipsim: error: nowhere/mcu.toml: no such scenario file\n")


def test_fixed_latencies_on_differing_stages_are_refused_in_one_line() -> None:
    code, _, err = invoke("run", "--network", "resnet18", "--set", "buffer_bytes=100000000")
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith("chipsim: error: resnet18 has stages of different sizes")
    assert "set compute_macs_per_ns" in err and "--fixed-latencies" in err and "mcu-train" in err
    opted_in = ("run", "--network", "resnet18", "--set", "buffer_bytes=100000000")
    assert invoke(*opted_in, "--fixed-latencies", "--json")[0] == 0
    priced = ("--set", "compute_macs_per_ns=1000", "--json")
    assert invoke(*opted_in, *priced)[0] == 0
    assert invoke("run", "--json")[0] == 0  # the course's equal layers need no rates


def test_a_rate_derived_for_another_network_warns_on_stderr_only() -> None:
    args = ("run", "accelerator", "--network", "gpt2:blocks=2", "--set", "buffer_bytes=10000000000",
            "--strategy", "disk-offload", "--json")  # fmt: skip
    code, out, err = invoke(*args)
    assert code == 0 and json.loads(out)["strategy"] == "disk-offload"
    assert err == (
        "chipsim: warning: accelerator's compute_macs_per_ns = 1019.5 was derived for an MLP "
        "at batch 1 (a weight-read-bound matrix-vector product); gpt2:blocks=2,dtype_bytes=2 may "
        "run at another rate (--set compute_macs_per_ns=...)\n"
    )
    assert invoke(*args, "--set", "compute_macs_per_ns=156000")[2] == ""  # the user's rate
    assert invoke("run", "accelerator", "--width", "4096", "--no-math", "--json")[2] == ""
    assert invoke("run", "accelerator-train", "--no-math", "--json")[2] == ""
    for name in ("accelerator", "accelerator-train"):
        assert "derived for" in preset_descriptions()[name]


def test_accelerator_presets_declare_energy_and_mcu_presets_say_they_do_not() -> None:
    for name in ("accelerator", "accelerator-train"):
        chip = chipsim.find_scenario(name).chip
        assert (chip.compute_pj_per_mac, chip.mem_pj_per_byte, chip.disk_pj_per_byte) == (
            1.5,
            31.2,
            2857,
        )
    scenario = chipsim.find_scenario("accelerator-train")
    result = chipsim.simulate("optimal:objective=energy", scenario, math=False)
    # batch 2048 (issue 20); the exact one-memory DP records, so it spends less than
    # sqrt-n (51.67e9 nJ), the best built-in that fits
    assert result.energy_nj == pytest.approx(40.67e9, rel=1e-3)
    assert result.energy_nj < chipsim.simulate("sqrt-n", scenario, math=False).energy_nj
    code, out, _ = invoke("pareto", "accelerator", "--budgets", "0,8192", "--weights", "1")
    assert code == 0 and "yes" in out
    for name in ("mcu", "mcu-train"):
        assert not chipsim.find_scenario(name).chip.has_energy
        assert "no measured energy" in preset_descriptions()[name]


def test_gpt2_train_blocks_match_korthikanti_at_the_presets_batch() -> None:
    """Korthikanti et al. 2022, eq. 1: s·b·h·(34 + 5·a·s/h) bytes a layer (16-bit
    activations, 1-byte masks), with the block input (2·s·b·h) counted and LayerNorm's
    statistics (2 LayerNorms × 2 × s·b float32) left out; the preset's comments."""
    scenario = chipsim.find_scenario("gpt2-train")
    s, b, h, a = 1024, 64, 768, 12
    theirs = s * b * h * (34 + 5 * a * s // h)
    assert theirs == 5_737_807_872
    blocks = scenario.chain.stages[1:-1]
    assert len(blocks) == 12
    for block in blocks:
        assert block.saved_bytes == theirs - 2 * s * b * h + 2 * 2 * s * b * 4 == 5_638_193_152


def test_gpt2_train_fits_a_frameworks_step_and_optimal_is_as_fast() -> None:
    code, out, _ = invoke("compare", "gpt2-train", "--json")
    assert code == 0
    rows = {row["strategy"]: row for row in json.loads(out)["results"]}
    full, best = rows["full-store"], rows["optimal"]
    assert full["fits"] and best["fits"]
    assert full["memory"]["peak_bytes"] == 77_501_027_328  # 72.18 GiB of the 74.51
    assert best["backward"]["latency_ns"] <= full["backward"]["latency_ns"]
