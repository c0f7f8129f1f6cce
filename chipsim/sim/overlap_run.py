"""The SimPy processes of an overlapped run (``chipsim.sim.overlap`` says what they model).

Each port's process holds its port (a capacity-1 ``simpy.Resource``) for the
whole run and walks its heads (``overlap_waits.Heads``): at each, it waits for
the moments the head waits for, then runs the head's ops, and those of each
next head that joins it, as one stretch of time, whose end a timeout marks
once some process waits for it. It records each head's start; the rows'
times follow from those starts by the same additions (``_Run.row_times``).
The processes are generators resumed by ``overlap_processes``.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from itertools import accumulate

import numpy as np
import simpy

from ..model.ops import PORTS
from .machine import Chip
from .overlap_processes import Processes
from .overlap_waits import Heads, Moments, waits
from .plan import Plan


class _Driver:
    """One process's heads as lists, and the start of each stretch as it happens.

    ``several``: the moments of each head that needs several (``Heads.several``).
    ``need`` and ``joins``: ``Heads``'s, with the moment that never comes after the
    last head. ``span``: a head's rows (float durations, summed as
    the run goes), or the exact sum of the rows of the heads before each (integer
    durations; ``before`` as an array). ``start``: a stretch's start at its first
    head, -1 at the others (integer durations).
    """

    def __init__(
        self, heads: Heads, first_row: np.ndarray, sums: np.ndarray | None, never: int
    ) -> None:
        self.op, self.last = heads.op, heads.last.tolist()
        several = np.flatnonzero(heads.several)
        moments = np.stack([heads.first[several], heads.second[several], heads.third[several]], 1)
        self.several = dict(zip(several.tolist(), map(tuple, moments.tolist()), strict=True))
        self.need, self.joins = np.append(heads.need, never).tolist(), heads.joins.tolist()
        self.row_from, self.row_to = first_row[heads.op], first_row[heads.last + 1]
        if sums is None:  # float durations: summed row by row as the run goes
            self.span: list = list(zip(self.row_from.tolist(), self.row_to.tolist(), strict=True))
        else:  # integer durations: each head's rows in one exact sum
            self.before = np.cumsum(np.append(0, sums[self.row_to] - sums[self.row_from]))
            self.span = self.before.tolist()
        self.start: list = [-1] * len(self.last)

    def head_starts(self) -> np.ndarray:
        """Integer durations: each head's start, from its stretch's by exact sums."""
        start = np.array(self.start, dtype=self.before.dtype)
        began = np.maximum.accumulate(np.where(start >= 0, np.arange(len(start)), 0))
        return start[began] + self.before[:-1] - self.before[began]


def _bounds(sums: np.ndarray | None, now: float) -> tuple[float, float]:
    """A time before the run and one after every end of it: with integer durations
    one before ``now`` and one past the serial latency from it (no end is later), so
    that times compare as ints, which CPython does quickest; else -inf and inf."""
    if sums is None:
        return -math.inf, math.inf
    return now - 1, now + int(sums[-1]) + 1


class _Run:
    """One overlapped run: the processes' heads, their starts as they happen, the
    moments waited for.

    A moment (``overlap_waits.Moments``) has come when ``end_at[id] <= env.now``:
    an op's end is known from when it starts (the start plus its rows' durations).
    A process that must wait for one that has not yields ``events[id]``, made when
    first needed: a timeout to that end (SimPy adds the delay to its clock: with
    integer durations exactly the end), or, for an op that has not started, a
    plain event whose waiters move onto that timeout when it does (``_ends``), or
    wake in the same step if it ends as it starts. With float
    durations each timeout is made when its op starts (``_land``), so no delay
    is ever taken from another clock reading than the start's.
    """

    def __init__(
        self, chip: Chip, plan: Plan, attempts: np.ndarray, durations_ns: np.ndarray
    ) -> None:
        self.env, self.ids = chip.env, Moments(len(plan))
        self.durations, self.exact = durations_ns, durations_ns.dtype.kind in "iu"
        first_row = np.concatenate([[0], np.cumsum(attempts)])
        self.sums = np.concatenate([[0], np.cumsum(durations_ns)]) if self.exact else None
        heads = waits(plan, chip.config.staging_slots)
        self.drivers = [_Driver(mine, first_row, self.sums, self.ids.never) for mine in heads]
        self.row_start: list = [] if self.exact else [0] * len(durations_ns)
        self.row_end: list = [] if self.exact else [0] * len(durations_ns)
        self.past, self.unknown = _bounds(self.sums, self.env.now)
        self.end_at = [self.unknown] * (self.ids.never + 1)
        self.end_at[self.ids.always] = self.past
        self.events: dict[int, simpy.Event] = {}
        self.processes = Processes(self.env)
        self.closers = {op for mine in heads for op in mine.last[mine.closes].tolist()}
        for op in self.closers:  # through ``_ends``, whose events they are found in
            self.events[op] = self.env.event()
        self.forward_left = len(self.closers)
        if not self.forward_left:
            self.end_at[self.ids.forward_end] = self.past
        self.forward_at, self.forward_op = self.past, 0  # the latest end of a closer so far
        self.waiting: list[int | None] = [None] * len(PORTS)  # the head a port last waited at

    def start(self, chip: Chip) -> simpy.Event:
        """Start a process for each port with heads; the event of their all being done."""
        ports = zip(PORTS, self.drivers, strict=True)
        return self.processes.start(
            [
                self.port(chip.ports[name], code, driver)
                for code, (name, driver) in enumerate(ports)
                if driver.last
            ]
        )

    def port(
        self, resource: simpy.Resource, code: int, driver: _Driver
    ) -> Generator[simpy.Event, object, None]:
        """One port's process: its heads in plan order, each when what it waits for has come.

        From each start, the head's ops and those of each next head that joins it
        (``Heads.joins``, with what it waits for come) run their attempts one after
        another: their end is known then, and a timeout to it is made only when a
        process waits for it (``_event``; floats: ``_land``, made at once). The
        process then waits for what its next head waits for, and only then for
        that end (at once if it is over): one wake-up where two would come at the
        same time. One function: a call per head would cost about what SimPy's own
        step does.
        """
        env, end_at, events, waiting = self.env, self.end_at, self.events, self.waiting
        need, joins, several = driver.need, driver.joins, driver.several
        lasts, span, start = driver.last, driver.span, driver.start
        exact, count, event_for, timeout = self.exact, len(lasts), self._event, env.timeout
        with resource.request() as granted:
            yield granted
            k, last, now = 0, self.ids.always, env.now  # ``now``: read after each yield
            while k < count:
                moment = need[k]
                if end_at[moment] > now:
                    waiting[code] = k
                    if k in several:
                        now = yield from self._wait_all(several[k], now)
                    else:
                        yield events.get(moment) or event_for(moment)
                        now = env.now
                if end_at[last] > now:  # its own last ops run still
                    event = events.get(last)
                    if event is None:  # known end (floats: made at the start)
                        event = events[last] = timeout(end_at[last] - now)
                    yield event
                    now = env.now
                at, k = k, k + 1
                while joins[k] and end_at[need[k]] <= now:  # the heads of one stretch of time
                    k += 1
                last = lasts[k - 1]
                if exact:
                    start[at], time = now, now + (span[k] - span[at])
                    if last in events:  # waited for already, or a closer: see ``_ends``
                        self._ends(last, time, None, need, k)
                    else:  # nobody waits for it yet: no timeout
                        end_at[last] = time
                else:
                    time = self._rows(span[at:k], now)
                    delay = yield from self._land(now, time, span[at:k])
                    now = env.now
                    self._ends(last, time, delay, need, k)
            waiting[code] = None
            if end_at[last] > env.now:
                yield events.get(last) or event_for(last)

    def stuck(self) -> list[int]:
        """The ops processes wait to start (when SimPy ran out of events)."""
        heads = zip(self.drivers, self.waiting, strict=True)
        return [int(driver.op[head]) for driver, head in heads if head is not None]

    def _wait_all(
        self, moments: tuple[int, ...], now: float
    ) -> Generator[simpy.Event, object, float]:
        """Wait for each of ``moments`` that has not come by ``now``; the clock after."""
        for moment in moments:
            if self.end_at[moment] > now:
                yield self._event(moment)
                now = self.env.now
        return now

    def _event(self, moment: int) -> simpy.Event:
        """What a process that waits for ``moment``, which has not come, yields."""
        event = self.events.get(moment)
        if event is None:
            at = self.end_at[moment]
            event = self.env.event() if at == self.unknown else self.env.timeout(at - self.env.now)
            self.events[moment] = event
        return event

    def _ends(self, index: int, time: float, delay: float | None, need: list, k: int) -> None:
        """Op ``index`` ends at ``time``: waiters from before it started move onto a
        timeout to it (with float durations, made now, of ``delay``), or wake now if it
        ends now (integer durations); a closer's end may end the forward phase.

        At that end its process, whose next head is ``k`` (each head's ``need``), wakes
        after the waiters if one of them starts what it waits for then, else first
        (``_first``)."""
        self.end_at[index] = time
        early = self.events.pop(index, None)
        waiters = None if early is None else early.callbacks
        if delay is not None or (waiters and time > self.env.now):
            timeout = self.env.timeout(time - self.env.now if delay is None else delay)
            self.events[index] = timeout
            if waiters and self._first(need, k):
                timeout.callbacks.extend(waiters)
            elif waiters:
                self.processes.hand_on(waiters, timeout)
        elif waiters:
            self.processes.hand_on(waiters, None)
        if index in self.closers:
            self._closed(index, time)

    def _first(self, need: list, k: int) -> bool:
        """Whether a process waits at a head that runs the op the first of heads ``k``, ...
        that waits for anything waits for (a guess from the heads they last waited at:
        it only orders the wake-ups of one instant)."""
        while need[k] == self.ids.always:  # the last is ``never``
            k += 1
        moment = need[k]
        for driver, head in zip(self.drivers, self.waiting, strict=True):
            if head is not None and driver.op[head] <= moment <= driver.last[head]:
                return True
        return False

    def _closed(self, index: int, time: float) -> None:
        """Op ``index``, its driver's last forward op, ends at ``time``: the forward phase
        ends at the latest such end, once every driver's is known."""
        self.forward_left -= 1
        if time >= self.forward_at:
            self.forward_at, self.forward_op = time, index
        if self.forward_left:
            return
        moment = self.ids.forward_end
        self.end_at[moment] = self.forward_at
        early = self.events.pop(moment, None)
        if early is not None:  # waiters from before: onto the latest closer's end
            target = self._event(self.forward_op)
            if target.callbacks is None:  # over already: wake them now
                target = self.env.timeout(0)
            target.callbacks.extend(early.callbacks)
            self.events[moment] = target

    def _rows(self, spans: list[tuple[int, int]], time: float) -> float:
        """Float durations: the rows' times from ``time``, one addition after another,
        as SimPy's clock would make them; their end."""
        for first, end in spans:
            ends = list(accumulate(self.durations[first:end].tolist(), initial=time))
            self.row_start[first:end], self.row_end[first:end] = ends[:-1], ends[1:]
            time = ends[-1]
        return time

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

    def row_times(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and end of every row: integer durations from each head's start, the
        running sum within it (exact); float ones as recorded."""
        dtype = self.durations.dtype
        if not self.exact:
            return np.array(self.row_start, dtype=dtype), np.array(self.row_end, dtype=dtype)
        before = self.sums[:-1].astype(dtype)  # each row's serial start
        offset = np.zeros(len(before), dtype=dtype)  # a head's start less its serial start
        head_row = np.zeros(len(before), dtype=np.int64)
        for driver in self.drivers:
            offset[driver.row_from] = driver.head_starts() - before[driver.row_from]
            head_row[driver.row_from] = driver.row_from
        start = offset[np.maximum.accumulate(head_row)] + before  # each row's head's offset
        return start, start + self.durations
