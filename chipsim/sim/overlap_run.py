"""The SimPy processes of an overlapped run (``chipsim.sim.overlap`` says what they model).

Each port's process holds its port (a capacity-1 ``simpy.Resource``) for the
whole run and walks its heads (``overlap_waits.Heads``): at each, it waits for
the moments the head waits for, then runs the head's ops, and those of each
next head that joins it, in one timeout. It records each head's start; the
rows' times follow from those starts by the same additions
(``_Run.row_times``).
"""

from __future__ import annotations

from collections.abc import Generator
from itertools import accumulate

import numpy as np
import simpy

from ..model.ops import PORTS
from .machine import Chip
from .overlap_waits import AFTER_SEEN, Heads, Moments, waits
from .plan import Plan


SEEN, CLOSES, INSTANT = 1, 2, 4  # ``_Driver.flags`` of a head


class _Driver:
    """One process's heads as lists, and the start of each head as it happens.

    ``flags``: ``SEEN``, ``CLOSES`` (``Heads.seen``, ``Heads.closes``) and
    ``INSTANT``: the head's rows take no time, so it may join a timeout that
    ends at an op others wait for (``Heads.joins``). ``span``: its rows' exact
    sum (integer durations), or its rows (float ones, summed as the run goes).
    """

    def __init__(
        self, heads: Heads, first_row: np.ndarray, sums: np.ndarray | None, zeros: np.ndarray
    ) -> None:
        self.op, self.last = heads.op, heads.last.tolist()
        self.first = np.append(heads.first, 0).tolist()
        self.second = np.append(heads.second, 0).tolist()
        self.third = np.append(heads.third, 0).tolist()
        self.row_from, self.row_to = first_row[heads.op], first_row[heads.last + 1]
        instant = zeros[self.row_to] - zeros[self.row_from] == self.row_to - self.row_from
        after_closer = np.append(False, heads.closes[:-1])  # the forward phase's end: its own
        joins = np.where(heads.joins[:-1] == AFTER_SEEN, instant & ~after_closer, heads.joins[:-1])
        self.joins = np.append(joins.astype(bool), False).tolist()
        flags = heads.seen * SEEN + heads.closes * CLOSES + np.append(instant[1:], 0) * INSTANT
        self.flags = flags.tolist()  # the next head's INSTANT: read when it may join
        if sums is None:  # float durations: summed row by row as the run goes
            self.span: list = list(zip(self.row_from.tolist(), self.row_to.tolist(), strict=True))
        else:  # integer durations: a head's rows in one exact sum
            self.span = (sums[self.row_to] - sums[self.row_from]).tolist()
        self.start: list = [0] * len(self.last)


class _Run:
    """One overlapped run: the processes' heads, their starts as they happen, the
    moments waited for.

    A moment (``overlap_waits.Moments``) has come when ``passed[id]``; a process
    that must wait for one that has not yields ``events[id]``, made when first
    needed: for an op's end, the timeout that ends it (or, before that is
    scheduled, a plain event whose waiters then move onto it); else a plain
    event, succeeded when the moment comes.
    """

    def __init__(
        self, chip: Chip, plan: Plan, attempts: np.ndarray, durations_ns: np.ndarray
    ) -> None:
        self.env, self.ids = chip.env, Moments(len(plan))
        self.durations, self.exact = durations_ns, durations_ns.dtype.kind in "iu"
        first_row = np.concatenate([[0], np.cumsum(attempts)])
        sums = np.concatenate([[0], np.cumsum(durations_ns)]) if self.exact else None
        zeros = np.concatenate([[0], np.cumsum(durations_ns == 0)])  # rows of no duration
        heads = waits(plan, chip.config.staging_slots)
        self.drivers = [_Driver(mine, first_row, sums, zeros) for mine in heads]
        self.row_start: list = [] if self.exact else [0] * len(durations_ns)
        self.row_end: list = [] if self.exact else [0] * len(durations_ns)
        self.passed = [False] * (self.ids.never + 1)
        self.passed[self.ids.always] = True
        self.events: dict[int, simpy.Event] = {}
        self.forward_left = sum(int(mine.closes.sum()) for mine in heads)
        self.passed[self.ids.forward_end] = not self.forward_left
        self.waiting: list[int | None] = [None] * len(PORTS)  # the head a port last waited at

    def processes(self, chip: Chip) -> list[simpy.Process]:
        """Start a process for each port with heads."""
        return [
            self.env.process(self.port(chip.ports[name], code, driver))
            for code, (name, driver) in enumerate(zip(PORTS, self.drivers, strict=True))
            if driver.last
        ]

    def port(
        self, resource: simpy.Resource, code: int, driver: _Driver
    ) -> Generator[simpy.Event, object, None]:
        """One port's process: its heads in plan order, each when what it waits for has come.

        From each start, the head's ops and those of each next head that joins it
        (``Heads.joins``, with what it waits for come) run their attempts one after
        another in one timeout (``_land``: one per attempt where the clock cannot
        land exactly on a float end). The process then waits for what its next
        head waits for, and only then for that timeout (at once if it is over):
        one wake-up where two would come at the same time. One function: a call
        per head would cost about what SimPy's own step does.
        """
        env, passed, events, waiting = self.env, self.passed, self.events, self.waiting
        first, second, third, joins = driver.first, driver.second, driver.third, driver.joins
        lasts, flags, span, start = driver.last, driver.flags, driver.span, driver.start
        exact, count, timeout = self.exact, len(lasts), env.timeout
        with resource.request() as granted:
            yield granted
            k, last, pending, end_seen, marks = 0, 0, None, False, None
            while k < count:
                a, b, c = first[k], second[k], third[k]
                if not (passed[a] and passed[b] and passed[c]):
                    waiting[code] = k
                    for moment in (a, b, c):
                        if not passed[moment]:
                            event = events.get(moment)
                            if event is None:
                                event = events[moment] = env.event()
                            yield event
                if pending is not None:
                    if pending.callbacks is not None:  # not over yet
                        yield pending
                    passed[last] = True
                    if end_seen:
                        del events[last]
                    if marks:
                        self._passed(marks)
                now = time = env.now
                at, marks = k, None
                while True:  # the heads of one timeout
                    start[k] = time
                    time = time + span[k] if exact else self._rows(span[k], time)
                    k += 1
                    if not (
                        joins[k] and passed[first[k]] and passed[second[k]] and passed[third[k]]
                    ):
                        break
                    if flags[k - 1] & SEEN:  # it ends where the rest, no time, does
                        marks = [*(marks or ()), lasts[k - 1]]
                    elif marks and not flags[k - 1] & INSTANT:
                        break
                delay = time - now if exact else (yield from self._land(now, time, span[at:k]))
                last, pending, end_seen = lasts[k - 1], timeout(delay), flags[k - 1] & SEEN
                if marks:
                    self._marked(marks, pending)
                if end_seen:
                    early = events.get(last)
                    if early is not None:  # waiters from before it started: onto the timeout
                        pending.callbacks.extend(early.callbacks)
                    events[last] = pending
                if flags[k - 1] & CLOSES:  # the backward phase waits for it: end it on time
                    yield pending
                    self._ended(last, True)
                    pending = None
            waiting[code] = None
            if pending is not None:
                yield pending
                self._ended(last, flags[k - 1] & CLOSES)
                self._passed(marks or ())

    def stuck(self) -> list[int]:
        """The ops processes wait to start (when SimPy ran out of events)."""
        heads = zip(self.drivers, self.waiting, strict=True)
        return [int(driver.op[head]) for driver, head in heads if head is not None]

    def _marked(self, ends: list[int], pending: simpy.Timeout) -> None:
        """Ops whose end others wait for end with ``pending``, whose later ops take no time."""
        for index in ends:
            early = self.events.get(index)
            if early is not None:  # waiters from before it started: onto the timeout
                pending.callbacks.extend(early.callbacks)
            self.events[index] = pending

    def _passed(self, ends: list[int]) -> None:
        """Ops ``ends``, marked on a timeout that is over, have ended."""
        for index in ends:
            self.passed[index] = True
            self.events.pop(index, None)

    def _rows(self, rows: tuple[int, int], time: float) -> float:
        """Float durations: the rows' times from ``time``, one addition after another,
        as SimPy's clock would make them; their end."""
        ends = list(accumulate(self.durations[rows[0] : rows[1]].tolist(), initial=time))
        self.row_start[rows[0] : rows[1]], self.row_end[rows[0] : rows[1]] = ends[:-1], ends[1:]
        return ends[-1]

    def _land(
        self, now: float, time: float, spans: list[tuple[int, int]]
    ) -> Generator[simpy.Event, object, float]:
        """The delay of a timeout from ``now`` to the float ``time`` that ends ``spans``.

        One row's is its duration, which SimPy adds to ``now``: exactly its end.
        Else ``time - now`` if the clock lands exactly on ``time`` with it;
        if not, a timeout per row but the last, each its duration, and the last's."""
        durations = self.durations
        if len(spans) == 1 and spans[0][1] - spans[0][0] == 1:
            return durations[spans[0][0]].item()
        if now + (time - now) == time:
            return time - now
        flat = [row for first_at, end_at in spans for row in range(first_at, end_at)]
        for row in flat[:-1]:
            yield self.env.timeout(durations[row].item())
        return durations[flat[-1]].item()

    def _ended(self, index: int, closes: bool) -> None:
        """Op ``index``, the last of a timeout, has ended (``closes``: its driver's
        forward phase with it)."""
        self.passed[index] = True
        self.events.pop(index, None)
        if closes:
            self.forward_left -= 1
            if not self.forward_left:
                self._come(self.ids.forward_end)

    def _come(self, moment: int) -> None:
        """A moment other than an op's end has come: wake whoever waits for it."""
        self.passed[moment] = True
        event = self.events.pop(moment, None)
        if event is not None:
            event.succeed()

    def row_times(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and end of every row: integer durations from each head's start, the
        running sum within it (exact); float ones as recorded."""
        dtype = self.durations.dtype
        if not self.exact:
            return np.array(self.row_start, dtype=dtype), np.array(self.row_end, dtype=dtype)
        row_from = np.concatenate([driver.row_from for driver in self.drivers])
        row_to = np.concatenate([driver.row_to for driver in self.drivers])
        began = np.concatenate([np.array(driver.start, dtype=dtype) for driver in self.drivers])
        order = np.argsort(row_from)
        row_from, row_to, began = row_from[order], row_to[order], began[order]
        before = np.concatenate([[0], np.cumsum(self.durations)[:-1]]).astype(dtype)
        rows = row_to - row_from
        start = np.repeat(began - before[row_from], rows) + before
        return start, start + self.durations
