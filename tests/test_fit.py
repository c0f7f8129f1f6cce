"""``chipsim fit``: the largest batch within memory_bytes, the smallest memory at a batch.

The hand chain is 3 stages in bytes (dtype 1): a0..a3 = 2, 8, 8, 2 bytes, one
parameter per stage (3 bytes of weights), nothing saved, no workspace, SGD
per step. Its peaks, by the roles of chipsim/model/training_memory.py:

- full-store at ``bwd 3``: checkpoints a1 + a2 = 16, activations a2 = 8,
  gradients dL/da3 + dL/da2 = 2 + 8, weights 3, stage 3's weight gradient 1: 38.
- stride:k=2 at ``bwd 3``: checkpoint a2 = 8, activations 8, gradients 10,
  weights 3, weight gradient 1: 30.
- disk-offload at ``bwd 2``: activations a1 = 8, gradients a2 + a1 = 16,
  weights 3, weight gradients of stages 3 and 2: 29. Every plan runs ``bwd 2``
  with exactly these bytes live, so 29 is the least any plan can need: optimal,
  planning under 29 bytes, reaches it.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from chipsim import ChipConfig, DoesNotFit, execute, make_plan
from chipsim.cli import main
from chipsim.model.networks import build_network
from chipsim.model.stages import Chain, Stage
from chipsim.study import fit as fit_module
from chipsim.study.fit import (
    Fit,
    at_batch,
    batch_of,
    first_fitting,
    largest_batch,
    peak_if_fits,
    smallest_memory_bytes,
)

HAND = Chain(
    "hand",
    (2,),
    [Stage("s1", (8,), 0, 0, 1), Stage("s2", (8,), 0, 0, 1), Stage("s3", (2,), 0, 0, 1)],
    dtype_bytes=1,
)
ROOMY = ChipConfig(memory_bytes=10**6)


def memory(memory_bytes: int) -> ChipConfig:
    return ROOMY.replace({"memory_bytes": memory_bytes})


@pytest.mark.parametrize(
    ("strategy", "least"),
    [
        ("full-store", 38),
        ("stride:k=2", 30),
        ("disk-offload", 29),
        ("optimal", 29),  # the least any plan needs (bwd 2), found by bisection
        ("revolve", 37),  # one byte under full-store: revolve keeps fewer snapshots there
    ],
)
def test_the_smallest_memory_is_exact_it_runs_there_and_not_one_byte_less(
    strategy: str, least: int
) -> None:
    assert smallest_memory_bytes(strategy, HAND, ROOMY) == least
    execute(make_plan(strategy, HAND, memory(least)), memory(least), HAND)  # the engine runs it
    assert not isinstance(peak_if_fits(strategy, HAND, memory(least - 1)), int)


def test_tensors_a_recording_forward_keeps_count_toward_the_smallest_memory() -> None:
    # stage 2 saves 4 bytes: full-store records it, and keeps it through bwd 3 (38 + 4);
    # stride:k=2 recomputes it inside bwd 2 instead (29 + 4 of workspace)
    stages = [Stage("s1", (8,), 0, 0, 1), Stage("s2", (8,), 0, 0, 1, saved_bytes=4)]
    saves = Chain("saves", (2,), [*stages, Stage("s3", (2,), 0, 0, 1)], dtype_bytes=1)
    assert smallest_memory_bytes("full-store", saves, ROOMY) == 42
    assert smallest_memory_bytes("stride:k=2", saves, ROOMY) == 33
    assert smallest_memory_bytes("optimal", saves, ROOMY) == 33


def test_a_plan_that_ignores_the_budget_needs_exactly_its_peak() -> None:
    plan = make_plan("full-store", HAND, memory(38))
    execute(plan, memory(38), HAND)
    with pytest.raises(DoesNotFit, match="full-store needs 38 B of memory; the chip has 37 B"):
        execute(plan, memory(37), HAND)


#: resnet18 at 32 px, float32: full-store's plan does not depend on the memory, so its
#: peak at each batch is the least memory that trains that batch.
RESNET = "resnet18:resolution=32"


def full_store_peak(batch: int) -> int:
    peak = peak_if_fits("full-store", build_network(at_batch(RESNET, batch)), memory(10**12))
    assert isinstance(peak, int)
    return peak


PEAKS = {batch: full_store_peak(batch) for batch in range(1, 7)}


def test_the_peak_grows_with_the_batch() -> None:
    assert all(PEAKS[batch] < PEAKS[batch + 1] for batch in range(1, 6))


@pytest.mark.parametrize(
    ("memory_bytes", "batch"),
    [(PEAKS[5], 5), (PEAKS[6] - 1, 5), (PEAKS[6], 6), (PEAKS[1], 1), (PEAKS[1] - 1, 0)],
)
def test_the_largest_batch_is_the_last_whose_peak_fits(memory_bytes: int, batch: int) -> None:
    assert largest_batch("full-store", RESNET, ChipConfig(memory_bytes=memory_bytes)) == batch


@pytest.mark.parametrize("strategy", ["revolve", "optimal", "sqrt-n"])
def test_a_plan_made_under_the_memory_fits_at_the_largest_batch_not_one_more(
    strategy: str,
) -> None:
    chip = ChipConfig(memory_bytes=PEAKS[3])
    batch = largest_batch(strategy, RESNET, chip)
    assert batch >= 3  # it fits at least what full-store fits
    at, over = (build_network(at_batch(RESNET, b)) for b in (batch, batch + 1))
    assert isinstance(peak_if_fits(strategy, at, chip), int)
    assert not isinstance(peak_if_fits(strategy, over, chip), int)


def test_the_engine_runs_the_largest_batch_and_refuses_one_more() -> None:
    chip = ChipConfig(memory_bytes=PEAKS[6] - 1)
    five, six = (build_network(at_batch(RESNET, b)) for b in (5, 6))
    execute(make_plan("full-store", five, chip), chip, five)
    with pytest.raises(DoesNotFit):
        execute(make_plan("full-store", six, chip), chip, six)


def test_the_batch_search_stops_at_its_documented_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fit_module, "MAX_BATCH", 6)  # limits.MAX_DIMENSION in earnest
    chip = ChipConfig(memory_bytes=10**12)
    assert largest_batch("full-store", RESNET, chip) == 6
    assert Fit("full-store", 1, max_batch=6).as_dict()["max_batch_capped"] is True


def test_batch_specs() -> None:
    assert at_batch("resnet18", 8) == "resnet18:batch=8"
    spec = "mobilenetv2:width_mult=0.35,batch=2"
    assert at_batch(spec, 3) == "mobilenetv2:batch=3,width_mult=0.35"
    assert (batch_of("mobilenetv2:width_mult=0.35"), batch_of("resnet18:batch=8")) == (1, 8)
    assert batch_of("mlp:widths=8,16,4") is None and batch_of(None) is None
    assert batch_of("stages.csv") is None


def test_bisection_finds_the_first_that_holds() -> None:
    calls: list[int] = []

    def at_least_37(n: int) -> bool:
        calls.append(n)
        return n >= 37

    assert first_fitting(0, 100, at_least_37) == 37
    assert len(calls) <= 7  # log2(100) rounded up


def invoke(*args: str):
    """``chipsim fit`` priced by fixed latencies: the figures here are bytes, not time."""
    return CliRunner().invoke(main, ["fit", "--fixed-latencies", *args])


def test_fit_refuses_a_chip_without_one_memory_before_any_work() -> None:
    result = invoke("--network", "resnet18")
    assert result.exit_code == 2
    assert result.output == (
        "chipsim: error: fit answers for the chip's one memory: set it, "
        "e.g. --set memory_bytes=262144\n"
    )


def test_fit_json_gives_exact_integers_per_strategy() -> None:
    memory_bytes = PEAKS[6] - 1
    result = invoke(
        "--network", RESNET, "--set", f"memory_bytes={memory_bytes}",
        "--strategy", "full-store", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert (payload["batch"], payload["memory_bytes"]) == (1, memory_bytes)
    (row,) = payload["results"]
    assert row["strategy"] == "full-store"
    assert (row["max_batch"], row["peak_bytes"], row["min_memory_bytes"]) == (5, PEAKS[5], PEAKS[1])
    assert row["step_ns"] > 0 and row["max_batch_capped"] is False


def test_a_network_without_batch_answers_the_smallest_memory_only() -> None:
    # mlp 8-16-4, float32: weights (8·16 + 16 + 16·4 + 4)·4 = 848 bytes, their gradients
    # 848 more; both peak in bwd 1: a0 32 + dL/da1 64 + dL/da0 32 bytes, and stage 1's
    # saved tanh output, 16·4 = 64 bytes (recorded by full-store, recomputed by stride).
    result = invoke(
        "--network", "mlp:widths=8,16,4", "--set", "memory_bytes=100000",
        "--strategy", "full-store", "--strategy", "stride:k=1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert ["min_memory_B"] in [line.split() for line in lines]  # the one column
    assert next(line for line in lines if line.startswith("full-store")).split() == [
        "full-store",
        str(2 * 848 + 32 + 64 + 32 + 64),
    ]
    assert "has no batch parameter: only the smallest memory is answered" in result.output
    assert "Jain et al., MLSys 2020" in result.output
