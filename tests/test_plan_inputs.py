"""Plans built through the Python API: every malformed op or column is a PlanError naming it."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import pytest

from chipsim import ChipConfig, ModelViolation, Op, Plan, execute, make_plan
from chipsim.errors import ChipsimError, PlanError

FORWARD = [Op("loadmem", 0), Op("fwd", 1)]
BACKWARD = [Op("loadmem", 0), Op("bwd", 1)]


def build_with(op: object) -> Plan:
    """A one-layer plan whose second forward op is ``op``."""
    return Plan.build("p", 1, [FORWARD[0], op], BACKWARD)  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("layer", "shown"),
    [
        (1.5, "1.5 (float)"),
        ("1", "'1' (str)"),
        (True, "True (bool)"),
        (np.float64(1.7), f"{np.float64(1.7)!r} (float64)"),
        (None, "None (NoneType)"),
        (math.nan, "nan (float)"),
    ],
)
def test_a_layer_that_is_not_a_whole_number_is_refused_not_rounded(
    layer: object, shown: str
) -> None:
    with pytest.raises(PlanError) as error:
        build_with(("fwd", layer))
    assert str(error.value) == (
        f"p: op 1 of the forward phase, `fwd {layer!r}`: the layer must be a whole number, "
        f"got {shown}"
    )


def test_a_numpy_integer_layer_is_a_whole_number() -> None:
    plan = build_with(("fwd", np.int64(1)))
    assert plan.op(1) == Op("fwd", 1)


def test_a_layer_beyond_int64_is_out_of_range_not_an_overflow() -> None:
    with pytest.raises(PlanError) as error:
        build_with(("fwd", 2**63))
    assert str(error.value) == (
        "p: `fwd 9223372036854775808` in the forward phase is out of range; "
        "fwd takes 1..1 for L=1 (op 1 of the forward phase)"
    )


def test_an_unhashable_kind_is_an_unknown_op() -> None:
    with pytest.raises(PlanError) as error:
        build_with((["fwd"], 1))
    assert str(error.value) == (
        "p: unknown op ['fwd'] in the forward phase; valid ops are fwd, bwd, storemem, "
        "loadmem, storedisk, loaddisk, free (op 1 of the forward phase)"
    )


@pytest.mark.parametrize("op", [("fwd",), ("fwd", 1, False, False, 0), "fwd 1", 7])
def test_an_op_of_the_wrong_shape_is_refused(op: object) -> None:
    with pytest.raises(PlanError) as error:
        build_with(op)
    assert str(error.value) == (
        "p: op 1 of the forward phase: an op is (kind, layer), (kind, layer, prefetch) or "
        "(kind, layer, prefetch, record), "
        f"got {op!r}"
    )


def test_a_prefetch_mark_must_be_a_bool() -> None:
    with pytest.raises(PlanError) as error:
        Plan.build("p", 1, FORWARD, [("loadmem", 0, "yes"), ("bwd", 1)])
    assert str(error.value) == (
        "p: op 0 of the backward phase, `loadmem 0`: prefetch must be True or False, got 'yes'"
    )


def test_a_plan_error_is_a_model_violation_exiting_1() -> None:
    assert issubclass(PlanError, ModelViolation) and issubclass(PlanError, ChipsimError)
    assert PlanError.exit_code == 1


def direct(**changes: object) -> Plan:
    """``Plan(...)`` of the valid one-layer plan (loadmem 0, fwd 1 | loadmem 0, bwd 1)."""
    columns: dict[str, object] = {
        "strategy": "p",
        "layers": 1,
        "kind_codes": np.array([3, 0, 3, 1], dtype=np.int8),
        "layer_numbers": np.array([0, 1, 0, 1]),
        "forward_ops": 2,
    }
    return Plan(**{**columns, **changes})  # type: ignore[arg-type]


CODES = "0 fwd, 1 bwd, 2 storemem, 3 loadmem, 4 storedisk, 5 loaddisk, 6 free"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"kind_codes": np.array([3, 7, 3, 1], dtype=np.int8)},
            f"p: op 1 of the forward phase: kind code 7 is not an op; codes are {CODES}",
        ),
        (
            {"kind_codes": np.array([3, 0, -1, 1], dtype=np.int8)},
            f"p: op 0 of the backward phase: kind code -1 is not an op; codes are {CODES}",
        ),
        (
            {"prefetch": np.array([True, False])},
            "p: prefetch must be None or an array of 4 bools, one per op, "
            "got array([ True, False])",
        ),
        ({"layers": 0}, "p: a plan's layers must be a whole number 1..10000000, got 0"),
        (
            {"forward_ops": 5},
            "p: forward_ops must be a whole number 0..4 (the plan has 4 ops), got 5",
        ),
        (
            {"forward_ops": -1},
            "p: forward_ops must be a whole number 0..4 (the plan has 4 ops), got -1",
        ),
        (
            {"kind_codes": [3, 0, 3, 1]},
            "p: kind_codes must be a 1-D integer numpy array, got [3, 0, 3, 1]",
        ),
        (
            {"layer_numbers": np.array([0.0, 1.0, 0.0, 1.0])},
            "p: layer_numbers must be a 1-D integer numpy array of 4, got array([0., 1., 0., 1.])",
        ),
        (
            {"prefetch": np.array([False, True, False, False])},
            "p: `fwd 1` in the forward phase is marked prefetch; only loadmem and loaddisk "
            "can prefetch (op 1 of the forward phase)",
        ),
    ],
)
def test_a_directly_built_plan_validates_its_columns(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(PlanError) as error:
        direct(**changes)
    assert str(error.value) == message


def test_a_zero_layer_plan_is_refused_by_build_too() -> None:
    with pytest.raises(PlanError, match=re.escape("layers must be a whole number 1..10000000")):
        Plan.build("p", 0, [Op("loadmem", 0)], [])


def test_the_valid_direct_plan_is_accepted() -> None:
    assert direct().buffer_slots_needed == 0
    assert execute(direct(), ChipConfig(), None).trace.latency_ns("backward") == 10 + 0


# The phase barrier: staging must be empty when the forward phase ends.


def moved_first_backward_load() -> tuple[list[Op], list[Op]]:
    """Optimal on the course chip, its first backward load moved to the end of the
    forward phase as a prefetch (issue 15's loophole: the backward phase then took
    250 ns, beating optimal's 260 ns, because the forward phase paid for the load)."""
    plan = make_plan("optimal", 10, ChipConfig(staging_slots=1))
    forward, backward = list(plan.forward), list(plan.backward)
    first = next(i for i, op in enumerate(backward) if op.kind in ("loadmem", "loaddisk"))
    load = backward.pop(first)
    assert load == Op("loadmem", 7) and first == 0
    return [*forward, load._replace(prefetch=True)], backward


def test_a_backward_load_prefetched_across_the_phase_barrier_is_refused_before_running() -> None:
    forward, backward = moved_first_backward_load()
    with pytest.raises(PlanError) as error:
        Plan.build("moved", 10, forward, backward)
    assert str(error.value) == (
        f"moved: `loadmem 7 (prefetch)` (op {len(forward) - 1} of the forward phase) leaves "
        "a7 in staging at the end of the forward phase; staging must be empty at the phase "
        "barrier (issue a backward load in the backward phase)"
    )


def test_the_same_prefetch_issued_in_the_backward_phase_is_valid() -> None:
    forward, backward = moved_first_backward_load()
    plan = Plan.build("kept", 10, forward[:-1], [forward[-1], *backward])
    trace = execute(plan, ChipConfig(staging_slots=1), None).trace
    assert trace.latency_ns("backward") == 260  # optimal's: the load is paid where it is used


def test_a_plan_with_only_a_forward_phase_is_checked_at_the_barrier_too() -> None:
    with pytest.raises(PlanError, match="leaves a0 in staging at the end of the forward phase"):
        Plan.build("p", 1, [*FORWARD, Op("loadmem", 0, prefetch=True)], [])


def test_a_prefetch_used_within_the_forward_phase_crosses_no_barrier() -> None:
    forward = [Op("loadmem", 0, prefetch=True), Op("fwd", 1)]
    plan = Plan.build("p", 1, forward, BACKWARD)
    assert plan.staging_in_use().tolist() == [1, 0, 0, 0]


def counter_staging(plan: Plan) -> list[int]:
    """The staging occupancy as the quadratic Counter walk before issue 13 counted it."""
    held: Counter[int] = Counter()
    in_use = []
    for _, op in plan.ops():
        if op.prefetch:
            held[op.layer] += 1
        elif op.kind in ("fwd", "bwd") and held[op.layer - 1]:
            held[op.layer - 1] -= 1
        in_use.append(held.total())
    return in_use


@pytest.mark.parametrize(
    "spec", ["disk-offload:prefetch=1", "disk-offload:prefetch=3", "stride:k=3,prefetch=2"]
)
def test_the_running_staging_count_matches_a_full_recount(spec: str) -> None:
    plan = make_plan(spec, 12, ChipConfig(staging_slots=3))
    assert plan.staging_in_use().tolist() == counter_staging(plan)
    assert plan.staging_slots_needed == max(counter_staging(plan))


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (("fwd", 1, False, 0), "`fwd 1`: record must be True or False, got 0"),
        (
            ("loadmem", 0, False, True),
            "`loadmem 0` in the forward phase is marked record; only fwd",
        ),
    ],
)
def test_only_a_forward_records_and_record_is_a_bool(op: object, message: str) -> None:
    with pytest.raises(PlanError, match=re.escape(message)):
        build_with(op)
