"""What each process of an overlapped run waits for before it starts an op, as moment ids.

Built for the whole plan with numpy from the data dependencies
(``overlap_deps``) and the chains (``overlap_chains``): each op is run by
its *driver*'s process (its port's, unless a chain crossing ports carries it),
which runs its ops in plan order. The ops a driver runs end in plan order (each
waits for the one before it: a chained op for its end, any other op for its
port's previous op, which the driver ran last), so an op waits for the
latest term it has among each other driver's ops, and terms of its own
driver have ended when it gets there.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from ..model.ops import PORT_CODE_OF_KIND, PORTS
from .overlap_chains import chained, closing_ops, drivers
from .overlap_deps import dependency_pairs_unsorted
from .plan import Plan


class Moments:
    """Moment ids of a run of ``count`` ops: each op's end (its index), then the forward
    phase's end, one that has always come and one that never will."""

    def __init__(self, count: int) -> None:
        self.forward_end, self.always, self.never = count, count + 1, count + 2


@dataclass(frozen=True)
class Heads:
    """The ops a driver's process starts a stretch of time or a wait at (its *heads*),
    in plan order; each runs with the ops after it that follow it for sure (chained,
    on the same driver, nobody else waiting between), up to ``last``.

    ``first``, ``second``, ``third``: the moments (``Moments``) a head waits for once
    the op before it on its driver has ended: the latest end it waits for on each
    other driver, and the forward phase's end or a prefetch's register. ``joins``: the
    head may run in the stretch of the one before, if those have come by then (one
    more, False, for no head), unless another driver waits for the end of the one
    before (which then ends a stretch: only a stretch's end is ever waited for).
    ``closes``: ``last`` is the driver's last forward op. ``need``: the one of those
    moments that may not have come when the head is reached (those an earlier head
    of the driver waited for, or a later end on the same driver, have), ``always``
    if none, ``never`` if ``several`` (then all three are looked at). (Columns.)
    """

    op: np.ndarray
    first: np.ndarray
    second: np.ndarray
    third: np.ndarray
    need: np.ndarray
    several: np.ndarray
    joins: np.ndarray
    last: np.ndarray
    closes: np.ndarray


class _Terms:
    """What each op's start is the latest of (``overlap_chains``): its end terms (data
    and port order) and, for prefetches, its start terms."""

    def __init__(self, plan: Plan, staging_slots: int) -> None:
        self.port = np.asarray(PORT_CODE_OF_KIND)[plan.kind_codes]
        self.ahead = _ahead_in(self.port)
        self.data = dependency_pairs_unsorted(plan)
        self.start_terms = _start_terms(plan, staging_slots, self.ahead)
        self.fetches = np.flatnonzero(plan.prefetch)

    def chains(self, forward_ops: int) -> tuple[np.ndarray, np.ndarray]:
        """Per op: chained to the op before it, and its driver."""
        starts = _in_turn(self.start_terms, self.fetches)
        follows = chained(forward_ops, self.port, self.ahead, self.data, starts)
        return follows, drivers(self.port, follows)


def chains(plan: Plan, staging_slots: int) -> tuple[np.ndarray, np.ndarray]:
    """Per op: whether it starts exactly when the op before it ends, and the port whose
    process runs it (``overlap_chains``)."""
    return _Terms(plan, staging_slots).chains(plan.forward_ops)


def waits(plan: Plan, staging_slots: int) -> list[Heads]:
    """Each port's process's heads: the ops it runs, and what it waits for."""
    terms, count = _Terms(plan, staging_slots), len(plan)
    follows, driver = terms.chains(plan.forward_ops)
    follows &= driver == np.append(-1, driver[:-1])  # chained, and on the same driver
    latest, third = _latest_waits(plan, terms, driver)
    third[follows] = Moments(count).always  # all it waits for has ended: it is chained
    waiting = np.flatnonzero(~follows)  # a chained op waits for nothing that has not come
    first, second = (np.full(count, -1, dtype=np.int64) for _ in range(2))
    for shift, column in ((1, first), (2, second)):
        other = (driver[waiting] + shift) % len(PORTS)
        column[waiting] = latest.reshape(-1)[other * count + waiting]  # flat: quicker than 2-D
    closers = np.zeros(count, dtype=bool)
    closers[closing_ops(driver, plan.forward_ops)] = True
    end_seen = np.zeros(count + 1, dtype=bool)  # the last: no op (-1)
    end_seen[first[waiting]] = end_seen[second[waiting]] = True
    end_seen[:count] |= closers
    head = np.flatnonzero(~follows | _before(end_seen[:-1], end_seen[-1]))
    last = np.append(head[1:], count) - 1  # the ops between heads: chained
    joins = _joins(plan, head, terms.ahead, driver, follows, end_seen)
    by_driver = np.argsort(driver[head].astype(np.int8), kind="stable")  # a radix sort
    bounds = np.searchsorted(driver[head[by_driver]], np.arange(len(PORTS) + 1)).tolist()
    head, last, joins = head[by_driver], last[by_driver], joins[by_driver]
    columns = (head, first[head], second[head], third[head], last, joins)
    mine = [slice(lo, hi) for lo, hi in pairwise(bounds)]
    return [_heads(tuple(column[one] for column in columns), closers) for one in mine]


def _latest_waits(plan: Plan, terms: _Terms, driver: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(driver, op): the latest end an op waits for among that driver's ops, with a
    prefetch's register's; and per op, its third moment (``_third``)."""
    fetches, ahead = terms.fetches, terms.ahead
    latest = _latest(driver, terms.data, len(plan))
    own = latest[:, fetches]  # a prefetch's data: the register it takes is taken after
    _add_port_order(latest, driver, ahead, np.flatnonzero(ahead >= 0))
    ends, backward, never = _register_waits(plan, driver, latest, own, terms.start_terms, ahead)
    latest[:, fetches] = ends
    _add_port_order(latest, driver, ahead, fetches[ahead[fetches] >= 0])
    return latest, _third(plan, Moments(len(plan)), fetches, backward, never)


def _joins(
    plan: Plan,
    head: np.ndarray,
    ahead: np.ndarray,
    driver: np.ndarray,
    follows: np.ndarray,
    end_seen: np.ndarray,
) -> np.ndarray:
    """``Heads.joins`` of each head: the op before it on its driver is its port's or
    the op before it in a chain, and it is no prefetch (whose start others wait for)."""
    behind = _ahead_in(driver)[head]
    return (
        ~plan.prefetch[head]
        & (behind >= 0)
        & ~end_seen[behind]
        & ((ahead[head] == behind) | follows[head])
    )


def _heads(columns: tuple[np.ndarray, ...], closes: np.ndarray) -> Heads:
    """One driver's ``Heads`` from its heads' columns: op, first, second, third, last
    and joins."""
    op, first, second, third, last, joins = columns
    ids = Moments(len(closes))
    need, several = _need(ids, first, second, third)
    first, second = _ids(first, ids), _ids(second, ids)
    return Heads(
        op, first, second, third, need, several, np.append(joins, False), last, closes[last]
    )


def _need(
    ids: Moments, first: np.ndarray, second: np.ndarray, third: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``Heads.need`` and ``Heads.several`` of one driver's heads (``first`` and ``second``
    as ops, -1 for none): an end on another driver has come if an earlier head waited
    for a later one there (its ops end in plan order), the forward phase's end if an
    earlier head waited for it."""
    late = [column > _before(np.maximum.accumulate(column), -1) for column in (first, second)]
    ended = third == ids.forward_end
    late.append((third == ids.never) | (ended & (np.cumsum(ended) == 1)))
    need = np.full(len(third), ids.always)
    for column, mine in zip((first, second, third), late, strict=True):
        need[mine] = column[mine]
    several = late[0].astype(np.int8) + late[1] + late[2] > 1
    need[several] = ids.never
    return need, several


def _before(column: np.ndarray, fill: int) -> np.ndarray:
    """``column`` shifted one on, ``fill`` first: each entry's value before it."""
    return np.concatenate([np.full(1, fill, dtype=column.dtype), column[:-1]])


def _third(
    plan: Plan, ids: Moments, fetches: np.ndarray, backward: np.ndarray, never: np.ndarray
) -> np.ndarray:
    """Per op: the forward phase's end in the backward phase, a prefetch's register."""
    count, forward = len(plan), plan.forward_ops
    third = np.full(count, ids.always)
    third[forward:] = ids.forward_end
    third[fetches] = np.where(never, ids.never, np.where(backward, ids.forward_end, ids.always))
    return third


def _start_terms(
    plan: Plan, staging_slots: int, ahead: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(prefetch, op whose start it waits for): the op before it in the plan and on its
    port, and the fwd/bwd that hands its register back: the (n - slots)-th staged one,
    or ``len(plan)`` if none will. (And the previous prefetch's register: ``_in_turn``.)"""
    fetches = np.flatnonzero(plan.prefetch)
    consumers = np.flatnonzero(plan.staged & ~plan.prefetch)
    back = np.arange(len(fetches)) - staging_slots
    handed_back = np.append(consumers, len(plan))[np.clip(back, -1, len(consumers))]
    handed_back[back < 0] = -1
    started = np.concatenate([fetches - 1, ahead[fetches], handed_back])
    waiter = np.tile(fetches, 3)
    return waiter[started >= 0], started[started >= 0]


def _in_turn(
    start_terms: tuple[np.ndarray, np.ndarray], fetches: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``start_terms`` and each prefetch's previous one, whose register it takes after."""
    return np.append(start_terms[0], fetches[1:]), np.append(start_terms[1], fetches[:-1])


def _register_waits(
    plan: Plan,
    driver: np.ndarray,
    latest: np.ndarray,
    own: np.ndarray,
    start_terms: tuple[np.ndarray, ...],
    ahead: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each prefetch in plan order: (latest end it waits for on each driver, whether
    it waits for the forward phase's end, whether it waits forever).

    Prefetches take registers in plan order, each when its data is ready and the ops
    its start terms name have started. An op starts when what it waits for has ended
    (its driver's previous op among them), so each start is waited for as those ends;
    in plan order, the latest so far. A prefetch starts when its register is taken
    and its port's previous op has ended: the ones before it took theirs before."""
    fetches = np.flatnonzero(plan.prefetch)
    column = (np.cumsum(plan.prefetch) - 1)[start_terms[0]]  # each waiter's rank
    ends, backward = own.copy(), fetches >= plan.forward_ops
    started = start_terms[1]
    exists = started < len(plan)
    some = exists & ~plan.prefetch[np.minimum(started, len(plan) - 1)]
    never = np.zeros(len(fetches), dtype=bool)
    never[column[~exists]] = True
    op, at = started[some], column[some]
    flat, width = ends.ravel(), len(fetches)  # flat indices: quicker than 2-D ones
    codes = np.arange(len(PORTS))[:, None]
    np.maximum.at(flat, (codes * width + at).ravel(), latest[:, op].ravel())
    fetched = exists & ~some & (ahead[np.minimum(started, len(plan) - 1)] >= 0)
    before = ahead[started[fetched]]  # a prefetch's start: its port's previous end too
    np.maximum.at(flat, driver[before] * width + column[fetched], before)
    backward[at[op >= plan.forward_ops]] = True
    ends = np.maximum.accumulate(flat.reshape(len(PORTS), width), axis=1)
    never |= ends[driver[fetches], np.arange(len(fetches))] >= fetches  # its own driver's
    accumulate = np.logical_or.accumulate
    return ends, accumulate(backward), accumulate(never)


def _add_port_order(latest: np.ndarray, driver: np.ndarray, ahead: np.ndarray, ops) -> None:
    """Ops ``ops`` wait for their port's previous op too (each op has at most one)."""
    before, flat = ahead[ops], latest.reshape(-1)  # flat indices: quicker than 2-D ones
    at = driver[before] * latest.shape[1] + ops
    flat[at] = np.maximum(flat[at], before)


def _latest(driver: np.ndarray, end_terms: tuple[np.ndarray, np.ndarray], count: int) -> np.ndarray:
    """(driver, op): the latest op run by that driver whose end the op waits for, or -1."""
    waiter, waited = end_terms
    latest = np.full(len(PORTS) * count, -1, dtype=np.int64)
    np.maximum.at(latest, driver[waited] * count + waiter, waited)  # flat: quicker than 2-D
    return latest.reshape(len(PORTS), count)


def _ids(ends: np.ndarray, ids: Moments) -> np.ndarray:
    """Ops' ends as moment ids, and none (-1) as the moment that has always come."""
    return np.where(ends >= 0, ends, ids.always)


def _ahead_in(group: np.ndarray) -> np.ndarray:
    """The op before each op in its group (port or driver), or -1."""
    ahead = np.full(len(group), -1, dtype=np.int64)
    for code in range(len(PORTS)):
        ops = np.flatnonzero(group == code)
        ahead[ops[1:]] = ops[:-1]
    return ahead
