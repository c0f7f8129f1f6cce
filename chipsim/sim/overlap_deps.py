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

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from ..model.ops import KIND_CODE, PORT_CODE_OF_KIND, PORTS
from .plan import Plan

_WORKING, _GRADIENT, _STAGING = 0, 1, 2  # place ids; staging, buffer, disk: one per layer


def dependency_pairs(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """(op, earlier op whose end it waits for), unique, sorted by op then earlier op."""
    waiter, waited = _pairs(plan)
    pairs = np.sort(waiter * len(plan) + waited)
    pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]  # np.unique is slower
    return pairs // len(plan), pairs % len(plan)


def _pairs(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """``dependency_pairs``, some more than once, in no order."""
    op, place, write = _accesses(plan)
    count = len(plan)
    order = np.argsort((place.astype(np.int64) * count + op) * 2 + write, kind="stable")
    op, place, write = op[order], place[order], write[order]  # int32: half the memory traffic
    staging = (place >= _STAGING) & (place < _STAGING + plan.layers + 1)
    first, group = _groups(place)
    position = np.arange(len(op), dtype=np.int32)
    before = np.maximum.accumulate(np.where(write, position, -1))  # last write up to here
    before = np.concatenate([np.full(1, -1, np.int32), before[:-1]])  # ... strictly before
    after = np.minimum.accumulate(np.where(write, position, len(op))[::-1])[::-1]
    after = np.concatenate([after[1:], np.full(1, len(op), np.int32)])  # first write after
    group_first, group_last = first[group], np.append(first[1:], len(op))[group] - 1
    waits_before = ~staging & (before >= group_first)
    waits_after = ~staging & ~write & (after <= group_last)
    waits_after[waits_after] &= op[after[waits_after]] != op[waits_after]
    fetched = _staged_copies(staging, write, group_first)
    waiter = np.concatenate([op[waits_before], op[after[waits_after]], op[fetched[0]]])
    waited = np.concatenate([op[before[waits_before]], op[waits_after], op[fetched[1]]])
    return waiter.astype(np.int64), waited.astype(np.int64)


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


def _staged_copies(
    staging: np.ndarray, write: np.ndarray, group_first: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(read, write) positions: the n-th read of a staging register takes the n-th copy."""
    reads, writes = staging & ~write, staging & write
    reads_before = np.cumsum(reads, dtype=np.int32) - reads
    writes_before = np.cumsum(writes, dtype=np.int32) - writes
    taken = reads_before - reads_before[group_first]  # copies this register gave before
    copy = writes_before[group_first] + taken
    read_at = np.flatnonzero(reads)
    return read_at, np.flatnonzero(writes)[copy[read_at]]


@dataclass(frozen=True)
class Waits:
    """What each port's process waits for before it starts an op, as moment ids.

    ``first[i]``, ``second[i]``, ``third[i]``: the three moments (``Moments``)
    op i's port waits for once the op before it on the port has ended.
    ``end_seen[i]``: whether any port waits for op i's end. ``joins[i]``: op i
    may run in the timeout of the op before it on its port, if what it waits
    for has come by then (never when that op's end is seen; ``joins[count]``
    is False). ``closes_forward[i]``: op i is the last forward op on
    its port. ``run_to[i]``: the last of the ops i+1, i+2, ... that are each
    next on i's port and join for sure (nothing to wait for elsewhere), or i.
    (Flat lists of ints and bools: a list per op costs more to make.)
    """

    first: list[int]
    second: list[int]
    third: list[int]
    end_seen: list[bool]
    joins: list[bool]
    closes_forward: list[bool]
    run_to: list[int]


class Moments:
    """Moment ids of a run of ``count`` ops: each op's end (its index), then the forward
    phase's end, one that has always come and one that never will."""

    def __init__(self, count: int) -> None:
        self.forward_end, self.always, self.never = count, count + 1, count + 2


def waits(plan: Plan, staging_slots: int) -> Waits:
    """What each op waits for (``dependency_pairs``) as its port's process checks it.

    An op waits for the latest end it depends on on each other port (a port
    ends its ops in plan order, so that is all of them there; on its own port
    they have ended) and, in the backward phase, the forward phase's end. A
    prefetch waits for a register instead (``_register_waits``), which waits
    for those too.
    """
    count, ids = len(plan), Moments(len(plan))
    port = np.asarray(PORT_CODE_OF_KIND)[plan.kind_codes]
    latest, index, ahead = _latest_ends(plan, port), np.arange(count), _ahead_on_port(port)
    fetches = index[plan.prefetch]
    ends, backward, never = _register_waits(plan, staging_slots, port, latest, ahead)
    latest[:, fetches] = ends
    third = [ids.always] * plan.forward_ops + [ids.forward_end] * (count - plan.forward_ops)
    registers = np.where(never, ids.never, np.where(backward, ids.forward_end, ids.always))
    for fetch, moment in zip(fetches.tolist(), registers.tolist(), strict=True):
        third[fetch] = moment  # few: a list of two values is quicker made this way
    first, second = (latest[(port + shift) % len(PORTS), index] for shift in (1, 2))
    end_seen = np.zeros(count + 1, dtype=bool)  # the last: no op (-1)
    end_seen[first] = end_seen[second] = True
    closes_forward = np.zeros(count, dtype=bool)
    for port_code in range(len(PORTS)):
        closes_forward[np.flatnonzero(port[: plan.forward_ops] == port_code)[-1:]] = True
    end_seen[:count] |= closes_forward
    joins = ~plan.prefetch & (ahead >= 0) & ~end_seen[ahead]
    steady = joins & (ahead == index - 1) & (first < 0) & (second < 0)
    return Waits(
        _ids(first, ids).tolist(),
        _ids(second, ids).tolist(),
        third,
        end_seen[:count].tolist(),
        [*joins.tolist(), False],  # and none for no op (a port's last)
        closes_forward.tolist(),
        _runs(steady).tolist(),
    )


def _runs(steady: np.ndarray) -> np.ndarray:
    """For each op, the last of the ops after it that each join the one before for sure
    (``steady``: next in the plan, same port, nothing to wait for on another port)."""
    index = np.arange(len(steady))
    unsteady = np.where(steady, len(steady), index)  # where a run cannot go on
    return np.minimum.accumulate(np.append(unsteady[1:], len(steady))[::-1])[::-1] - 1


def _register_waits(
    plan: Plan, staging_slots: int, port: np.ndarray, latest: np.ndarray, ahead: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each prefetch in plan order: (latest end it waits for on each port, whether it
    waits for the forward phase's end, whether it waits forever).

    Prefetches take registers in plan order, each when its data is ready, the op
    before it in the plan and the op before it on its port have started, and a
    register is free: handed back by the start of the (n - slots)-th staged
    fwd/bwd, none for the first ``slots``, never if there is none. An op starts
    when its port has ended the op before and what it waits for has come, so
    each start is waited for as those ends; in plan order, the latest so far."""
    fetches = np.flatnonzero(plan.prefetch)
    ends, backward = latest[:, fetches].copy(), fetches >= plan.forward_ops
    consumers = np.flatnonzero(plan.staged & ~plan.prefetch)
    back = np.arange(len(fetches)) - staging_slots
    never = back >= len(consumers)
    handed_back = np.append(consumers, -1)[
        np.where(back < 0, len(consumers), np.minimum(back, len(consumers)))
    ]
    for started in (fetches - 1, ahead[fetches], handed_back):
        some, op = started >= 0, np.maximum(started, 0)
        waits = some & ~plan.prefetch[op]  # a prefetch's register was taken before this one's
        ends = np.maximum(ends, np.where(waits, latest[:, op], -1))
        column = np.arange(len(fetches))
        ends[port[op], column] = np.maximum(ends[port[op], column], np.where(some, ahead[op], -1))
        backward |= waits & (op >= plan.forward_ops)
    ends = np.maximum.accumulate(ends, axis=1)
    never |= ends[port[fetches], np.arange(len(fetches))] >= fetches  # its own end, or later
    accumulate = np.logical_or.accumulate
    return ends, accumulate(backward), accumulate(never)


def _ids(ends: np.ndarray, ids: Moments) -> np.ndarray:
    """Ops' ends as moment ids, and none (-1) as the moment that has always come."""
    return np.where(ends >= 0, ends, ids.always)


def _latest_ends(plan: Plan, port: np.ndarray) -> np.ndarray:
    """(port, op): the latest op on that port whose end the op waits for, or -1."""
    waiter, waited = _pairs(plan)
    latest = np.full((len(PORTS), len(plan)), -1, dtype=np.int64)
    np.maximum.at(latest, (port[waited], waiter), waited)
    return latest


def _ahead_on_port(port: np.ndarray) -> np.ndarray:
    """The op before each op on its port, or -1."""
    ahead = np.full(len(port), -1, dtype=np.int64)
    for port_code in range(len(PORTS)):
        ops = np.flatnonzero(port == port_code)
        ahead[ops[1:]] = ops[:-1]
    return ahead
