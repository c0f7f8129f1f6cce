"""The course's answers (SPEC.md), reproduced exactly on the default chip."""

from __future__ import annotations

import pytest

from chipsim import (
    ChipConfig,
    DoesNotFit,
    ModelViolation,
    Network,
    Op,
    Plan,
    Scenario,
    breakeven,
    execute,
    make_plan,
    simulate,
)
from chipsim.testing import assert_fits, assert_latency, assert_ops


def test_stride_5_backward_pass_matches_the_course(chip_sim) -> None:
    result = chip_sim(strategy="stride:k=5")
    assert_ops(result, fwd=20, loadmem=10)
    assert_latency(result, 500)
    assert_fits(result, slots=2)
    assert result.max_abs_grad_diff == 0.0


def test_stride_5_forward_pass_stores_a5_and_a10() -> None:
    result = simulate("stride:k=5")
    assert result.forward.ops == {
        "fwd": 10, "bwd": 0, "storemem": 2, "loadmem": 1,
        "storedisk": 0, "loaddisk": 0, "free": 0,
    }  # fmt: skip
    stored = result.frame.query("op == 'storemem'")["layer"].tolist()
    assert stored == [5, 10]


@pytest.mark.parametrize("loaddisk_ns", [1, 50, 73, 200])
def test_disk_offload_loads_each_layer_once_from_disk(chip_sim, loaddisk_ns: int) -> None:
    result = chip_sim(strategy="disk-offload", loaddisk_ns=loaddisk_ns)
    assert result.backward.ops == {"loaddisk": 10, "bwd": 10}  # and nothing else
    assert_latency(result, 10 * loaddisk_ns)


def test_disk_break_even_is_50_ns() -> None:
    point = breakeven(Scenario(), "loaddisk_ns", "disk-offload", "stride:k=5")
    assert point.value == 50
    assert point.latency_ns == 500


@pytest.mark.parametrize(("strategy", "needed"), [("full-store", 9), ("sqrt-n", 3)])
def test_strategies_that_do_not_fit_two_slots_are_refused(strategy: str, needed: int) -> None:
    with pytest.raises(DoesNotFit) as refusal:
        simulate(strategy)
    assert refusal.value.slots_needed == needed
    assert refusal.value.slots_available == 2
    assert str(refusal.value) == (
        f"{strategy} needs {needed} buffer slots; the chip has 2 (try --set buffer_slots={needed})"
    )


def test_the_two_loadmem_answer_needs_registers_the_chip_does_not_have() -> None:
    """'2 loadmem' reuses one loaded checkpoint per segment; the chip refuses that plan."""
    stride = make_plan("stride:k=5", 10, ChipConfig())
    reuse_a5 = [Op("free", 10), Op("loadmem", 5), *(Op("fwd", layer) for layer in range(6, 10))]
    reuse_a5 += [Op("bwd", 10), Op("bwd", 9)]  # bwd 9 would need a8, long overwritten
    plan = Plan.build("two-loadmem", 10, stride.forward, reuse_a5)
    with pytest.raises(ModelViolation, match="`bwd 9`: needs a8 in registers, which hold a9"):
        execute(plan, ChipConfig(), Network(10, 4))
