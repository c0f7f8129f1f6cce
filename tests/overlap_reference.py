"""Two earlier models of overlapped timing, kept as oracles for ``chipsim.sim.overlap``.

``reference_schedule``: every op is a SimPy process waiting for SimPy events:
the ends of the ops it depends on, its port (a capacity-1 ``simpy.Resource``
taken in plan order), a staging register (a ``simpy.Container``) for a
prefetch. This is the model chipsim used until issue 13 (about 9 events per
op). ``one_pass_schedule``: the same times computed in one pass over the
plan with no SimPy at all, which replaced it for a while. ``chipsim.sim.overlap``
is a SimPy simulation again, one process per port and at most one timeout per
op; ``tests/test_overlap_reference.py`` checks that all three agree to the bit.
Both oracles take what each op waits for from ``reference_dependencies``, the
per-op Python sets chipsim used until issue 21, so they share no code with it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator

import numpy as np
import simpy

from chipsim.errors import ModelViolation
from chipsim.model.ops import KIND_CODE, PORT_CODE_OF_KIND, PORTS
from chipsim.sim.machine import Chip
from chipsim.sim.overlap import _deadlock
from chipsim.sim.plan import Plan


def reference_schedule(
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
    waits_for = reference_dependencies(plan)
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


def one_pass_schedule(
    chip: Chip, plan: Plan, attempts: np.ndarray, durations_ns: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The same times in one pass over the plan, no SimPy: chipsim's code after issue 13.

    Every wait is for an earlier op (``chipsim.sim.overlap``'s docstring), so an
    op starts at the latest of the ends (and, for a prefetch, the starts and
    register hand-backs) it waits for and its port's previous end.
    """
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
    for index, waits in enumerate(reference_dependencies(plan)):
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


Place = tuple[str, int]
_WORKING: Place = ("register", 0)
_GRADIENT: Place = ("gradient", 0)


def reference_dependencies(plan: Plan) -> list[tuple[int, ...]]:
    """For each op, the earlier ops whose end it must wait for: chipsim's per-op Python
    sets until issue 21, kept to check ``chipsim.sim.overlap_deps`` (``chipsim.sim.overlap``'s
    docstring says what an op waits for)."""
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
