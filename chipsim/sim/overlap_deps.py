"""What each op of a plan waits for in overlapped mode, computed with numpy.

Each op reads and writes places: the working register, the gradient register,
and a staging register, a buffer entry and a disk entry per activation (see
``chipsim.sim.overlap``). An op waits for the end of

- the last op before it that wrote each place it reads or writes;
- each op that read a place it overwrites since that place was last written;
- for a read of a staging register, the load that put the copy it takes
  there (copies are taken oldest first).

All three are found at once for the whole plan: the plan's accesses sorted by
(place, op, read before write), then each access paired with the write before
it and each read with the write after it, in its place. A staging register is
the exception: writing it waits for nothing, and its reads take copies in the
order they were written. Per-op Python sets were 21 % of an overlapped run.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from ..model.ops import KIND_CODE
from .plan import Plan

_WORKING, _GRADIENT, _STAGING = 0, 1, 2  # place ids; staging, buffer, disk: one per layer


def dependency_pairs(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """(op, earlier op whose end it waits for), unique, sorted by op then earlier op."""
    waiter, waited = dependency_pairs_unsorted(plan)
    pairs = np.sort(waiter * len(plan) + waited)
    pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]  # np.unique is slower
    return pairs // len(plan), pairs % len(plan)


def dependency_pairs_unsorted(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """``dependency_pairs``, some more than once, in no order."""
    op, place, write = _accesses(plan)
    count = len(plan)
    order = np.argsort((place.astype(np.int64) * count + op) * 2 + write, kind="stable")
    op, place, write = op[order], place[order], write[order]  # int32: half the memory traffic
    staged = slice(*np.searchsorted(place, [_STAGING, _STAGING + plan.layers + 1]).tolist())
    first, group = _groups(place)
    position = np.arange(len(op), dtype=np.int32)
    before = np.maximum.accumulate(np.where(write, position, -1))  # last write up to here
    before = np.concatenate([np.full(1, -1, np.int32), before[:-1]])  # ... strictly before
    after = np.minimum.accumulate(np.where(write, position, len(op))[::-1])[::-1]
    after = np.concatenate([after[1:], np.full(1, len(op), np.int32)])  # first write after
    group_first, group_last = first[group], np.append(first[1:], len(op))[group] - 1
    waits_before = before >= group_first
    waits_after = ~write & (after <= group_last)
    waits_before[staged] = waits_after[staged] = False  # staging: copies taken in order
    read_at, written_at = _staged_copies(write[staged], group_first[staged] - staged.start)
    staging_op = op[staged]
    waiter = np.concatenate([op[waits_before], op[after[waits_after]], staging_op[read_at]])
    waited = np.concatenate([op[before[waits_before]], op[waits_after], staging_op[written_at]])
    other = waiter != waited  # an op reading and writing one place waits for none of that
    return waiter[other].astype(np.int64), waited[other].astype(np.int64)


def dependencies(plan: Plan) -> list[tuple[int, ...]]:
    """For each op, the earlier ops whose end it must wait for, in order."""
    waiter, waited = dependency_pairs(plan)
    bounds = np.searchsorted(waiter, np.arange(len(plan) + 1)).tolist()
    flat = waited.tolist()
    return [tuple(flat[a:b]) for a, b in pairwise(bounds)]


def _accesses(plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (op, place, is a write) of the plan: at most two reads and a write per op."""
    codes, layers, staged = plan.kind_codes, plan.layer_numbers.astype(np.int32), plan.staged
    stage, buffer, disk = (_STAGING + k * (plan.layers + 1) + layers for k in range(3))
    working = np.full(len(codes), _WORKING, dtype=np.int32)
    is_ = {kind: codes == code for kind, code in KIND_CODE.items()}
    computes, loads = is_["fwd"] | is_["bwd"], is_["loadmem"] | is_["loaddisk"]
    stores = is_["storemem"] | is_["storedisk"]
    source = np.where(staged, stage - 1, working)  # what a fwd or bwd reads
    stored = np.where(is_["loadmem"] | is_["storemem"] | is_["free"], buffer, disk)
    loaded = is_["loaddisk"] | (is_["loadmem"] & (layers != 0))  # a0 in inputs: no read
    reads = (
        (computes, source),
        (is_["bwd"], np.full(len(codes), _GRADIENT, dtype=np.int32)),
        (loaded, stored),
        (stores, working),
    )
    written = np.select(
        [is_["fwd"], is_["bwd"], loads],
        [working, np.full(len(codes), _GRADIENT, dtype=np.int32), np.where(staged, stage, working)],
        stored,  # a store or a free
    )
    index = np.arange(len(codes), dtype=np.int32)
    ops = [index[mask] for mask, _ in reads] + [index]
    places = [where[mask] for mask, where in reads] + [written]
    flags = [np.zeros(int(mask.sum()), dtype=bool) for mask, _ in reads] + [
        np.ones(len(codes), dtype=bool)
    ]
    return np.concatenate(ops), np.concatenate(places), np.concatenate(flags)


def _groups(place: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each place's run of the sorted accesses begins, and each access's run."""
    begins = np.concatenate([[True], place[1:] != place[:-1]])
    return np.flatnonzero(begins).astype(np.int32), np.cumsum(begins, dtype=np.int32) - 1


def _staged_copies(write: np.ndarray, group_first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(read, write) positions among the staging registers' accesses: the n-th read of
    a register takes its n-th copy."""
    reads = ~write
    reads_before = np.cumsum(reads, dtype=np.int32) - reads
    writes_before = np.cumsum(write, dtype=np.int32) - write
    taken = reads_before - reads_before[group_first]  # copies this register gave before
    copy = writes_before[group_first] + taken
    read_at = np.flatnonzero(reads)
    return read_at, np.flatnonzero(write)[copy[read_at]]
