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


def test_recording_forwards_are_marked_and_the_rest_keep_their_text() -> None:
    from chipsim.model.networks import build_network

    chain = build_network("mlp:widths=8,16,4,2")
    plan = make_plan("full-store", chain, ChipConfig(memory_bytes=10**6))
    assert int(plan.record.sum()) == 3  # a framework's default step: every forward records
    ops = [
        {
            "phase": phase,
            "op": op.kind,
            "layer": op.layer,
            **({"record": True} if op.record else {}),
        }
        for phase, op in plan.ops()
    ]
    expected = "[\n" + ",\n".join(jsonout.dumps(op) for op in ops) + "\n]\n"
    for block_ops in (1, 2, 1 << 16):
        assert "".join(jsonout.plan_json(plan, block_ops)) == expected
    assert expected.count('"record": true') == 3
    assert '{"phase": "forward", "op": "fwd", "layer": 1, "record": true}' in expected
