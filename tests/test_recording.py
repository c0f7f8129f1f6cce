"""Recording forwards (issue 20): ``fwd l (record)`` keeps stage l's saved tensors for
its ``bwd``, which then pays the gradient work alone.

Prices here are MACs at 1 per ns with every fixed latency 0, so an op's ns is its
work: a dense w→w' layer's forward is w·w' MACs and its gradient work twice that.
"""

from __future__ import annotations

import numpy as np
import pytest

from chipsim import ChipConfig, Op, Plan, execute, make_plan, simulate
from chipsim.model.costs import Costs
from chipsim.model.networks import build_network
from chipsim.model.ops import KIND_CODE, RECORDED_BWD
from chipsim.sim.plan_memory import recording_pairs, use_of

MACS = {name: 0 for name in ("fwd_ns", "bwd_ns", "loadmem_ns", "storemem_ns", "loaddisk_ns")}
NETWORK = "mlp:widths=8,16,16,16,4"  # forward MACs 128, 256, 256, 64: 704 in all
ONE_MEMORY = ChipConfig(memory_bytes=10**6, compute_macs_per_ns=1, **MACS)
BUFFER = ChipConfig(buffer_bytes=10**6, compute_macs_per_ns=1, **MACS)


def ops(text: str) -> list[Op]:
    parsed = []
    for op in text.split(", "):
        kind, layer, *mark = op.split()
        parsed.append(Op(kind, int(layer), record=mark == ["record"]))
    return parsed


def backward_ns(strategy: str, chip: ChipConfig) -> int:
    return simulate(strategy, chip, network=NETWORK).backward.latency_ns


def test_full_store_in_one_memory_is_a_framework_step_backward_pays_gradients_alone() -> None:
    assert backward_ns("full-store", ONE_MEMORY) == 2 * 704
    plan = make_plan("full-store", build_network(NETWORK), ONE_MEMORY)
    assert all(op.record for op in plan.forward if op.kind == "fwd")


def test_on_a_buffer_chip_nothing_records_and_every_bwd_recomputes_its_stage() -> None:
    assert backward_ns("full-store", BUFFER) == 3 * 704
    plan = make_plan("full-store", build_network(NETWORK), BUFFER)
    assert not plan.record.any()


def test_sqrt_n_replays_each_segment_recording_as_torch_checkpoint_does() -> None:
    # segments of 2 (⌈√4⌉): the replay of fwd 3 records, so bwd 3 pays 2·256 only;
    # bwd 4, 2 and 1 recompute (their stage was not replayed, or not recorded)
    plan = make_plan("sqrt-n", build_network(NETWORK), ONE_MEMORY)
    assert [str(op) for op in plan.backward if op.kind in ("fwd", "bwd")] == [
        "fwd 3 (record)", "bwd 4", "bwd 3", "fwd 1 (record)", "bwd 2", "bwd 1"
    ]  # fmt: skip
    replays = 256 + 128
    assert backward_ns("sqrt-n", ONE_MEMORY) == replays + 3 * 64 + 2 * 256 + 3 * 256 + 2 * 128


def test_stride_in_one_memory_is_torch_checkpoint_with_segments_of_k() -> None:
    # stride:k=3 on 4 stages: segments 1..3 and 4; the replay of 1..2 records, so bwd 2
    # and bwd 1 pay gradients alone; on the buffer chip it stays the course's method
    network = build_network(NETWORK)
    plan = make_plan("stride:k=3", network, ONE_MEMORY)
    segments = make_plan("sqrt-n:segment=3", network, ONE_MEMORY)
    assert [str(op) for op in plan.backward] == [str(op) for op in segments.backward]
    assert [str(op) for op in plan.backward if op.kind in ("fwd", "bwd")] == [
        "bwd 4", "fwd 1 (record)", "fwd 2 (record)", "bwd 3", "bwd 2", "bwd 1"
    ]  # fmt: skip
    assert not make_plan("stride:k=3", network, BUFFER).record.any()


@pytest.mark.parametrize("network", [NETWORK, "resmlp:width=8,blocks=5"])
@pytest.mark.parametrize("strategy", ["full-store", "sqrt-n", "stride:k=2", "revolve"])
def test_gradients_stay_bitwise_equal_to_plain_backprop_when_forwards_record(
    network: str, strategy: str
) -> None:
    result = simulate(strategy, ONE_MEMORY, network=network)
    assert result.max_abs_grad_diff == 0.0


def test_a_bwd_finds_its_stage_recorded_once_and_the_price_code_says_so() -> None:
    forward = ops("loadmem 0, fwd 1 record, fwd 2 record")
    backward = ops("bwd 2, loadmem 0, bwd 1, loadmem 0, bwd 1")
    plan = Plan.build("p", 2, forward, backward)
    bwd, recorded = KIND_CODE["bwd"], RECORDED_BWD
    assert plan.price_codes[3:].tolist() == [recorded, KIND_CODE["loadmem"], recorded, 3, bwd]
    assert recording_pairs(plan).tolist() == [-1, 5, 3, 2, -1, 1, -1, -1]


def test_recorded_tensors_live_from_their_forward_through_the_bwd_that_consumes_them() -> None:
    chain = build_network("mlp:widths=4,8,2", dtype_bytes=1)  # saves 8 and 2 bytes
    forward = ops("loadmem 0, fwd 1 record, storemem 1, fwd 2 record")
    backward = ops("loadmem 1, bwd 2, free 1, loadmem 0, bwd 1")
    plan = Plan.build("p", 2, forward, backward)
    memory = use_of(plan, ChipConfig(memory_bytes=1000), chain)
    assert memory.by_role["recorded"].tolist() == [0, 8, 8, 10, 10, 10, 8, 8, 8]
    assert memory.by_role["workspace"].tolist() == [0] * 9  # nothing is recomputed


def test_a_recorded_bwd_costs_its_measured_gradient_time_where_a_profile_gives_it() -> None:
    from chipsim.model.stages import Chain, Stage

    chain = Chain("p", (4,), [Stage("s", (4,), 10, 20, 0, fwd_ns=7, bwd_ns=11)])
    costs = Costs(ChipConfig(compute_macs_per_ns=1, **MACS), chain)
    assert costs.priced_ns[[KIND_CODE["fwd"], KIND_CODE["bwd"], RECORDED_BWD], 1].tolist() == [
        7, 18, 11
    ]  # fmt: skip


def test_traces_on_one_memory_say_which_forwards_recorded_and_the_bytes_in_use() -> None:
    chain = build_network(NETWORK)
    plan = make_plan("full-store", chain, ONE_MEMORY)
    frame = execute(plan, ONE_MEMORY, chain).trace.frame()
    assert frame["record"].tolist() == plan.record.tolist()
    assert frame["memory_bytes_used"].tolist() == use_of(plan, ONE_MEMORY, chain).total.tolist()
    assert "record" not in execute(plan, BUFFER.replace({}), chain).trace.frame()
    assert np.array_equal(frame["op"] == "fwd", plan.kind_codes == KIND_CODE["fwd"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_trace_files_keep_the_memory_columns(tmp_path, suffix: str) -> None:
    from chipsim.outputs.exports import load_trace, write_trace

    chain = build_network(NETWORK)
    plan = make_plan("full-store", chain, ONE_MEMORY)
    frame = execute(plan, ONE_MEMORY, chain).trace.frame()
    write_trace(frame, tmp_path / f"trace{suffix}")
    loaded = load_trace(tmp_path / f"trace{suffix}")
    assert loaded["record"].tolist() == frame["record"].tolist()
    assert loaded["memory_bytes_used"].tolist() == frame["memory_bytes_used"].tolist()
    assert loaded["memory_bytes_used"].dtype == np.int64 and loaded["record"].dtype == bool
