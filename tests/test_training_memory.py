"""The one memory (``memory_bytes``): every live byte by role, during each op.

The hand example is a 3-stage chain in bytes (dtype 1): a0..a3 = 4, 8, 2, 4
bytes; stage params 10, 5, 3; stage 1 saves 16 bytes, its forward needs 4 bytes
of workspace and its backward 8; stage 3's backward needs 1. Every expected
number below is added up by hand from the roles' definitions in
chipsim/model/training_memory.py's docstring.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from chipsim import ChipConfig, DoesNotFit, Op, Plan, execute, make_plan
from chipsim.cli import main
from chipsim.model.stages import Chain, Stage
from chipsim.model.training_memory import ROLES, Training, checkpoint_room, memory_use
from chipsim.sim.plan_memory import use_of

STAGES = [
    Stage("s1", (8,), 0, 0, 10, saved_bytes=16, fwd_workspace_bytes=4, bwd_workspace_bytes=8),
    Stage("s2", (2,), 0, 0, 5),
    Stage("s3", (4,), 0, 0, 3, bwd_workspace_bytes=1),
]
CHAIN = Chain("hand", (4,), STAGES, dtype_bytes=1)
FORWARD = "loadmem 0, fwd 1, storemem 1, fwd 2, fwd 3"
BACKWARD = "loadmem 1, fwd 2, bwd 3, loadmem 1, bwd 2, free 1, loadmem 0, bwd 1"


def ops(text: str) -> list[Op]:
    return [Op(kind, int(layer)) for kind, layer in (op.split() for op in text.split(", "))]


PLAN = Plan.build("hand", 3, ops(FORWARD), ops(BACKWARD))

#: Per op, by hand: checkpoints, activations, gradients, workspace (SGD, per step).
BY_HAND = {
    "checkpoints": [0, 0, 8, 8, 8, 8, 8, 8, 8, 8, 8, 0, 0],
    "recorded": [0] * 13,
    "activations": [4, 12, 8, 10, 6, 8, 10, 2, 8, 8, 0, 4, 4],
    "gradients": [0, 0, 0, 0, 0, 4, 4, 6, 2, 10, 8, 8, 12],
    "workspace": [0, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 24],
    "weights": [18] * 13,
    "weight_gradients": [0, 0, 0, 0, 0, 0, 0, 3, 3, 8, 8, 8, 18],
    "optimizer_state": [0] * 13,
}


def use(training: Training | None = None):
    columns = PLAN.kind_codes, PLAN.layer_numbers, PLAN.forward_ops
    return memory_use(*columns, CHAIN, training or Training())


def test_every_role_during_every_op_matches_the_hand_count() -> None:
    assert {role: column.tolist() for role, column in use().by_role.items()} == BY_HAND


def test_the_peak_is_the_first_bwd_1_and_its_breakdown_adds_up_to_it() -> None:
    memory = use()
    assert (memory.peak_bytes, memory.peak_index) == (76, 12)
    assert sum(memory.at(12).values()) == 76 and list(memory.at(12)) == list(ROLES)


@pytest.mark.parametrize(
    ("training", "peak"),
    [
        (Training(update="per_stage"), 4 + 12 + 24 + 18 + 10),  # only bwd 1's own gradient
        (Training(optimizer="momentum"), 76 + 18),  # one state per parameter
        (Training(optimizer="adam"), 76 + 36),  # two
        (Training(weight_dtype_bytes=2), 4 + 12 + 24 + 36 + 36),  # weights and grads doubled
    ],
)
def test_update_rule_optimizer_and_weight_dtype_change_what_is_resident(
    training: Training, peak: int
) -> None:
    assert use(training).peak_bytes == peak


def test_the_engine_runs_the_plan_in_exactly_its_peak_and_refuses_one_byte_less() -> None:
    execute(PLAN, ChipConfig(memory_bytes=76), CHAIN)
    with pytest.raises(DoesNotFit) as refusal:
        execute(PLAN, ChipConfig(memory_bytes=75), CHAIN)
    assert (refusal.value.bytes_needed, refusal.value.bytes_available) == (76, 75)
    assert refusal.value.field == "memory_bytes"
    assert str(refusal.value) == (
        "hand needs 76 B of memory; the chip has 75 B (try --set memory_bytes=76): the peak "
        "is at `bwd 1` (op 7 of the backward phase), holding activations 4 B, gradients 12 B, "
        "workspace 24 B, weights 18 B, weight gradients 18 B"
    )


def test_planners_keep_their_checkpoints_in_the_room_the_rest_leaves() -> None:
    # in flight at worst: bwd 1 = 2·a0 + a1 + saved + workspace = 40; resident 18 + 18
    assert checkpoint_room(CHAIN, 100, Training()) == 100 - 40 - 36
    assert ChipConfig(memory_bytes=100).budget(CHAIN).capacity_bytes == 24
    assert checkpoint_room(CHAIN, 50, Training()) == 0  # never negative


def test_one_memory_replaces_the_buffer_fields() -> None:
    chip = ChipConfig(buffer_bytes=64).replace({"memory_bytes": 512})
    assert (chip.buffer_slots, chip.buffer_bytes, chip.memory_bytes) == (None, None, 512)
    assert ChipConfig().as_dict() == ChipConfig(optimizer="sgd").as_dict()  # defaults unsaid
    with pytest.raises(ValueError, match="memory_bytes is the one memory"):
        ChipConfig(buffer_bytes=64, memory_bytes=512)
    with pytest.raises(ValueError, match="optimizer must be one of sgd, momentum, adam"):
        ChipConfig(optimizer="adamw")


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 50), min_size=3, max_size=7),
    seed=st.integers(0, 2**16),
    strategy=st.sampled_from(["full-store", "stride:k=2", "sqrt-n", "disk-offload", "revolve"]),
    optimizer=st.sampled_from(["sgd", "momentum", "adam"]),
    update=st.sampled_from(["per_step", "per_stage"]),
)
def test_random_chains_fit_exactly_their_predicted_peak(
    sizes: list[int], seed: int, strategy: str, optimizer: str, update: str
) -> None:
    chain = random_chain(sizes, seed)
    roomy = ChipConfig(memory_bytes=10**6, optimizer=optimizer, update=update)
    plan = make_plan(strategy, chain, roomy)
    memory = use_of(plan, roomy, chain)
    assert (
        memory.peak_bytes == int(memory.total.max()) == sum(memory.at(memory.peak_index).values())
    )
    runs_in_exactly(plan, roomy.replace({"memory_bytes": memory.peak_bytes}), chain)


def random_chain(sizes: list[int], seed: int, macs: tuple[int, int] = (0, 0)) -> Chain:
    """Stages of output ``sizes[1:]`` B from a ``sizes[0]`` B input, with random params
    (0-39) and saved and workspace bytes (0-29)."""
    rng = np.random.default_rng(seed)
    stages = [
        Stage(f"s{index}", (size,), *macs, int(rng.integers(0, 40)),
              *rng.integers(0, 30, 3).tolist())
        for index, size in enumerate(sizes[1:], start=1)
    ]  # fmt: skip
    return Chain("random", (sizes[0],), stages, dtype_bytes=1)


def runs_in_exactly(plan, exact: ChipConfig, chain: Chain) -> None:
    """The engine runs ``plan`` in ``exact``'s memory and refuses it a byte less."""
    execute(plan, exact, chain)
    with pytest.raises(DoesNotFit):
        execute(plan, exact.replace({"memory_bytes": exact.memory_bytes - 1}), chain)


PARTIAL_STRATEGIES = ["full-store", "stride:k=2", "sqrt-n", "disk-offload", "revolve", "optimal",
                      "disk-offload:prefetch=1", "stride:k=2,prefetch=1"]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 50), min_size=4, max_size=7),  # 3+ stages: some frozen
    seed=st.integers(0, 2**16),
    strategy=st.sampled_from(PARTIAL_STRATEGIES),
    train=st.sampled_from(["last:1", "last:2", "from:s2"]),
    weights_in=st.sampled_from(["memory", "flash"]),
)
def test_partial_training_keeps_no_frozen_output_and_fits_exactly_its_peak(
    sizes: list[int], seed: int, strategy: str, train: str, weights_in: str
) -> None:
    """Every strategy's plan, cut at the lowest trained stage: nothing stored that no op
    loads, and the engine runs it in exactly its predicted peak."""
    chain = random_chain(sizes, seed, macs=(1, 2))
    roomy = ChipConfig(memory_bytes=10**6, train=train, weights_in=weights_in, staging_slots=2,
                       compute_macs_per_ns=1)  # fmt: skip
    plan = make_plan(strategy, chain, roomy)
    ops = [op for _, op in plan.ops()]
    loaded = {(op.kind.replace("load", "store"), op.layer) for op in ops if "load" in op.kind}
    assert {(op.kind, op.layer) for op in ops if "store" in op.kind} <= loaded
    runs_in_exactly(
        plan, roomy.replace({"memory_bytes": use_of(plan, roomy, chain).peak_bytes}), chain
    )


def run_mlp(*options: str) -> Result:
    """``chipsim run`` of full-store on mlp:widths=8,16,4, no math, with ``options``."""
    args = ["run", "--network", "mlp:widths=8,16,4", "--strategy", "full-store", "--no-math"]
    args.append("--fixed-latencies")  # the course chip's fixed latencies, on purpose
    return CliRunner().invoke(main, [*args, *options])


def test_run_json_gives_the_memory_at_the_peak_by_role() -> None:
    result = run_mlp("--set", "memory_bytes=100000", "--set", "optimizer=adam", "--json")
    assert result.exit_code == 0, result.output
    memory = json.loads(result.output)["memory"]
    assert memory["memory_bytes"] == 100000
    assert sum(memory["by_role"].values()) == memory["peak_bytes"] <= 100000
    weights = (8 * 16 + 16 + 16 * 4 + 4) * 4  # mlp params (weights and biases), float32
    assert memory["by_role"]["weights"] == weights
    assert memory["by_role"]["optimizer_state"] == 2 * weights


def test_a_plan_over_the_memory_exits_3_naming_the_peak() -> None:
    result = run_mlp("--set", "memory_bytes=1000")
    assert result.exit_code == 3
    assert "needs" in result.output and "of memory; the chip has 1000 B" in result.output
    assert "the peak is at `bwd" in result.output


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"saved_bytes": -1}, "stage 's': saved_bytes must be a whole number >= 0, got -1"),
        ({"fwd_workspace_bytes": 2.5}, "fwd_workspace_bytes must be a whole number >= 0"),
        ({"bwd_workspace_bytes": 10**30}, "must be at most 4611686018427387904"),
        ({"fwd_ns": float("nan")}, "stage 's': fwd_ns must be a number of ns from 0 to 1e+15"),
        ({"trainable": "yes"}, "stage 's': trainable must be true or false, got 'yes'"),
    ],
)
def test_bad_memory_fields_of_a_stage_are_one_line(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Stage("s", (1,), 0, 0, 0, **fields)


@pytest.mark.parametrize("value", ["-5", "2.5", "1" + "0" * 30])
def test_a_bad_memory_bytes_exits_2_naming_the_field(value: str) -> None:
    result = CliRunner().invoke(main, ["run", "--set", f"memory_bytes={value}"])
    assert result.exit_code == 2 and "memory_bytes" in result.output
    assert "Traceback" not in result.output
