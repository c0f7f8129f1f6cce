"""What each op of a plan waits for in overlapped mode, computed with numpy.

Each op reads and writes places: the working register, the gradient register,
and a staging register, a buffer entry and a disk entry per activation (see
``chipsim.sim.overlap``). An op waits for the end of

- the last op before it that wrote each place it reads or writes;
- each op that read a place it overwrites since that place was last written;
- for a read of a staging register, the load that put the copy it takes
  there (copies are taken oldest first).

All three are found at once for the whole plan. The two registers are read and
written in plan order: each access pairs with the write before it, each read
with the write after it (``_in_order``; every op that touches the gradient
register reads and writes it, so each waits for the one before). The other
places' accesses, listed in plan order, are sorted by place (stable: then by
op; no op touches a place twice) and paired the same way within each place.
A staging register is the exception: writing it waits for nothing, and its
reads take copies in the order they were written. Per-op Python sets were
21 % of an overlapped run.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from ..model.ops import KIND_CODE
from .plan import Plan

_STAGING = 0  # place ids: staging, buffer, disk, one per layer each


def dependency_pairs(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """(op, earlier op whose end it waits for), unique, sorted by op then earlier op."""
    waiter, waited = dependency_pairs_unsorted(plan)
    pairs = np.sort(waiter * len(plan) + waited)
    pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]  # np.unique is slower
    return pairs // len(plan), pairs % len(plan)


def dependency_pairs_unsorted(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """``dependency_pairs``, some more than once, in no order."""
    placed, (working, gradient) = _accesses(plan)
    pairs = [_by_place(*placed, plan), _in_order(*working), _one_after_another(gradient)]
    waiter = np.concatenate([found[0] for found in pairs], dtype=np.int64)
    return waiter, np.concatenate([found[1] for found in pairs], dtype=np.int64)


def _by_place(
    op: np.ndarray, place: np.ndarray, write: np.ndarray, plan: Plan
) -> tuple[np.ndarray, np.ndarray]:
    """(op, earlier op) from the accesses of staging registers, buffer and disk entries."""
    if not len(op):
        return op, op
    order = np.argsort(place, kind="stable")  # by place, then op: the accesses in plan order
    op, place, write = op[order], place[order], write[order]
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
    return waiter, waited


def _in_order(reads: np.ndarray, writes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(op, earlier op) of a register accessed in plan order: each access waits for
    the write before it, each write for the reads since the write before it (an op
    that also writes it is waited for as that write)."""
    written = np.flatnonzero(writes)
    count, up_to = len(reads), np.cumsum(writes)  # writes up to each op, itself included
    before = np.append(-1, written)[up_to - writes]  # the last write strictly before
    after = np.append(written, count)[up_to]  # the first write strictly after
    accessing = np.flatnonzero((reads | writes) & (before >= 0))
    read = np.flatnonzero(reads & (after < count))
    return np.concatenate([accessing, after[read]]), np.concatenate([before[accessing], read])


def _one_after_another(ops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(op, earlier op) of a register each of ``ops`` reads and writes (the gradient
    register, by every ``bwd``): each waits for the one before."""
    chain = np.flatnonzero(ops)
    return chain[1:], chain[:-1]


def dependencies(plan: Plan) -> list[tuple[int, ...]]:
    """For each op, the earlier ops whose end it must wait for, in order."""
    waiter, waited = dependency_pairs(plan)
    bounds = np.searchsorted(waiter, np.arange(len(plan) + 1)).tolist()
    flat = waited.tolist()
    return [tuple(flat[a:b]) for a, b in pairwise(bounds)]


def _accesses(plan: Plan) -> tuple[tuple[np.ndarray, ...], list]:
    """Every (op, place, is a write) of the plan on a staging register, buffer entry or
    disk entry, in plan order (an op touches a place at most once); (reads, writes) per
    op of the working register, and the ops that read and write the gradient register."""
    codes, layers, staged = plan.kind_codes, plan.layer_numbers.astype(np.int32), plan.staged
    stage, buffer, disk = (_STAGING + k * (plan.layers + 1) + layers for k in range(3))
    is_ = {kind: codes == code for kind, code in KIND_CODE.items()}
    computes, loads = is_["fwd"] | is_["bwd"], is_["loadmem"] | is_["loaddisk"]
    stores = is_["storemem"] | is_["storedisk"]
    stored = np.where(is_["loadmem"] | is_["storemem"] | is_["free"], buffer, disk)
    loaded = is_["loaddisk"] | (is_["loadmem"] & (layers != 0))  # a0 in inputs: no read
    masks = (computes & staged, loaded, loads & staged, stores | is_["free"])  # writes: last two
    flat = np.flatnonzero(np.stack(masks, axis=1))  # op by op, then in the order above
    place = np.stack((stage - 1, stored, stage, stored), axis=1).reshape(-1)[flat]
    working = ((computes & ~staged) | stores, is_["fwd"] | (loads & ~staged))
    return (flat >> 2, place, (flat & 3) >= 2), [working, is_["bwd"]]


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
