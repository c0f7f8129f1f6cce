"""The engine: exact timing, real math, and every model rule it enforces."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ROOMY

from chipsim import (
    ChipConfig,
    DoesNotFit,
    GradientMismatch,
    ModelViolation,
    Network,
    Op,
    Plan,
    execute,
    make_plan,
    simulate,
)
from chipsim.cli import main
from chipsim.model.chip import LATENCY_FIELDS
from chipsim.model.network import LayerGradients
from chipsim.model.networks import course_chain
from chipsim.sim.storage import ActivationBuffer

CHIP = ChipConfig(buffer_slots=2)


def ops(text: str) -> list[Op]:
    """``"loadmem 0, fwd 1"`` → ``[Op("loadmem", 0), Op("fwd", 1)]``."""
    parsed = []
    for item in text.split(","):
        kind, layer = item.split()
        parsed.append(Op(kind, int(layer)))
    return parsed


def run(forward: str, backward: str, *, layers: int = 2, chip: ChipConfig = CHIP):
    plan = Plan.build("hand-made", layers, ops(forward), ops(backward))
    return execute(plan, chip, Network(layers, 3))


FORWARD_2 = "loadmem 0, fwd 1, fwd 2"


# A valid hand-made plan, then each rule broken in turn.


def test_a_valid_hand_made_plan_runs_with_exact_times() -> None:
    execution = run(FORWARD_2 + ", storemem 2", "loadmem 0, fwd 1, bwd 2, loadmem 0, bwd 1")
    frame = execution.trace.frame()
    assert frame["op"].tolist() == [
        "loadmem", "fwd", "fwd", "storemem", "loadmem", "fwd", "bwd", "loadmem", "bwd",
    ]  # fmt: skip
    assert frame["start_ns"].tolist() == [0, 10, 30, 50, 50, 60, 80, 80, 90]
    assert frame["end_ns"].tolist() == [10, 30, 50, 50, 60, 80, 80, 90, 90]
    assert frame["resource"].tolist() == [
        "buffer", "compute", "compute", "buffer", "buffer", "compute", "compute", "buffer",
        "compute",
    ]  # fmt: skip
    assert frame["buffer_slots_used"].tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 1]
    assert execution.trace.latency_ns("forward") == 50
    assert execution.trace.latency_ns("backward") == 40


@pytest.mark.parametrize(
    ("forward", "backward", "message"),
    [
        (
            FORWARD_2 + ", storemem 2, storemem 2",
            "",
            "op 4 of the forward phase, `storemem 2`: a2 is already in the buffer",
        ),
        (FORWARD_2, "loadmem 1, bwd 2", "`loadmem 1`: a1 is not in the buffer (it holds nothing)"),
        (FORWARD_2, "loaddisk 1, bwd 2", "`loaddisk 1`: a1 is not on disk (it holds nothing)"),
        (FORWARD_2, "free 1", "`free 1`: a1 is not in the buffer (it holds nothing)"),
        ("loadmem 0, fwd 2", "", "`fwd 2`: needs a1 in registers, which hold a0"),
        ("fwd 1", "", "`fwd 1`: needs a0 in registers, which hold no activation"),
        (FORWARD_2, "bwd 2", "`bwd 2`: needs a1 in registers, which hold a2"),
        (
            FORWARD_2,
            "loadmem 0, fwd 1, bwd 2, bwd 2",
            "op 3 of the backward phase, `bwd 2`: needs dL/da2 in registers, which hold dL/da1",
        ),
        ("loadmem 0, fwd 1, storemem 2", "", "`storemem 2`: needs a2 in registers, which hold a1"),
        ("loadmem 0, storedisk 1", "", "`storedisk 1`: needs a1 in registers, which hold a0"),
        (
            "loadmem 0, fwd 1",
            "",
            "the forward phase must end with a2 in registers to compute the loss",
        ),
        (
            FORWARD_2,
            "loadmem 0, fwd 1, bwd 2",
            "the plan ends before backprop reaches layer 1 (the last gradient computed is dL/da1)",
        ),
    ],
)
@pytest.mark.parametrize("math", [True, False], ids=["math", "timing-only"])
def test_each_model_rule_is_enforced_with_a_message_naming_the_op(
    forward: str, backward: str, message: str, math: bool
) -> None:
    plan = Plan.build("broken", 2, ops(forward), ops(backward) if backward else [])
    with pytest.raises(ModelViolation, match="^broken: .*" + re.escape(message)):
        execute(plan, CHIP, Network(2, 3) if math else None)


def test_storing_into_a_full_buffer_is_an_error_not_an_overflow() -> None:
    # The engine refuses such plans statically (next test); the buffer still guards itself.
    buffer = ActivationBuffer(2)
    buffer.store(1, None)
    buffer.store(2, None)
    with pytest.raises(ModelViolation, match=r"the buffer is full \(2 of 2 slots: a1, a2\)"):
        buffer.store(0, None)
    assert len(buffer) == 2


def test_bwd_before_the_loss_has_no_gradient() -> None:
    plan = Plan.build("early", 2, ops("loadmem 0, fwd 1, bwd 2"), [])
    with pytest.raises(ModelViolation, match="`bwd 2`: needs dL/da2 in registers, which hold no"):
        execute(plan, CHIP, Network(2, 3))


def test_inputs_hold_only_a0_and_loadmem_0_reads_them() -> None:
    execution = run(FORWARD_2, "loadmem 0, fwd 1, bwd 2, loadmem 0, bwd 1")
    assert execution.trace.counts("backward")["loadmem"] == 2


def test_a_plan_that_does_not_fit_is_refused_before_it_runs() -> None:
    plan = make_plan("full-store", 10, CHIP)
    with pytest.raises(DoesNotFit, match="full-store needs 9 buffer slots; the chip has 2"):
        execute(plan, CHIP, Network(10, 3))


def test_a_plan_for_another_depth_is_refused() -> None:
    plan = make_plan("stride:k=2", 4, CHIP)
    with pytest.raises(ModelViolation, match="the plan is for L=4 but the network has 5 layers"):
        execute(plan, CHIP, Network(5, 3))


@pytest.mark.parametrize(
    ("layers", "width", "seed"), [(1, 1, 0), (3, 5, 1), (10, 16, 2), (17, 8, 3)]
)
def test_every_strategy_gives_gradients_bitwise_equal_to_plain_backprop(
    strategy: str, layers: int, width: int, seed: int
) -> None:
    network = Network(layers, width, seed)
    execution = execute(make_plan(strategy, layers, ROOMY), ROOMY, network)
    reference = network.reference_gradients()
    for layer, (got, expected) in enumerate(zip(execution.gradients, reference, strict=True), 1):
        assert np.array_equal(got.weight, expected.weight), f"layer {layer} weights"
        assert np.array_equal(got.bias, expected.bias), f"layer {layer} bias"


def test_the_same_plan_gives_the_same_trace_row_for_row(strategy: str) -> None:
    plan = make_plan(strategy, 12, ROOMY)
    first = execute(plan, ROOMY, Network(12, 4, 7)).trace.frame()
    second = execute(plan, ROOMY, Network(12, 4, 7)).trace.frame()
    assert first.equals(second)


def test_timing_only_runs_give_the_same_trace_without_any_math(strategy: str) -> None:
    plan = make_plan(strategy, 12, ROOMY)
    with_math = execute(plan, ROOMY, Network(12, 4, 7))
    timing_only = execute(plan, ROOMY, course_chain(12, 4))  # the same sizes, no weights
    assert timing_only.trace.frame().equals(with_math.trace.frame())
    assert (timing_only.loss, timing_only.gradients) == (None, None)
    assert with_math.loss is not None


def test_float_latencies_accumulate_like_a_running_clock() -> None:
    chip = ROOMY.replace({"fwd_ns": 0.1, "loadmem_ns": 0.7, "bwd_ns": 0.3})
    frame = execute(make_plan("stride:k=3", 7, chip), chip, None).trace.frame()
    clock = 0.0
    for row in frame.itertuples():
        assert row.start_ns == clock  # bitwise: the same additions in the same order
        clock += chip.op_latency_ns(row.op)
        assert row.end_ns == clock


def test_simulated_latency_equals_the_plans_serial_prediction(strategy: str) -> None:
    rng = np.random.default_rng(11)
    for _ in range(5):
        latencies = {name: int(rng.integers(0, 1000)) for name in LATENCY_FIELDS}
        chip = ROOMY.replace(latencies)
        plan = make_plan(strategy, 9, chip)
        trace = execute(plan, chip, Network(9, 2)).trace
        for phase in ("forward", "backward"):
            assert trace.latency_ns(phase) == plan.latency_ns(chip, phase)


def test_gradients_off_by_one_bit_fail_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = Network.reference_steps  # what simulate checks each layer against, as it comes

    def one_bit_off(self: Network) -> Iterator[tuple[int, LayerGradients]]:
        for layer, grads in plain(self):
            if layer == 4:
                weight = grads.weight.copy()
                weight[0, 0] = np.nextafter(weight[0, 0], np.inf)
                grads = LayerGradients(weight=weight, bias=grads.bias)
            yield layer, grads

    monkeypatch.setattr(Network, "reference_steps", one_bit_off)
    with pytest.raises(GradientMismatch, match=r"^stride:k=5: weight gradients differ from plain"):
        simulate("stride:k=5")
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 1
    assert result.output.startswith("chipsim: error: stride:k=5: weight gradients differ")
