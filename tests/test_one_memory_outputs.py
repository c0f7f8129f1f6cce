"""What people read on a chip with one memory (``memory_bytes``): run and plan text, the
Python accessor, compare's refusal rows and units, fit when nothing fits.

The network is mlp 8-16-4 in float32 (test_fit.py derives its figures): full-store
peaks in ``bwd 1`` at 1888 bytes, weights 848 and their gradients 848, a0 32 bytes
of activations, dL/da1 64 + dL/da0 32 bytes of gradients and stage 1's recorded
tanh output, 64 bytes.
"""

from __future__ import annotations

import json

from click.testing import CliRunner
from test_fit import HAND, PEAKS, RESNET

from chipsim import ChipConfig, simulate
from chipsim.cli import main
from chipsim.sim.plan_memory import MemoryAtPeak

MLP = ("--fixed-latencies", "--network", "mlp:widths=8,16,4")
ROLES_AT_PEAK = {
    "checkpoints": 0,
    "recorded": 64,
    "activations": 32,
    "gradients": 96,
    "workspace": 0,
    "weights": 848,
    "weight_gradients": 848,
    "optimizer_state": 0,
}


def invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_run_prints_the_one_memorys_peak_by_role_not_the_buffers() -> None:
    output = invoke("run", *MLP, "--set", "memory_bytes=100000", "--strategy", "full-store")
    assert (
        "\nmemory at its peak: 1888 B of 97.66 KiB [100000 B] (1.9 %), during `bwd 1` "
        "(op 4 of the backward phase)\n"
        "  kept: checkpoints 0 B, recorded 64 B; op in flight: activations 32 B, "
        "gradients 96 B, workspace 0 B; resident: weights 848 B, weight gradients 848 B, "
        "optimizer state 0 B\n"
        "gradients: bitwise equal to plain backprop (max |diff| = 0.0)\n"
    ) in output
    assert "peak buffer bytes" not in output and "working memory" not in output


def test_the_text_has_the_figures_of_the_json_memory_object() -> None:
    args = ("run", *MLP, "--set", "memory_bytes=100000", "--strategy", "full-store")
    memory = json.loads(invoke(*args, "--json"))["memory"]
    assert memory == {
        "memory_bytes": 100000,
        "peak_bytes": 1888,
        "peak_op": "bwd 1",
        "peak_at": "op 4 of the backward phase",
        "by_role": ROLES_AT_PEAK,
    }
    assert sum(memory["by_role"].values()) == memory["peak_bytes"]


def test_the_result_answers_does_it_fit_through_memory_at_peak() -> None:
    result = simulate("full-store", ChipConfig(memory_bytes=100), network=HAND, math=False)
    peak = result.memory_at_peak
    assert peak == MemoryAtPeak(
        100, 38, "bwd 3", "op 1 of the backward phase",
        {"checkpoints": 16, "recorded": 0, "activations": 8, "gradients": 10, "workspace": 0,
         "weights": 3, "weight_gradients": 1, "optimizer_state": 0},
    )  # fmt: skip
    assert peak.fits and peak.as_dict() == result.to_dict()["memory"]
    assert simulate("stride:k=5").memory_at_peak is None  # the course chip: no one memory


def test_plan_lists_the_memory_in_use_during_each_op_and_marks_the_peak() -> None:
    output = invoke("plan", *MLP, "--set", "memory_bytes=100000", "--strategy", "full-store")
    assert output.startswith(
        "plan full-store for L=2: needs 1888 B of the 97.66 KiB [100000 B] memory at its "
        "peak, during `bwd 1` (op 4 of the backward phase)\n"
        "forward (4 ops; memory bytes during each, of it checkpoints):\n"
        "  loadmem 0        880  0\n"
        "  fwd 1 (record)  1008  0\n"
        "  storemem 1      1040  64\n"
        "  fwd 2 (record)  1072  64\n"
        "backward (5 ops; memory bytes during each, of it checkpoints):\n"
        "  loadmem 1       1072  64\n"
        "  bwd 2           1408  64\n"
        "  free 1          1312  64\n"
        "  loadmem 0       1280  0\n"
        "  bwd 1           1888  0  <- peak\n"
    )
    assert "of buffer" not in output


def test_compare_json_refusal_rows_carry_the_memory_needed_and_its_peak() -> None:
    args = ("compare", *MLP, "--set", "memory_bytes=1000", "--json")
    rows = json.loads(invoke(*args, "--strategy", "full-store"))["results"]
    (row,) = rows
    assert (row["fits"], row["memory_bytes_needed"]) == (False, 1888)
    assert row["memory"] == {
        "memory_bytes": 1000,
        "peak_bytes": 1888,
        "peak_op": "bwd 1",
        "peak_at": "op 4 of the backward phase",
        "by_role": ROLES_AT_PEAK,
    }


def test_compare_reads_one_memory_in_its_budgets_unit() -> None:
    output = invoke(
        "compare", "--fixed-latencies", "--network", RESNET, "--set", "memory_bytes=262144",
        "--strategy", "full-store",
    )  # fmt: skip
    header = output.splitlines()[3]
    assert "memory KiB (of 256)" in header, header
    needed = next(line for line in output.splitlines() if line.startswith("full-store"))
    assert needed.split()[:3] == ["full-store", "no", str(round(PEAKS[1] / 1024))]


def test_fit_says_plainly_that_nothing_fits_and_why() -> None:
    memory_bytes = PEAKS[1] - 1
    output = invoke(
        "fit", "--fixed-latencies", "--network", RESNET, "--set", f"memory_bytes={memory_bytes}",
        "--strategy", "full-store",
    )  # fmt: skip
    assert "Nothing fits: no strategy trains within memory_bytes = " in output
    assert f"[{memory_bytes} B], not even at batch 1." in output
    assert f"[{PEAKS[1]} B] (full-store), 1 B more than the chip has." in output
    assert "\nWhy: full-store needs " in output  # its refusal, naming what is live
    assert f"(try --set memory_bytes={PEAKS[1]}): the peak is at `" in output
    table = output[output.index("max_batch min_memory") :].splitlines()
    assert table[0].split()[0] == "max_batch" and len(table[0].split()) == 2  # no dashes
    assert table[2].split()[:2] == ["full-store", "0"]


def test_compare_counts_the_bwds_that_recompute_their_stage_on_one_memory_only() -> None:
    """mlp 8-16-4 on one memory: full-store records both stages (no bwd recomputes),
    disk-offload records none (both bwds recompute, and recompute_fwd says 0)."""
    text = invoke("compare", *MLP, "--set", "memory_bytes=100000")
    header, rows = text.splitlines()[3], text.splitlines()[5:]
    end = header.index("recompute_in_bwd") + len("recompute_in_bwd")  # cells align right
    counts = {row.split()[0]: row[:end].split()[-1] for row in rows if row.strip()}
    assert counts["full-store"] == "0" and counts["disk-offload"] == "2"
    assert "recompute_in_bwd" not in invoke("compare", *MLP, "--set", "buffer_bytes=128")
