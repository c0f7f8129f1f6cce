"""Overlapped timing: the compute unit, buffer port and disk port work at the same time.

Every op is a SimPy process. Each port (a capacity-1 ``simpy.Resource``)
runs its ops in plan order, like a hardware queue; ops on different ports
are ordered only by what they wait for, each wait a SimPy event:

- the data it reads: the end of the last op that wrote each place it reads;
- the places it overwrites: the end of every op that read or wrote them
  since (a staging register is the exception: its reader takes the value
  when it starts);
- for a prefetching load, the start of the op before it in the plan (where
  the strategy put it is when it may go), then a free staging register (a
  ``simpy.Container``), taken in plan order and handed back by the fwd/bwd
  that takes the value, when it starts;
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
consumer, earlier in the plan, starts. So by induction on plan order every op
starts (no deadlock), and none starts later than in serial mode.

That holds bit for bit with float latencies too. An op starts at the end (or
start) of an earlier op, which by induction is no later than serial op i-1's
end, serial op i's start; its end is start + duration, rounded, and serial's
running sum (``np.cumsum``, one addition after another) rounds the same
addition from a start no earlier. Rounding is monotone, so every op's start
and end, each phase's end, the forward latency and the whole run are never
above serial. The backward latency is a difference of two clock readings: it
is never above serial when both forward phases end at the same time (every
plan whose forward ops each wait for the one before, as every built-in
strategy's do); a plan whose forward phase itself overlaps starts its backward
phase earlier, and the two differences may then round apart in the last bits.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator

import numpy as np
import simpy

from .chip import Chip
from .errors import ModelViolation
from .ops import KIND_CODE, PORT_CODE_OF_KIND, PORTS
from .plan import Plan

Place = tuple[str, int]
_WORKING: Place = ("register", 0)
_GRADIENT: Place = ("gradient", 0)


def schedule(
    chip: Chip, plan: Plan, attempts: np.ndarray, durations_ns: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end times of every trace row (an op's attempts are consecutive rows)."""
    env = chip.env
    ports = [chip.ports[name] for name in PORTS]
    staging_slots = chip.config.staging_slots
    staging = simpy.Container(env, capacity=max(staging_slots, 1), init=staging_slots)
    count, forward = len(plan), plan.forward_ops
    codes = plan.kind_codes.tolist()
    port_of = [PORT_CODE_OF_KIND[code] for code in codes]
    prefetch = plan.prefetch.tolist()
    staged = plan.staged.tolist()
    durations = durations_ns.tolist()
    first_row = np.concatenate([[0], np.cumsum(attempts)]).tolist()
    start = np.zeros(len(durations), dtype=durations_ns.dtype)
    end = np.zeros_like(start)
    started = [env.event() for _ in range(count)]
    finished = [env.event() for _ in range(count)]
    took_staging = {index: env.event() for index in range(count) if prefetch[index]}
    forward_done = env.event()  # one plain event: an AllOf in every wait would be O(L²)
    env.process(_succeed_when(env.all_of(finished[:forward]), forward_done))
    waits_for = dependencies(plan)
    ahead_on_port, ahead_in_staging = _predecessors(port_of, prefetch)

    def run(index: int) -> Generator[simpy.Event, object, None]:
        waits = [finished[j] for j in waits_for[index]]
        if ahead_on_port[index] is not None:
            waits.append(started[ahead_on_port[index]])
        if index >= forward:
            waits.append(forward_done)
        if prefetch[index] and index:
            waits.append(started[index - 1])
            if ahead_in_staging[index] is not None:
                waits.append(took_staging[ahead_in_staging[index]])
        if waits:
            yield env.all_of(waits)
        if prefetch[index]:
            yield staging.get(1)
            took_staging[index].succeed()
        with ports[port_of[index]].request() as granted:
            yield granted
            started[index].succeed()
            if staged[index] and not prefetch[index]:
                staging.put(1)  # the value moves into the compute unit: its register is free
            for row in range(first_row[index], first_row[index + 1]):
                start[row] = env.now
                yield env.timeout(durations[row])
                end[row] = env.now
        finished[index].succeed()

    for index in range(count):
        env.process(run(index))
    try:
        env.run(until=env.all_of(finished))
    except RuntimeError:  # SimPy ran out of events with ops still waiting: name the first
        stuck = next(index for index in range(count) if not started[index].triggered)
        raise ModelViolation(
            f"{plan.strategy}: overlapped timing deadlocked: `{plan.op(stuck)}` "
            f"(op {stuck} of the plan) never started"
        ) from None
    return start, end


def _succeed_when(
    condition: simpy.Event, event: simpy.Event
) -> Generator[simpy.Event, object, None]:
    yield condition
    event.succeed()


def _predecessors(port_of: list[int], prefetch: list[bool]) -> tuple[list, list]:
    """For each op: the op before it on its port, and the prefetch before it (or None)."""
    last_on_port: dict[int, int] = {}
    last_prefetch = None
    on_port, in_staging = [], []
    for index, (port, fetches) in enumerate(zip(port_of, prefetch, strict=True)):
        on_port.append(last_on_port.get(port))
        in_staging.append(last_prefetch)
        last_on_port[port] = index
        if fetches:
            last_prefetch = index
    return on_port, in_staging


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
