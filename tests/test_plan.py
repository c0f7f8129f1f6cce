"""Plans: static checks, slot accounting, counts and the printed form."""

from __future__ import annotations

import pytest

from chipsim import ChipConfig, ModelViolation, Op, Plan, make_plan


def test_slot_accounting_follows_stores_and_frees() -> None:
    forward = [Op("loadmem", 0), Op("fwd", 1), Op("storemem", 1), Op("fwd", 2)]
    forward += [Op("storemem", 2), Op("fwd", 3)]
    backward = [Op("free", 2), Op("loadmem", 1), Op("storemem", 1)]
    assert Plan.build("p", 3, forward, backward).buffer_slots_needed == 2
    assert Plan.build("p", 3, forward, []).buffer_slots_needed == 2
    assert Plan.build("p", 3, forward[:3], []).buffer_slots_needed == 1


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (Op("fwd", 0), "`fwd 0` in the forward phase is out of range; fwd takes 1..3 for L=3"),
        (Op("loadmem", 4), "`loadmem 4` in the forward phase is out of range; loadmem takes 0..3"),
        (Op("jump", 1), "unknown op 'jump' in the forward phase; valid ops are fwd, bwd,"),
    ],
)
def test_ops_outside_the_vocabulary_or_range_are_refused(op: Op, message: str) -> None:
    with pytest.raises(ModelViolation, match="^p: " + message.replace("(", r"\(")):
        Plan.build("p", 3, [op], [])


def test_counts_list_every_op_kind() -> None:
    plan = make_plan("disk-offload", 3, ChipConfig())
    assert plan.counts("backward") == {
        "fwd": 0, "bwd": 3, "storemem": 0, "loadmem": 0,
        "storedisk": 0, "loaddisk": 3, "free": 0,
    }  # fmt: skip


def test_predicted_latency_is_counts_times_latencies() -> None:
    chip = ChipConfig(fwd_ns=7, loadmem_ns=3, bwd_ns=1)
    plan = make_plan("stride:k=2", 4, chip)
    # backward: fwd 2 (layers 4 and 2 recompute one each), loadmem 4, bwd 4
    assert plan.latency_ns(chip, "backward") == 2 * 7 + 4 * 3 + 4 * 1


def test_printed_plan_reads_op_by_op() -> None:
    text = str(make_plan("stride:k=2", 2, ChipConfig()))
    assert text.splitlines() == [
        "plan stride:k=2 for L=2: needs 1 buffer slot",
        "forward (4 ops; slots in use after each):",
        "  loadmem 0     0",
        "  fwd 1         0",
        "  fwd 2         0",
        "  storemem 2    1",
        "backward (6 ops; slots in use after each):",
        "  free 2        0",
        "  loadmem 0     0",
        "  fwd 1         0",
        "  bwd 2         0",
        "  loadmem 0     0",
        "  bwd 1         0",
    ]
