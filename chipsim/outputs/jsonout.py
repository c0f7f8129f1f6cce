"""Strict JSON for every ``--json`` output: no NaN or Infinity, which JSON does not have."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..errors import ChipsimError
from ..model.ops import OP_KINDS
from ..sim.plan import PHASES, Plan


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps`` refusing non-finite floats, with a one-line chipsim error instead of
    the standard library's non-standard ``NaN``/``Infinity`` output."""
    try:
        return json.dumps(value, allow_nan=False, **options)
    except ValueError:
        raise ChipsimError(
            "the result holds a value that is not a finite number (NaN or infinity), "
            "which strict JSON cannot carry"
        ) from None


def plan_json(plan: Plan, block_ops: int = 1 << 16) -> Iterator[str]:
    """``chipsim plan --json``'s text in pieces, a block of ops at a time: the characters
    ``dumps`` gives for the list of ``{"phase", "op", "layer"}`` objects (``"prefetch":
    true`` on prefetching loads, ``"record": true`` on recording forwards), one per
    line, without ever holding them all."""
    yield "[\n"
    separator = ""
    for phase in PHASES:
        heads, tails = _templates(phase)
        where = plan.phase_slice(phase)
        for begin in range(where.start, where.stop or len(plan), block_ops):
            block = slice(begin, min(begin + block_ops, where.stop or len(plan)))
            yield separator + _lines(plan, block, heads, tails)
            separator = ",\n"
    yield "\n]\n"


def _templates(phase: str) -> tuple[list[str], tuple[str, str, str]]:
    """Each kind's text before the layer, and the text after it (plain, prefetching,
    recording), cut from what ``dumps`` makes of a sample op."""
    heads = [dumps({"phase": phase, "op": kind, "layer": 0})[: -len("0}")] for kind in OP_KINDS]
    fetching = dumps({"phase": phase, "op": "loadmem", "layer": 0, "prefetch": True})
    recording = dumps({"phase": phase, "op": "fwd", "layer": 0, "record": True})
    return heads, (
        "}",
        fetching[len(heads[OP_KINDS.index("loadmem")]) + 1 :],
        recording[len(heads[OP_KINDS.index("fwd")]) + 1 :],
    )


def _lines(plan: Plan, block: slice, heads: list[str], tails: tuple[str, str, str]) -> str:
    codes, layers = plan.kind_codes[block].tolist(), plan.layer_numbers[block].tolist()
    if not (plan.prefetch[block].any() or plan.record[block].any()):
        return ",\n".join(
            [f"{heads[code]}{layer}}}" for code, layer in zip(codes, layers, strict=True)]
        )
    flags = (plan.prefetch[block] + 2 * plan.record[block].astype(int)).tolist()  # 0, 1, 2
    ops = zip(codes, layers, flags, strict=True)
    return ",\n".join([f"{heads[code]}{layer}{tails[flag]}" for code, layer, flag in ops])
