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

That holds bit for bit with float latencies too. In the simulation below an
op starts at ``env.now`` when what it waits for has come, which is exactly the
latest of those times, and each attempt ends at its start plus its duration:
one addition, as SimPy's ``env.now + delay`` would make it. An op starts at the end
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
Each port with ops to run is one process: it holds its port (a capacity-1
``simpy.Resource`` of ``Chip.ports``) for the whole run, as the port's only
user, and runs its ops in plan order, each when what it waits for has come.
A process is a generator that yields the SimPy events it waits for, resumed
by a callback on each (``overlap_run._Run.start``): what ``simpy.Process``
does, without its bookkeeping (the active process, failures thrown in,
interrupts), which these processes never use, and which cost a sixth of a
bare SimPy event per wake-up.

**Chains fold into one timeout.** An op whose start is, whatever the
durations, exactly the end of the op before it in the plan (``overlap_chains``:
that end is one of its terms, and every other term provably ended by then)
waits for nothing once that op is over, on whichever port it runs. So the
process that ran that op runs it too, in the same timeout, as long as it has
nothing else to do meanwhile (the *driver* of a stretch of a chain: the
stretch ends on its own port, whose next op waits for that end anyway, or
the port has no later op). The ports an op of such a stretch uses are idle
then: their own previous op is one of its terms. On disk-offload every op
waits for the one before, fwd for the store that reads what it overwrites and
the store for the fwd, so each phase is one timeout; on the others chains
end where a store runs beside a bwd or a prefetch beside compute. The times
are the same additions in the same order: an op starts at the float its
chain's previous op ended at, and ends its durations later.

What is waited for (``overlap_waits``, found for the whole plan with numpy):
the ops a driver runs end in plan order, so an op waits for the latest end it
depends on among each other driver's ops (its own driver's have ended), and
in the backward phase for the forward phase's end. A prefetch waits for its
register instead: prefetches take registers in plan order, so the n-th takes
one when the n-1 before it have and its own conditions hold; each start among
those comes when the ends its op waits for have, so the register is waited
for as those ends, the latest on each driver so far. Nothing but ends is
waited for. A process runs from each op it waits at (a *head*) the ops that
follow it in a chain, and each next head whose waits have come by then (it
starts when the one before ends), unless another driver waits for an end in
between. Their end is known then, the start plus the durations: an end has
come once the clock reads it, and a SimPy timeout to it is made only when a
process must wait for it before (``overlap_run``): the waiter's, its own when
it has nothing else to wait for first, or, when a process waits for an op
that has not started, a plain event whose waiters move onto that timeout when
it does (behind the process that started it, which so wakes first at its end
and starts its next op before they look for it), or wake in the same SimPy
step if it ends as it starts. SimPy adds the delay to its clock: with integer
durations that lands on the end exactly, and the rows' times follow from each
head's start by exact sums. With float durations every stretch gets its timeout when it starts, its
rows summed as it goes, and the landing is checked (``_land``), else each
attempt gets its own timeout. A process waits for what its next head waits
for and only then for its own end, at once if it has come, so one wake-up
serves where two would come at the same time. So a run schedules at most one
timeout per attempt (0.00 per op on disk-offload, 0.04 to 0.29 on stride,
sqrt-n and prefetching plans: ``benchmarks/README.md``) and a few more (port
grants and releases, the run's end, the forward phase's end).

A plan that does not fit may wait for a register no op hands back, or for an
op after it on its port: SimPy then runs out of events, and
``env.run(until=done)`` turns that into a ``ModelViolation`` naming the
first op that never started. (Until issue 13 each op was a SimPy process of
its own, about 9 events an op; for a while the times were then computed in
one pass with no SimPy at all. Both are kept as oracles in
``tests/overlap_reference.py``, checked to give the same times to the bit.
Until issue 21 a process handed out the registers and starts and registers
taken were events too: 1.5 to 2 events per op; then each port ran its own
ops only, one timeout per op on chains that cross ports.)
"""

from __future__ import annotations

import gc

import numpy as np

from ..errors import ModelViolation
from .machine import Chip
from .overlap_deps import dependencies
from .overlap_run import _Run
from .plan import Plan

__all__ = ["dependencies", "schedule"]


def schedule(
    chip: Chip, plan: Plan, attempts: np.ndarray, durations_ns: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end times of every trace row (an op's attempts are consecutive rows)."""
    collecting = gc.isenabled()
    gc.disable()  # sweeps would walk the run's long lists again and again; cycles wait
    try:  # the run is gone by the time sweeps come back: none walks its events
        return _simulated(chip, plan, attempts, durations_ns)
    finally:
        if collecting:
            gc.enable()


def _simulated(
    chip: Chip, plan: Plan, attempts: np.ndarray, durations_ns: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``schedule``'s simulation, its times read from the run's records."""
    env, run = chip.env, _Run(chip, plan, attempts, durations_ns)
    done = run.start(chip)
    try:
        env.run(until=done)
    except RuntimeError:  # SimPy ran out of events with ops still waiting: name the first
        stuck = run.stuck()
        if not stuck:
            raise
        raise _deadlock(plan, min(stuck)) from None
    return run.row_times()


def _deadlock(plan: Plan, index: int) -> ModelViolation:
    """Op ``index`` never started: a prefetch waits for a register no op hands back."""
    return ModelViolation(
        f"{plan.strategy}: overlapped timing deadlocked: `{plan.op(index)}` "
        f"(op {index} of the plan) never started"
    )
