"""``chipsim plan --json`` streamed block by block: the same text as one ``dumps`` per op."""

from __future__ import annotations

import pytest

from chipsim import ChipConfig, make_plan
from chipsim.outputs import jsonout


def op_by_op(plan) -> str:
    """The text as it was made before streaming: every op's object, joined at once."""
    ops = [
        {
            "phase": phase,
            "op": op.kind,
            "layer": op.layer,
            **({"prefetch": True} if op.prefetch else {}),
        }
        for phase, op in plan.ops()
    ]
    return "[\n" + ",\n".join(jsonout.dumps(op) for op in ops) + "\n]\n"


@pytest.mark.parametrize(
    "spec", ["revolve:slots=3", "stride:k=3,prefetch=2", "disk-offload:prefetch=1", "optimal"]
)
@pytest.mark.parametrize("block_ops", [1, 4, 1 << 16])
def test_streamed_text_is_the_op_by_op_text(spec: str, block_ops: int) -> None:
    plan = make_plan(spec, 17, ChipConfig(buffer_slots=17, staging_slots=2))
    assert "".join(jsonout.plan_json(plan, block_ops)) == op_by_op(plan)
