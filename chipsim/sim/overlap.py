"""Overlapped timing: the compute unit, buffer port and disk port work at the same time.

Each port runs its ops in plan order, like a hardware queue; ops on
different ports are ordered only by what they wait for:

- the data it reads: the end of the last op that wrote each place it reads;
- the places it overwrites: the end of every op that read or wrote them
  since (a staging register is the exception: its reader takes the value
  when it starts);
- for a prefetching load, the start of the op before it in the plan (where
  the strategy put it is when it may go) and of the op before it on its
  port, then a free staging register, taken in plan order and handed back by
  the fwd/bwd that takes the value, when it starts;
- in the backward phase, the end of the forward phase (the loss needs a(L)).

Places are the working register, the gradient register, and a staging
register, a buffer entry and a disk entry per activation; a0 in inputs never
changes. Staging may hold two copies of one activation: each fwd/bwd takes
the oldest, and waits for the load that put it there.

In a plan without prefetches every op but ``free`` reads or writes the
working register or the gradient register, so each op waits for the one
before, except where two ops only read the same register (a store beside a
``bwd``) and for ``free`` (0 ns, bookkeeping): such plans take their serial
latency, or a little less where a store runs beside a ``bwd``. Real overlap
comes from prefetching loads into staging.

Every wait is for an earlier op of the plan. A staging register, too, is
waited for from an earlier op: the plan's staging use, counted in plan order,
fits the chip (``Plan.check_fits``), and a register is handed back when its
consumer, earlier in the plan, starts. So an op starts at the latest of the
times it waits for and its port's previous end, and ends its duration later
(each attempt's, in turn); as every start is the latest of earlier ops' ends
(or starts), none is later than in serial mode: overlapped latency is never
above serial.

That holds bit for bit with float latencies too. In the simulation below a
waiting process resumes at the time of the last moment it waited for, so an
op's start, ``env.now``, is exactly the latest of the times it waits for, and
its end is SimPy's ``env.now + delay``: one addition. An op starts at the end
(or start) of an earlier op, which by induction is no later than serial op i-1's
end, serial op i's start; its end is start + duration, rounded, and serial's
running sum (``np.cumsum``, one addition after another) rounds the same
addition from a start no earlier. Rounding is monotone, so every op's start
and end, each phase's end, the forward latency and the whole run are never
above serial. The backward latency is a difference of two clock readings: it
is never above serial when both forward phases end at the same time (every
plan whose forward ops each wait for the one before, as every built-in
strategy's do); a plan whose forward phase itself overlaps starts its backward
phase earlier, and the two differences may then round apart in the last bits.

The times come from a SimPy simulation on the chip's clock (``Chip.env``).
Each port with ops is one process: it holds its port (a capacity-1
``simpy.Resource`` of ``Chip.ports``) for the whole run, as the port's only
user, and runs its ops in plan order, each attempt one ``env.timeout``. One
more process hands out the staging registers: for each prefetch, in plan
order, it waits for the prefetch's data, the forward phase's end if it is in
the backward phase, the starts of the op before it in the plan and on its
port, and a register (the start of the consumer that hands it back), and
takes it then, possibly while the load's port still runs the op before. A
port process starts a prefetch when its register is taken, any other op when
its data, its places and (in the backward phase) the forward phase's end are
ready; what it waits for on its own port is over by then. Each such moment
(an op's start, its end, a register taken, the forward phase's end) becomes a
SimPy event only if a process comes to wait for it before it has happened:
one event shared by its waiters, created then; a moment already past costs
nothing. An op so schedules its timeout (one per attempt) and at most one
event each for its start, its end and, for a prefetch, its register: at most
4 for an op read once, 1.5 to 2 on the benchmark plans
(``benchmarks/README.md``), plus 17 at most per run (process starts and ends,
port grants and releases, the forward phase's end). Fewer are not to be had
this way: an op's duration is a timeout, and a moment some process waits for
before it comes must be an event for the process to resume on.

A plan that does not fit may wait for a register no op hands back: SimPy
then runs out of events, and ``env.run(until=top_process)`` turns that into
a ``ModelViolation`` naming the first op that never started. (Until issue 13
each op was a SimPy process of its own, about 9 events an op; for a while the
times were then computed in one pass with no SimPy at all. Both are kept as
oracles in ``tests/overlap_reference.py``, checked to give the same times to
the bit.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Iterable, Iterator
from itertools import accumulate

import numpy as np
import simpy

from ..errors import ModelViolation
from ..model.ops import KIND_CODE, PORT_CODE_OF_KIND, PORTS
from .machine import Chip
from .plan import Plan

Place = tuple[str, int]
_WORKING: Place = ("register", 0)
_GRADIENT: Place = ("gradient", 0)


def schedule(
    chip: Chip, plan: Plan, attempts: np.ndarray, durations_ns: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end times of every trace row (an op's attempts are consecutive rows)."""
    env, run = chip.env, _Run(chip, plan, attempts.tolist(), durations_ns.tolist())
    processes = [
        env.process(run.port(chip.ports[name], ops))
        for name, ops in zip(PORTS, run.ops_by_port(), strict=True)
        if ops
    ]
    processes.append(env.process(run.staging()))
    top = env.process(_all(processes))
    try:
        env.run(until=top)
    except RuntimeError:  # SimPy ran out of events with ops still waiting: name the first
        if all(run.start.passed):
            raise
        raise _deadlock(plan, run.start.passed.index(False)) from None
    dtype = durations_ns.dtype
    return np.array(run.row_start, dtype=dtype), np.array(run.row_end, dtype=dtype)


def _all(processes: list[simpy.Process]) -> Generator[simpy.Event, object, None]:
    """The top process: done when every port's and the staging registers' process is."""
    yield from processes


def _deadlock(plan: Plan, index: int) -> ModelViolation:
    """Op ``index`` never started: a prefetch waits for a register no op hands back."""
    return ModelViolation(
        f"{plan.strategy}: overlapped timing deadlocked: `{plan.op(index)}` "
        f"(op {index} of the plan) never started"
    )


class _Moments:
    """One moment per op (its start, its end, or its register taken), as it comes.

    A moment gets a SimPy event only when a process waits for it before it
    has come: one event for all its waiters, succeeded when it comes.
    """

    def __init__(self, env: simpy.Environment, count: int) -> None:
        self.env = env
        self.passed = [False] * count
        self.events: dict[int, simpy.Event] = {}

    def event(self, index: int) -> simpy.Event:
        if index not in self.events:
            self.events[index] = self.env.event()
        return self.events[index]

    def come(self, index: int) -> None:
        self.passed[index] = True
        event = self.events.pop(index, None)
        if event is not None:
            event.succeed()


class _Run:
    """One overlapped run: the plan's ops, their times as they happen, the moments waited for."""

    def __init__(self, chip: Chip, plan: Plan, attempts: list, durations: list) -> None:
        count, self.env, self.forward_ops = len(plan), chip.env, plan.forward_ops
        self.slots, self.durations = chip.config.staging_slots, durations
        self.waits = dependencies(plan)
        self.port_of = [PORT_CODE_OF_KIND[code] for code in plan.kind_codes.tolist()]
        self.prefetch, staged = plan.prefetch.tolist(), plan.staged.tolist()
        self.consumers = [i for i in range(count) if staged[i] and not self.prefetch[i]]
        self.first_row = list(accumulate(attempts, initial=0))
        self.row_start, self.row_end = [0] * len(durations), [0] * len(durations)
        self.start, self.end, self.took = (_Moments(self.env, count) for _ in range(3))
        self.forward_end, self.forward_left = _Moments(self.env, 1), self.forward_ops
        if not self.forward_left:
            self.forward_end.come(0)

    def ops_by_port(self) -> list[list[int]]:
        """Each port's ops, in plan order."""
        ops: list[list[int]] = [[] for _ in PORTS]
        for index, port in enumerate(self.port_of):
            ops[port].append(index)
        return ops

    def port(
        self, resource: simpy.Resource, ops: list[int]
    ) -> Generator[simpy.Event, object, None]:
        """One port's process: its ops in plan order, each when what it waits for has come."""
        with resource.request() as granted:
            yield granted
            for index in ops:
                yield from self._until(self._port_waits(index))
                yield from self._perform(index)

    def _port_waits(self, index: int) -> Iterator[tuple[_Moments, int]]:
        if self.prefetch[index]:
            yield self.took, index  # taken when everything else it waits for had come
            return
        port = self.port_of[index]
        yield from ((self.end, j) for j in self.waits[index] if self.port_of[j] != port)
        if index >= self.forward_ops:
            yield self.forward_end, 0

    def _perform(self, index: int) -> Generator[simpy.Event, object, None]:
        """Op ``index`` from now: its attempts one after another, each one timeout."""
        self.start.come(index)  # a staged fwd/bwd hands its register back as it starts
        for row in range(self.first_row[index], self.first_row[index + 1]):
            self.row_start[row] = self.env.now
            yield self.env.timeout(self.durations[row])
            self.row_end[row] = self.env.now
        self.end.come(index)
        if index < self.forward_ops:
            self.forward_left -= 1
            if not self.forward_left:
                self.forward_end.come(0)

    def staging(self) -> Generator[simpy.Event, object, None]:
        """The staging registers' process: each prefetch takes one, in plan order."""
        ahead_on_port, last_on_port = [], [None] * len(PORTS)
        for index, port in enumerate(self.port_of):
            ahead_on_port.append(last_on_port[port])
            last_on_port[port] = index
        prefetches = [index for index, fetches in enumerate(self.prefetch) if fetches]
        for taken, index in enumerate(prefetches):
            yield from self._until(self._staging_waits(index, ahead_on_port[index]))
            if taken >= self.slots:  # every register is out: wait for one to come back
                if taken - self.slots >= len(self.consumers):
                    yield self.env.event()  # none ever will: a deadlock
                yield from self._until([(self.start, self.consumers[taken - self.slots])])
            self.took.come(index)

    def _staging_waits(
        self, index: int, ahead_on_port: int | None
    ) -> Iterator[tuple[_Moments, int]]:
        yield from ((self.end, j) for j in self.waits[index])
        if index >= self.forward_ops:
            yield self.forward_end, 0
        if index:
            yield self.start, index - 1
        if ahead_on_port is not None:
            yield self.start, ahead_on_port

    def _until(
        self, moments: Iterable[tuple[_Moments, int]]
    ) -> Generator[simpy.Event, object, None]:
        """Wait until each moment has come, checking each after the wait before."""
        for kind, index in moments:
            if not kind.passed[index]:
                yield kind.event(index)


def dependencies(plan: Plan) -> list[tuple[int, ...]]:
    """For each op, the earlier ops whose end it must wait for (see the module docstring)."""
    last_writer: dict[Place, int] = {}
    readers: dict[Place, list[int]] = {}
    staged_by: dict[Place, deque[int]] = {}  # loads whose copy is still in staging, oldest first
    result = []
    ops = zip(
        plan.kind_codes.tolist(), plan.layer_numbers.tolist(), plan.staged.tolist(), strict=True
    )
    for index, (code, layer, staged) in enumerate(ops):
        reads, writes = _places(code, layer, staged)
        waits = set()
        for place in reads:
            if place[0] == "staging":
                waits.add(staged_by[place].popleft())
            elif place in last_writer:
                waits.add(last_writer[place])
        for place in writes:
            if place[0] != "staging":
                waits.update(readers.get(place, ()))
                waits.update([last_writer[place]] if place in last_writer else [])
        for place in reads:
            readers.setdefault(place, []).append(index)
        for place in writes:
            if place[0] == "staging":
                staged_by.setdefault(place, deque()).append(index)
            else:
                last_writer[place], readers[place] = index, []
        result.append(tuple(sorted(waits)))
    return result


def _places(code: int, layer: int, staged: bool) -> tuple[tuple[Place, ...], tuple[Place, ...]]:
    """(places read, places written) by one op."""
    if code in (KIND_CODE["fwd"], KIND_CODE["bwd"]):
        source = ("staging", layer - 1) if staged else _WORKING
        if code == KIND_CODE["fwd"]:
            return (source,), (_WORKING,)
        return (source, _GRADIENT), (_GRADIENT,)
    if code in (KIND_CODE["loadmem"], KIND_CODE["loaddisk"]):
        where = "buffer" if code == KIND_CODE["loadmem"] else "disk"
        target = ("staging", layer) if staged else _WORKING
        return (((where, layer),) if (where, layer) != ("buffer", 0) else ()), (target,)
    if code == KIND_CODE["storemem"]:
        return (_WORKING,), (("buffer", layer),)
    if code == KIND_CODE["storedisk"]:
        return (_WORKING,), (("disk", layer),)
    return (), (("buffer", layer),)  # free
