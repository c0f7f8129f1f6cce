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
consumer, earlier in the plan, starts. So the times follow from one pass in
plan order, with no simulation clock and no SimPy event: an op starts at
the latest of the times it waits for and its port's previous end, and ends
its duration later (each attempt's, in turn). As every start is the latest
of earlier ops' ends, none is later than in serial mode: overlapped latency
is never above serial. (Until issue 13 each op was a SimPy process waiting
on SimPy events, about 9 events an op for the same times; that model is
kept as the oracle in ``tests/overlap_reference.py``.)

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

import numpy as np

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
    forward, slots = plan.forward_ops, chip.config.staging_slots
    port_of = [PORT_CODE_OF_KIND[code] for code in plan.kind_codes.tolist()]
    prefetch, staged = plan.prefetch.tolist(), plan.staged.tolist()
    durations, rows_of = durations_ns.tolist(), attempts.tolist()
    starts: list = []  # per trace row
    ends: list = []
    op_start: list = []  # per op
    op_end: list = []
    port_start, port_end = [0] * len(PORTS), [0] * len(PORTS)
    handed_back: list = []  # when each staging register came back, in plan order
    took, prefetches, forward_end = 0, 0, 0
    for index, waits in enumerate(dependencies(plan)):
        if index == forward:
            forward_end = max(op_end, default=0)
        port = port_of[index]
        ready = max([op_end[j] for j in waits], default=0)
        if index >= forward:
            ready = max(ready, forward_end)
        if prefetch[index]:
            if prefetches >= slots + len(handed_back):
                raise _deadlock(plan, index)
            behind = op_start[index - 1] if index else 0
            free = handed_back[prefetches - slots] if prefetches >= slots else 0
            ready = took = max(ready, behind, port_start[port], took, free)
            prefetches += 1
        time = max(ready, port_end[port])
        op_start.append(time)
        port_start[port] = time
        if staged[index] and not prefetch[index]:
            handed_back.append(time)  # the value moves into the compute unit: its register is free
        for row in range(len(starts), len(starts) + rows_of[index]):
            starts.append(time)
            time = time + durations[row]
            ends.append(time)
        op_end.append(time)
        port_end[port] = time
    dtype = durations_ns.dtype
    return np.array(starts, dtype=dtype), np.array(ends, dtype=dtype)


def _deadlock(plan: Plan, index: int) -> ModelViolation:
    """A prefetch with no staging register to take: no earlier op hands one back."""
    return ModelViolation(
        f"{plan.strategy}: overlapped timing deadlocked: `{plan.op(index)}` "
        f"(op {index} of the plan) never started"
    )


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
