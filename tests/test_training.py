"""Training only some stages (issue 20): ``train`` and ``weights_in``.

The network is mlp:widths=8,16,16,16,4 (float32): forward MACs 128, 256, 256, 64,
params 144, 272, 272, 68 (weights and biases), so weight bytes 576, 1088, 1088, 272.
Prices are MACs at 1 per ns with every fixed latency 0.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner

from chipsim import ChipConfig, ConfigError, execute, make_plan, simulate
from chipsim.cli import main
from chipsim.cli.options import build_scenario
from chipsim.model.costs import Costs
from chipsim.model.networks import build_network
from chipsim.model.ops import KIND_CODE
from chipsim.sim.plan_memory import use_of

NETWORK = "mlp:widths=8,16,16,16,4"
CHAIN = build_network(NETWORK)
FIXED = {name: 0 for name in ("fwd_ns", "bwd_ns", "loadmem_ns", "storemem_ns", "loaddisk_ns")}
WEIGHT_BYTES = [576, 1088, 1088, 272]


def chip(**fields: object) -> ChipConfig:
    return ChipConfig(memory_bytes=10**6, compute_macs_per_ns=1, **FIXED, **fields)


@pytest.mark.parametrize(
    ("train", "trained"),
    [
        ("all", [1, 2, 3, 4]),
        ("last:2", [3, 4]),
        ("from:dense2", [2, 3, 4]),
        ("dense1,dense3", [1, 3]),
        (("dense4", "dense2"), [2, 4]),
    ],
)
def test_train_selects_stages_by_count_name_or_list(train: object, trained: list[int]) -> None:
    mask = chip(train=train).training.trained(CHAIN)
    assert np.flatnonzero(mask).tolist() == trained


@pytest.mark.parametrize(
    ("train", "message"),
    [
        ("last:5", "train=last:N takes N from 1 to 4 (the stages), got '5'"),
        ("from:dense9", "train names stage 'dense9', which mlp:widths=8,16,16,16,4 does not"),
        ("dens2", "did you mean dense2"),
    ],
)
def test_a_train_that_names_no_stage_is_one_line(train: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        make_plan("full-store", CHAIN, chip(train=train))


def test_the_cli_refuses_a_missing_stage_with_exit_2() -> None:
    args = ["run", "--network", NETWORK, "--set", "memory_bytes=100000", "--set", "train=dense9"]
    args.append("--fixed-latencies")  # the course chip's fixed latencies, on purpose
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "train names stage 'dense9'" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("strategy", ["full-store", "sqrt-n", "stride:k=2", "revolve", "optimal"])
def test_backprop_ends_at_the_lowest_trained_stage(strategy: str) -> None:
    plan = make_plan(strategy, CHAIN, chip(train="last:2"))
    steps = [op.layer for op in plan.backward if op.kind == "bwd"]
    assert steps[-1] == 3 and min(steps) == 3
    assert plan.notes[-1] == "backprop ends at stage 3: the stages below it are frozen"
    assert not any(op.record for op in plan.forward if op.layer < 3)


def test_a_frozen_stage_above_the_lowest_passes_only_its_input_gradient() -> None:
    costs = Costs(chip(train="dense1,dense3"), CHAIN)
    bwd = costs.priced_ns[KIND_CODE["bwd"]]  # recomputes first: forward + gradient work
    assert bwd[1:].tolist() == [128 + 256, 256 + 256, 256 + 512, 64 + 64]


def test_full_store_backward_on_the_last_two_stages_is_their_gradient_work() -> None:
    result = simulate("full-store", chip(train="last:2"), network=NETWORK)
    assert result.backward.latency_ns == 2 * 256 + 2 * 64


@pytest.mark.parametrize("train", ["last:1", "from:dense2", "dense1,dense3"])
@pytest.mark.parametrize("strategy", ["full-store", "sqrt-n", "stride:k=2", "disk-offload"])
def test_trained_gradients_stay_bitwise_equal_and_frozen_stages_report_none(
    train: str, strategy: str
) -> None:
    trainer = chip(train=train)
    assert simulate(strategy, trainer, network=NETWORK).max_abs_grad_diff == 0.0
    reported: list[int] = []
    plan = make_plan(strategy, CHAIN, trainer)
    execute(plan, trainer, CHAIN.model(0), on_gradients=lambda layer, _: reported.append(layer))
    assert sorted(reported) == np.flatnonzero(trainer.training.trained(CHAIN)).tolist()


def test_frozen_weights_in_flash_leave_the_memory_and_have_no_state() -> None:
    plan = make_plan("full-store", CHAIN, chip(train="last:2", weights_in="flash"))
    trainer = chip(train="last:2", weights_in="flash", optimizer="adam")
    memory = use_of(plan, trainer, CHAIN)
    trained_bytes = WEIGHT_BYTES[2] + WEIGHT_BYTES[3]
    assert set(memory.by_role["weights"].tolist()) == {trained_bytes}
    assert set(memory.by_role["optimizer_state"].tolist()) == {2 * trained_bytes}
    assert memory.by_role["weight_gradients"].max() == trained_bytes
    in_memory = use_of(plan, chip(train="last:2"), CHAIN)
    assert set(in_memory.by_role["weights"].tolist()) == {sum(WEIGHT_BYTES)}


STRATEGIES = ["full-store", "sqrt-n", "stride:k=2", "revolve", "disk-offload",
              "disk-offload:prefetch=1", "stride:k=2,prefetch=1"]  # fmt: skip


def loaded_later(plan, index: int) -> bool:
    """Whether the next op on the checkpoint stored at op ``index`` (a load, store or
    free of that activation in that place) loads it."""
    op = plan.op(index)
    place = op.kind.removeprefix("store")
    same = {"store" + place, "load" + place, "free" if place == "mem" else ""}
    later = (plan.op(i) for i in range(index + 1, len(plan)))
    following = next((o for o in later if o.kind in same and o.layer == op.layer), None)
    return following is not None and following.kind == "load" + place


def stores(plan) -> list[int]:
    return [i for i in range(len(plan)) if plan.op(i).kind in ("storemem", "storedisk")]


def test_frozen_stages_keep_nothing_full_store_stores_only_what_backprop_reads() -> None:
    plan = make_plan("full-store", CHAIN, chip(train="last:2"))
    assert [str(op) for op in plan.forward] == [
        "loadmem 0", "fwd 1", "fwd 2", "storemem 2", "fwd 3 (record)", "storemem 3",
        "fwd 4 (record)",
    ]  # fmt: skip
    assert [str(op) for op in plan.backward] == [
        "loadmem 3",
        "bwd 4",
        "free 3",
        "loadmem 2",
        "bwd 3",
    ]


@pytest.mark.parametrize("train", ["last:1", "last:2", "from:dense2", "dense2,dense4"])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_checkpoint_a_partial_plan_stores_is_loaded_and_its_gradients_hold(
    train: str, strategy: str
) -> None:
    """No strategy keeps or pages a frozen stage's activation that backprop never reads;
    prefetching plans train only some stages too, with the same gradients."""
    trainer = chip(train=train, staging_slots=2)
    plan = make_plan(strategy, CHAIN, trainer)
    assert all(loaded_later(plan, index) for index in stores(plan))
    assert plan.staging_in_use()[-1] == 0 if plan.prefetch.any() else True
    assert simulate(strategy, trainer, network=NETWORK).max_abs_grad_diff == 0.0


def test_training_only_the_classifier_full_store_fits_the_mcu_as_optimal_does() -> None:
    """mcu-train with the last stage trained: before the frozen stages stopped keeping
    their outputs, full-store kept a1..a19 (307,594 B, over the 256 KiB)."""
    network = "mobilenetv2:width_mult=0.35,resolution=112,dtype_bytes=1,classes=10,saves=deployed"
    scenario = build_scenario("mcu-train", None, None, None, ("train=last:1",), network)
    chain, trainer = scenario.chain, scenario.chip
    peaks = {}
    for strategy in ("full-store", "disk-offload", "optimal"):
        plan = make_plan(strategy, chain, trainer)
        assert [op.layer for op in plan.forward if op.kind.startswith("store")] == [19]
        peaks[strategy] = use_of(plan, trainer, chain).peak_bytes
    assert peaks == dict.fromkeys(peaks, 232_330)


def test_frozen_weights_in_flash_are_read_at_flash_bandwidth_and_energy_each_pass() -> None:
    """dense2 and dense4 frozen in flash: 1088 and 272 weight bytes, read once by a fwd
    and a recorded bwd, twice by a bwd that recomputes first; at 2 B/ns and 10 pJ/B.
    Trained stages' weights are in memory: no flash read."""
    flash = {"flash_bytes_per_ns": 2, "flash_pj_per_byte": 10}
    costs = Costs(chip(train="dense1,dense3", weights_in="flash", **flash), CHAIN)
    fwd, bwd, recorded = (costs.priced_ns[code].tolist() for code in (0, 1, 7))
    assert fwd == [0, 128, 256 + 1088 // 2, 256, 64 + 272 // 2]
    assert bwd == [0, 128 + 256, 256 + 256 + 2 * 1088 // 2, 256 + 512, 64 + 64 + 2 * 272 // 2]
    assert recorded == [0, 256, 256 + 1088 // 2, 512, 64 + 272 // 2]
    assert costs.priced_energy_nj[0].tolist() == [0, 0, 1088 * 10 / 1000, 0, 272 * 10 / 1000]
    in_memory = Costs(chip(train="dense1,dense3", **flash), CHAIN)  # weights_in = "memory"
    assert in_memory.priced_ns[0].tolist() == [0, 128, 256, 256, 64]


def test_flash_fields_are_checked_and_left_out_of_outputs_when_unset() -> None:
    with pytest.raises(ConfigError, match="chip field flash_bytes_per_ns must be > 0, got 0"):
        chip(flash_bytes_per_ns=0)
    assert "flash_bytes_per_ns" not in chip().as_dict()
    assert chip(flash_bytes_per_ns=2).as_dict()["flash_bytes_per_ns"] == 2


def test_on_a_buffer_chip_training_the_last_stage_optimal_is_never_beaten_by_a_built_in() -> None:
    """The course chip with one slot, training stage 10 alone: full-store's cut plan
    stores a9 only (1 slot, a 10 ns backward). The slot program plans full backprop,
    whose cut kept a6 and recomputed stages 7-9 (70 ns); optimal now keeps the fastest
    plan as it runs, and the closed-form slot count (full backprop's) refuses nothing."""
    course = ChipConfig(buffer_slots=1, train="last:1")
    full_store = simulate("full-store", course)  # refused by full backprop's 9 slots before
    assert (full_store.peak_buffer_slots, full_store.backward.latency_ns) == (1, 10)
    best = simulate("optimal", course)
    assert best.backward.latency_ns == 10
    assert best.plan.notes[-2:] == (
        "training stages 10..10 alone, the fastest plan that fits is full-store's",
        "backprop ends at stage 10: the stages below it are frozen",
    )
    for strategy in ("sqrt-n", "stride:k=3", "revolve", "disk-offload"):
        assert simulate(strategy, course).backward.latency_ns >= 10


def test_by_energy_too_optimal_keeps_the_cheapest_plan_as_it_runs() -> None:
    """The same chip priced in energy, where static power (1 W: 1 nJ a ns) makes every
    op's time cost energy: full-store's cut plan (235 nJ) beats the slot program's."""
    chip = ChipConfig(buffer_slots=1, train="last:1", loadmem_nj=5, storemem_nj=5,
                      loaddisk_nj=50, storedisk_nj=50, static_mw=1000)  # fmt: skip
    best = simulate("optimal:objective=energy", chip)
    assert best.energy_nj == 235.0
    assert best.plan.notes[-2] == (
        "training stages 10..10 alone, the cheapest plan that fits is full-store's"
    )
    for strategy in ("full-store", "sqrt-n", "stride:k=3", "revolve", "disk-offload"):
        assert simulate(strategy, chip).energy_nj >= best.energy_nj
