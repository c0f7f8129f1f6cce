"""Long runs computed a block at a time (issue 21.5) give the trace the whole columns gave.

``eager_trace`` below is what ``Trace.of`` computed before: every column whole,
times as one ``np.cumsum``. Each run's trace, and its rows made with blocks
of 1, 3 and 7 ops (so running sums, retries and phase boundaries straddle
blocks), must equal it column for column, dtype and bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from chipsim import ChipConfig, make_plan, simulate
from chipsim.model.costs import Costs
from chipsim.model.networks import build_network, course_chain
from chipsim.model.ops import OP_KINDS, PORT_CODE_OF_KIND
from chipsim.sim.draws import OpDurations, Prices, Sampler
from chipsim.sim.engine import _phase_ops
from chipsim.sim.machine import Chip
from chipsim.sim.overlap import schedule
from chipsim.sim.plan_checks import first_where
from chipsim.sim.plan_memory import in_use_blocks, peak_in_use
from chipsim.sim.trace import COLUMNS
from chipsim.sim.trace_rows import PlanRows
from chipsim.study.run import network_of

FLOATS = {"fwd_ns": 0.1, "bwd_ns": 1 / 3, "loadmem_ns": 0.7, "storemem_ns": 0.2}
ENERGY = {"compute_pj_per_mac": 3, "mem_pj_per_byte": 0.7, "loadmem_nj": 0.1, "static_mw": 7}
RUNS = {
    "revolve, whole ns": ("revolve:slots=3", {"buffer_slots": 3}, 40, None),
    "revolve, float ns": ("revolve:slots=3", {**FLOATS, "buffer_slots": 3}, 40, None),
    "disk-offload, retries": ("disk-offload", {"disk_fault_rate": 0.4, "max_retries": 30}, 9, None),
    "disk-offload, jitter": (
        "disk-offload",
        {"loaddisk_ns": {"dist": "lognormal", "median": 50, "sigma": 0.5}},
        9,
        None,
    ),
    "stride, energy and floats": ("stride:k=3", {**FLOATS, **ENERGY, "buffer_slots": 4}, 12, None),
    "prefetch, overlapped": (
        "stride:k=3,prefetch=2",
        {**FLOATS, "mode": "overlapped", "staging_slots": 2, "buffer_slots": 8},
        12,
        None,
    ),
    "sizes differ, retries": (
        "disk-offload",
        {"disk_fault_rate": 0.6, "max_retries": 30, "buffer_bytes": 4096, "disk_bytes_per_ns": 3},
        None,
        "mlp:widths=5,9,3,12,7,2",
    ),
}


def eager_trace(result, seed: int) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """The columns as ``Trace.of`` made them before issue 21.5: each one whole."""
    plan, chip, chain = result.plan, result.chip, result.chain
    draws = Sampler(plan, chip, chain, seed).draw(0)
    attempts, durations = draws.attempts, draws.durations_ns
    if chip.mode == "serial":
        end = np.cumsum(durations)
        start = np.concatenate([np.zeros(1, dtype=end.dtype), end[:-1]])
    else:
        start, end = schedule(Chip(chip, chain), plan, attempts, durations)
    split = plan.forward_ops
    phase = np.repeat(np.arange(2, dtype=np.int8), [split, len(plan) - split])
    sizes = chain.activation_bytes
    moves = np.array([kind not in ("fwd", "bwd") for kind in OP_KINDS], dtype=np.int64)
    energy = Costs(chip, chain).priced_energy_nj[plan.price_codes, plan.layer_numbers]
    columns = {
        "phase": phase,
        "op": plan.kind_codes,
        "layer": plan.layer_numbers,
        "buffer_slots_used": plan.slots_in_use(),
        "prefetch": plan.prefetch,
        "bytes": moves[plan.kind_codes] * sizes[plan.layer_numbers],
        "buffer_bytes_used": plan.bytes_in_use(sizes),
        "energy_nj": energy,
    }
    columns = {name: np.repeat(column, attempts) for name, column in columns.items()}
    first = np.repeat(np.cumsum(attempts) - attempts, attempts)
    columns["attempt"] = np.arange(len(first), dtype=np.int64) - first + 1
    ports = np.array(PORT_CODE_OF_KIND, dtype=np.int8)
    columns.update(start_ns=start, end_ns=end, resource=ports[columns["op"]])
    return columns


def run(name: str):  # type: ignore[no-untyped-def]
    spec, fields, layers, network = RUNS[name]
    return simulate(spec, fields, layers=layers, network=network, seed=4, math=False)


@pytest.mark.parametrize("name", RUNS)
def test_a_trace_equals_the_whole_columns_computation(name: str) -> None:
    result = run(name)
    expected, trace = eager_trace(result, 4), result.trace
    assert len(trace) == len(expected["op"])
    for column in COLUMNS:
        made = getattr(trace, column)
        assert made.dtype.kind == expected[column].dtype.kind, column
        assert made.tolist() == expected[column].tolist(), column
    if trace.has_energy:
        assert trace.energy_nj.tolist() == expected["energy_nj"].tolist()


@pytest.mark.parametrize("name", RUNS)
@pytest.mark.parametrize("block_ops", [1, 3, 7])
def test_rows_made_in_small_blocks_equal_the_whole_columns(name: str, block_ops: int) -> None:
    result = run(name)
    expected, trace = eager_trace(result, 4), result.trace
    rows = trace._rows
    assert rows is not None
    blocked = PlanRows(
        rows.plan, rows.attempts, rows.times, rows.sizes, rows.energy, block_ops=block_ops
    )
    names = (*COLUMNS, *(("energy_nj",) if trace.has_energy else ()))
    for column in names:
        joined = np.concatenate([block[column] for block in blocked.blocks((column,))])
        assert joined.dtype == expected[column].dtype, column
        assert joined.tolist() == expected[column].tolist(), column
    split = int(expected["phase"].tolist().count(0))
    forward_end = expected["end_ns"][:split].max().item()
    bounds = {
        "forward": (0, forward_end),
        "backward": (forward_end, expected["end_ns"][split:].max().item()),
    }
    assert blocked.phase_bounds_ns() == rows.phase_bounds_ns() == bounds


def test_a_traces_summaries_are_those_of_its_whole_columns() -> None:
    result = run("stride, energy and floats")
    expected, trace = eager_trace(result, 4), result.trace
    assert trace.peak_buffer_slots == int(expected["buffer_slots_used"].max()) == 4
    forward = expected["phase"] == 0
    kinds = np.bincount(expected["op"][forward], minlength=7).tolist()
    assert list(trace.counts("forward").values()) == kinds
    static = trace.static_nj_per_ns * trace.latency_ns("forward")
    assert trace.energy_of("forward") == sum(expected["energy_nj"][forward].tolist()) + static


@pytest.mark.parametrize("network", [None, "mlp:widths=5,9,3,12,7,2"])
def test_prices_equal_the_cost_table_and_keep_two_columns_when_stages_cost_alike(
    network: str | None,
) -> None:
    chip = ChipConfig(**FLOATS, **ENERGY, mem_bytes_per_ns=3, compute_macs_per_ns=7)
    chain = course_chain(30, 16) if network is None else build_network(network)
    plan = make_plan("revolve:slots=2", chain, chip)
    prices = Prices(chip, chain)
    expected = Costs(chip, chain).of_ops(plan.price_codes, plan.layer_numbers)
    got = prices.of_ops(plan.price_codes, plan.layer_numbers)
    assert got.dtype == expected.dtype and got.tolist() == expected.tolist()
    assert prices.table.shape[1] == (2 if network is None else chain.layers + 1)
    durations = OpDurations(prices, plan, np.float64)
    assert np.concatenate([durations[lo : lo + 5] for lo in range(0, len(plan), 5)]).tolist() == (
        expected.astype(np.float64).tolist()
    )


def test_buffer_use_in_blocks_equals_the_whole_running_sum() -> None:
    chain = network_of(ChipConfig(), "mlp:widths=5,9,3,12,7,2", None, None)
    plan = make_plan("revolve:slots=2", chain, ChipConfig())
    sizes = chain.activation_bytes
    for block_ops in (1, 4, 1000):
        slots = np.concatenate(list(in_use_blocks(plan, None, block_ops)))
        held = np.concatenate(list(in_use_blocks(plan, sizes, block_ops)))
        assert slots.tolist() == plan.slots_in_use().tolist()
        assert held.tolist() == plan.bytes_in_use(sizes).tolist()
    assert peak_in_use(plan) == int(plan.slots_in_use().max()) == 2
    assert peak_in_use(plan, sizes) == int(plan.bytes_in_use(sizes).max())


def test_the_first_marked_op_is_found_across_blocks() -> None:
    marked = np.zeros(20, dtype=bool)
    marked[[13, 17]] = True
    assert first_where(20, lambda ops: marked[ops], block_ops=4) == 13
    assert first_where(12, lambda ops: marked[ops], block_ops=4) is None


def test_the_engine_reads_a_phases_ops_in_blocks_as_one_list() -> None:
    plan = make_plan("stride:k=2,prefetch=1", 9, ChipConfig(staging_slots=1))
    for phase in ("forward", "backward"):
        whole = list(_phase_ops(plan, phase, block_ops=10**6))
        assert list(_phase_ops(plan, phase, block_ops=2)) == whole
        assert [(kind, layer) for kind, layer, *_ in whole] == [
            (op.kind, op.layer) for op in plan.phase(phase)
        ]
