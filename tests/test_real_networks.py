"""Real networks: stages of any size on a byte budget, exact where the model is exact.

The worked chain is ``mlp:widths=8,4,6,2,5`` in float32 (L = 4). By hand: a0..a4
hold 8, 4, 6, 2, 5 elements = 32, 16, 24, 8, 20 bytes; stage l is a dense
in×out layer, so its forward MACs are 8·4 = 32, 4·6 = 24, 6·2 = 12, 2·5 = 10 and
its backward MACs 3× those (docs/real-networks.md says why).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ALL_STRATEGIES
from hypothesis import given, settings
from hypothesis import strategies as st

from chipsim import ChipConfig, DoesNotFit, execute, make_plan, simulate
from chipsim.cli import main
from chipsim.model.costs import Costs
from chipsim.model.networks import build_network
from chipsim.model.ops import OP_KINDS
from chipsim.planners import sqrt_n

WORKED = "mlp:widths=8,4,6,2,5"
SIZES = [32, 16, 24, 8, 20]

#: Every strategy plans heterogeneous chains (optimal through the byte DP).
HETEROGENEOUS = ALL_STRATEGIES
ROOMY_BYTES = ChipConfig(buffer_bytes=10**6, staging_slots=4)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


# Gradients bitwise equal to plain backprop.


def assert_bitwise_backprop(spec: str, network: str) -> None:
    chain = build_network(network)
    model = chain.model(seed=3)
    execution = execute(make_plan(spec, chain, ROOMY_BYTES), ROOMY_BYTES, model)
    reference = model.reference_gradients()
    assert execution.gradients is not None
    for layer, (got, expected) in enumerate(zip(execution.gradients, reference, strict=True), 1):
        assert np.array_equal(got.weight, expected.weight), f"layer {layer} weights"
        assert np.array_equal(got.bias, expected.bias), f"layer {layer} bias"


@pytest.mark.parametrize("spec", HETEROGENEOUS)
@pytest.mark.parametrize("network", [WORKED, "mlp:widths=784,64,8,32,10", "mlp:widths=3,1,7"])
def test_heterogeneous_mlp_gradients_are_bitwise_backprop(spec: str, network: str) -> None:
    assert_bitwise_backprop(spec, network)


@pytest.mark.parametrize("spec", ALL_STRATEGIES)
@pytest.mark.parametrize("network", ["resmlp:width=5,blocks=6", "resmlp:width=1,blocks=1"])
def test_residual_mlp_gradients_are_bitwise_backprop(spec: str, network: str) -> None:
    assert_bitwise_backprop(spec, network)


# The budget is never exceeded, and a plan needing more never starts.

chains = st.lists(st.integers(1, 40), min_size=2, max_size=8).map(
    lambda widths: build_network("mlp:widths=" + ",".join(map(str, widths)))
)


@settings(max_examples=150, deadline=None)
@given(chain=chains, spec=st.sampled_from(HETEROGENEOUS), fraction=st.floats(0, 1.2))
def test_buffer_bytes_stay_within_the_budget_or_the_plan_is_refused(chain, spec, fraction) -> None:
    budget = int(fraction * int(chain.activation_bytes.sum()))
    chip = ChipConfig(buffer_bytes=budget, staging_slots=4)
    plan = make_plan(spec, chain, chip)
    needed = plan.buffer_bytes_needed(chain)
    if needed > budget:
        with pytest.raises(DoesNotFit) as refusal:
            execute(plan, chip, chain)
        assert (refusal.value.buffer_bytes_needed, refusal.value.slots_available) == (
            needed,
            budget,
        )
        return
    trace = execute(plan, chip, chain).trace
    peak = int(trace.buffer_bytes_used.max())
    assert peak == needed <= budget


@settings(max_examples=100, deadline=None)
@given(chain=chains)
def test_sqrt_n_peak_bytes_is_the_plans_measured_peak(chain) -> None:
    if chain.equal_width is not None:
        return  # the memory-aware cut is for sizes that differ
    sizes = chain.activation_bytes.tolist()
    _, cuts = sqrt_n.least_memory_cut(chain)
    plan = make_plan("sqrt-n", chain, ROOMY_BYTES)
    assert sqrt_n.peak_bytes(sizes, cuts) == plan.buffer_bytes_needed(chain)
    trace = execute(plan, ROOMY_BYTES, chain).trace
    assert int(trace.buffer_bytes_used.max()) == sqrt_n.peak_bytes(sizes, cuts)


# Byte accounting, by hand.


def trace_columns(spec: str) -> list[tuple[str, int, int, int]]:
    result = simulate(spec, ChipConfig(buffer_bytes=100), network=WORKED)
    frame = result.frame
    return list(
        zip(
            frame["op"].astype(str),
            frame["layer"],
            frame["bytes"],
            frame["buffer_bytes_used"],
            strict=True,
        )
    )


def test_stride_trace_bytes_by_hand() -> None:
    # stride:k=2 keeps a2 and a4 (24 + 20 bytes); backward frees a4 at once, replays
    # from a2 for bwd 4 and 3, then from a0 (inputs) for bwd 2 and 1. ``bytes`` is the
    # activation moved, stored or freed; fwd and bwd move none.
    assert trace_columns("stride:k=2") == [
        ("loadmem", 0, 32, 0),
        ("fwd", 1, 0, 0),
        ("fwd", 2, 0, 0),
        ("storemem", 2, 24, 24),
        ("fwd", 3, 0, 24),
        ("fwd", 4, 0, 24),
        ("storemem", 4, 20, 44),
        ("free", 4, 20, 24),
        ("loadmem", 2, 24, 24),
        ("fwd", 3, 0, 24),
        ("bwd", 4, 0, 24),
        ("loadmem", 2, 24, 24),
        ("bwd", 3, 0, 24),
        ("free", 2, 24, 0),
        ("loadmem", 0, 32, 0),
        ("fwd", 1, 0, 0),
        ("bwd", 2, 0, 0),
        ("loadmem", 0, 32, 0),
        ("bwd", 1, 0, 0),
    ]


def test_sqrt_n_memory_aware_cut_by_hand() -> None:
    # Budgets run from the largest inner activation (24) to their sum (48). A segment
    # ends where a(j+1)..a(l) pass the budget: below 40, after a1 + a2 = 40 > B, giving
    # segments (0,2),(2,4), peak 24 (a2 kept); from 40 to 47, (0,3),(3,4), peak 16
    # (a1 while the bottom segment replays; a3 is 8); at 48 one segment, peak 16 + 24.
    # The least peak is 16, first reached at the budget 24·2^(47/63) = 40.25 → 40.
    chain = build_network(WORKED)
    assert sqrt_n.least_memory_cut(chain) == (40, [(0, 3), (3, 4)])
    assert sqrt_n.peak_bytes(SIZES, [(0, 2), (2, 4)]) == 24
    assert sqrt_n.peak_bytes(SIZES, [(0, 4)]) == 40
    assert trace_columns("sqrt-n") == [
        ("loadmem", 0, 32, 0),
        ("fwd", 1, 0, 0),
        ("fwd", 2, 0, 0),
        ("fwd", 3, 0, 0),
        ("storemem", 3, 8, 8),
        ("fwd", 4, 0, 8),
        ("loadmem", 3, 8, 8),
        ("bwd", 4, 0, 8),
        ("free", 3, 8, 0),
        ("loadmem", 0, 32, 0),
        ("fwd", 1, 0, 0),
        ("storemem", 1, 16, 16),
        ("fwd", 2, 0, 16),
        ("bwd", 3, 0, 16),
        ("loadmem", 1, 16, 16),
        ("bwd", 2, 0, 16),
        ("free", 1, 16, 0),
        ("loadmem", 0, 32, 0),
        ("bwd", 1, 0, 0),
    ]
    plan = make_plan("sqrt-n", chain, ROOMY_BYTES)
    assert plan.notes == ("memory-aware segments of at most 40 B (Chen et al. 2016, §4.3)",)


def test_run_json_bytes_by_hand() -> None:
    # stride:k=2 as above: peak a2 + a4 = 44 of 100. Working memory is the largest
    # a(l-1) + a(l) + dL/da(l) = max(32+2·16, 16+2·24, 24+2·8, 8+2·20) = 64.
    # Course latencies: forward loadmem + 4 fwd = 10 + 80; backward 4 loadmem + 2 fwd.
    result = invoke(
        "run", "--network", WORKED, "--set", "buffer_bytes=100", "--strategy", "stride:k=2",
        "--fixed-latencies", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["peak_buffer_bytes"], data["buffer_bytes"], data["working_bytes"]) == (44, 100, 64)
    assert data["network"] == WORKED
    assert data["width"] is None
    assert (data["forward"]["latency_ns"], data["backward"]["latency_ns"]) == (90, 80)


RATED = ChipConfig(
    buffer_bytes=100,
    fwd_ns=5,
    bwd_ns=7,
    loadmem_ns=3,
    storemem_ns=1,
    loaddisk_ns=11,
    storedisk_ns=13,
    compute_macs_per_ns=2,
    mem_bytes_per_ns=4,
    disk_bytes_per_ns=1,
)


def test_per_stage_costs_from_macs_and_bytes_by_hand() -> None:
    # fwd l: 5 + MACs/2 with MACs 32, 24, 12, 10; bwd l: 7 + 3·MACs/2; a buffer move of
    # a(l): fixed + bytes/4 (bytes 32, 16, 24, 8, 20); a disk move: fixed + bytes/1.
    expected = {
        "fwd": [0, 21, 17, 11, 10],
        "bwd": [0, 55, 43, 25, 22],
        "loadmem": [11, 7, 9, 5, 8],
        "storemem": [9, 5, 7, 3, 6],
        "loaddisk": [43, 27, 35, 19, 31],
        "storedisk": [45, 29, 37, 21, 33],
        "free": [0, 0, 0, 0, 0],
    }
    ns = Costs(RATED, build_network(WORKED)).ns
    assert {kind: ns[code].tolist() for code, kind in enumerate(OP_KINDS)} == expected


def test_disk_offload_latency_on_rated_chip_by_hand() -> None:
    # Forward: loadmem 0 (11), then storedisk a(l-1) and fwd l for l = 1..4:
    # (45 + 21) + (29 + 17) + (37 + 11) + (21 + 10) = 191, total 202.
    # Backward: loaddisk a(l-1) + bwd l for l = 4..1: (19+22) + (35+25) + (27+43) + (43+55).
    result = simulate("disk-offload", RATED, network=WORKED, math=False)
    assert (result.forward.latency_ns, result.backward.latency_ns) == (202, 269)


# Equal width: a byte budget of slots × width × dtype_bytes is the slot budget.


@pytest.mark.parametrize("spec", ALL_STRATEGIES)
@pytest.mark.parametrize(("slots", "layers"), [(2, 10), (3, 7), (9, 10)])
def test_byte_budget_equals_the_slot_budget_on_the_course(spec, slots, layers) -> None:
    in_slots = invoke("run", "--layers", str(layers), "--set", f"buffer_slots={slots}",
                      "--set", "staging_slots=4", "--strategy", spec, "--json")  # fmt: skip
    in_bytes = invoke("run", "--layers", str(layers), "--set", f"buffer_bytes={slots * 16 * 4}",
                      "--set", "staging_slots=4", "--strategy", spec, "--json")  # fmt: skip
    assert in_slots.exit_code == in_bytes.exit_code
    if in_slots.exit_code:
        assert in_slots.exit_code == 3
        return
    by_slots, by_bytes = json.loads(in_slots.output), json.loads(in_bytes.output)
    for key in ("forward", "backward", "peak_buffer_slots", "peak_buffer_bytes", "loss"):
        assert by_slots[key] == by_bytes[key], key


def test_the_course_answer_holds_in_bytes() -> None:
    result = invoke("run", "--set", "buffer_bytes=128", "--strategy", "stride:k=5", "--json")
    data = json.loads(result.output)
    assert data["backward"]["latency_ns"] == 500
    assert (data["backward"]["ops"]["fwd"], data["backward"]["ops"]["loadmem"]) == (20, 10)


# Bad input: one line, the right exit status.


@pytest.mark.parametrize(
    ("network", "message"),
    [
        ("resnet18:batch=0", "network resnet18: batch must be a whole number >= 1, got 0"),
        ("mlp:widths=3", "network widths must list a0's width and at least one layer's, got [3]"),
        ("nope", "unknown network 'nope'; valid networks are mlp[:widths=N,N,...,"),
    ],
)
def test_bad_network_specs_exit_2(network: str, message: str) -> None:
    result = invoke("run", "--network", network)
    assert result.exit_code == 2
    assert result.output.startswith(f"chipsim: error: {message}")
    assert len(result.output.splitlines()) == 1


HEADER = "name,output_shape,macs_fwd,macs_bwd,params\ninput,3,,,\n"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("conv,4,,,\n", "line 3, column macs_fwd: missing or empty; required: name, "
         "output_shape, macs_fwd"),
        ("conv,4,-5,,\n", "line 3, column macs_fwd: must be a whole number >= 0, got '-5'"),
        ("conv,4,1,,-1\n", "line 3, column params: must be a whole number >= 0, got '-1'"),
    ],
)  # fmt: skip
def test_bad_stage_tables_exit_2(tmp_path: Path, rows: str, message: str) -> None:
    path = tmp_path / "stages.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    result = invoke("run", "--network", str(path))
    assert result.exit_code == 2
    assert result.output == f"chipsim: error: stage file {path} {message}\n"


def test_a_plan_over_the_byte_budget_exits_3_with_both_byte_counts() -> None:
    # full-store keeps a1..a3: 16 + 24 + 8 = 48 bytes.
    result = invoke("run", "--network", WORKED, "--set", "buffer_bytes=40", "--fixed-latencies",
                    "--strategy", "full-store")  # fmt: skip
    assert result.exit_code == 3
    assert result.output == (
        "chipsim: error: full-store needs 48 B of buffer; the chip has 40 B "
        "(try --set buffer_bytes=48)\n"
    )


def test_full_store_on_resnet18_needs_every_activation_but_the_logits() -> None:
    # docs/networks.md: 1,757,160 activation elements, the last 1,000 the logits
    # (a(L), never stored): (1,757,160 - 1,000) × 4 bytes.
    result = invoke("run", "--network", "resnet18", "--set", "buffer_bytes=1000000",
                    "--fixed-latencies", "--strategy", "full-store")  # fmt: skip
    assert result.exit_code == 3
    assert "needs 6.699 MiB [7024640 B] of buffer; the chip has 976.6 KiB [1000000 B]" in (
        result.output
    )


def test_buffer_slots_on_a_heterogeneous_network_exits_2_naming_buffer_bytes() -> None:
    result = invoke("run", "--network", WORKED, "--set", "buffer_slots=2")
    assert result.exit_code == 2
    assert result.output == (
        f"chipsim: error: network {WORKED} has activations of different sizes, so its buffer "
        "is sized in bytes, not slots (buffer_slots=2 counts equal-width activations): "
        # a1..a4 are 16, 24, 8, 20 bytes: two of the largest are 48
        "e.g. --set buffer_bytes=48 (two of its largest activations)\n"
    )


# The `networks show --json` contract.


def test_networks_show_json_is_exactly_the_contract() -> None:
    # mlp:widths=8,4,6,2: dense 8→4 (32 MACs, 8·4 + 4 params), 4→6 (24, 30), 6→2 (12, 14).
    result = invoke("networks", "show", "mlp:widths=8,4,6,2", "--json")
    assert result.exit_code == 0, result.output
    # issue 20: macs_bwd is the gradient work (2× forward); a recording forward keeps the
    # tanh result (its output, float32); dense layers need no workspace.
    stage = ["name", "output_shape", "elements", "bytes", "macs_fwd", "macs_bwd", "params"]
    stage += ["saved_bytes", "fwd_workspace_bytes", "bwd_workspace_bytes"]
    rows = [
        ["dense1", [4], 4, 16, 32, 64, 36, 16, 0, 0],
        ["dense2", [6], 6, 24, 24, 48, 30, 24, 0, 0],
        ["dense3", [2], 2, 8, 12, 24, 14, 8, 0, 0],
    ]
    data = json.loads(result.output)
    assert data == {
        "network": "mlp:widths=8,4,6,2",
        "stages": [dict(zip(stage, row, strict=True)) for row in rows],
        "totals": {
            "macs_fwd": 68,
            "params": 80,
            "activation_elements": 12,
            "activation_bytes": 48,
        },
    }
    assert list(data) == ["network", "stages", "totals"]
    assert [list(s) for s in data["stages"]] == [stage] * 3
    assert list(data["totals"]) == ["macs_fwd", "params", "activation_elements", "activation_bytes"]


def test_timing_assertions_explain_a_heterogeneous_run_with_its_prices() -> None:
    from chipsim.testing import assert_latency

    # mlp:widths=64,32,16,8 at 8 MACs/ns, no fixed latencies: fwd 2 costs 32·16/8 = 64 ns
    chip = ChipConfig(buffer_bytes=10**5, fwd_ns=0, loadmem_ns=0, compute_macs_per_ns=8)
    result = simulate("stride:k=1", chip, network="mlp:widths=64,32,16,8")
    with pytest.raises(AssertionError) as error:
        assert_latency(result, 0)
    # bwd l costs 3·w_l·w_(l-1)/8: 3·64·32/8 + 3·32·16/8 + 3·16·8/8 = 768 + 192 + 48
    assert "bwd 3 ops = 1008 ns" in str(error.value)


def test_plan_lists_bytes_in_use_on_a_byte_budget() -> None:
    # full-store on WORKED keeps a1..a3: 16 + 24 + 8 = 48 bytes at the forward phase's end
    result = invoke("plan", "--network", WORKED, "--set", "buffer_bytes=48", "--fixed-latencies",
                    "--strategy", "full-store")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "plan full-store for L=4: needs 48 B of buffer"
    assert lines[1] == "forward (8 ops; bytes in use after each):"  # loadmem 0, 4 fwd, 3 stores
    assert lines[2:10] == [
        f"  {op:<14}{held}"
        for op, held in [
            ("loadmem 0", 0), ("fwd 1", 0), ("storemem 1", 16), ("fwd 2", 16),
            ("storemem 2", 40), ("fwd 3", 40), ("storemem 3", 48), ("fwd 4", 48),
        ]
    ]  # fmt: skip
    assert "fits the chip: 48 B of the 48 B buffer" in result.output
