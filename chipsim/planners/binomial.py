"""The binomial checkpointing schedule itself, emitted run by run (no dynamic program).

Griewank's construction ("Achieving logarithmic growth of temporal and
spatial complexity in reverse automatic differentiation", 1992; Griewank and
Walther, "Algorithm 799: Revolve", 2000). In Revolve's terms (see
``revolve.py`` for how steps map onto layers): to reverse l steps from a
stored x_0 with c snapshots, advance to some x_m, snapshot it, reverse the
l − m steps above it with c − 1 snapshots, release the snapshot, then reverse
the m steps below with c. With β(c, r) = C(c+r, c) and r the least integer
with β(c, r) ≥ l, any split with

    β(c, r−2) ≤ m ≤ β(c, r−1)   and   β(c−1, r−1) ≤ l − m ≤ β(c−1, r)

attains t(l, c) = r·l − β(c+1, r−1): the lower part then has repetition
number r − 1 and the upper part r, and m + t(m, c) + t(l−m, c−1) telescopes
to t(l, c) by Pascal's rule (t is continuous at the interval ends, where two
repetition numbers give the same value). Such an m exists because
β(c, r) = β(c, r−1) + β(c−1, r); ``split`` takes the smallest. With one
snapshot the only schedule is to walk up from x_0 for each step in turn.

The walk keeps an explicit stack (depth at most c + r) and emits runs of
ops straight into the plan's columns (``PlanColumns``): an advance is one run
of ``fwd``, so the Python work is per action (as in Revolve), not per op,
and a million-layer plan never exists as Op objects.
"""

from __future__ import annotations

from ..sim.plan import Plan
from ..sim.plan_columns import BWD, FREE, FWD, LOADMEM, STOREMEM, PlanColumns


def split(steps: int, snapshots: int) -> int:
    """The first checkpoint m (1 ≤ m < steps) of an optimal schedule; snapshots ≥ 2."""
    r, beta, below, two_below = (
        0,
        1,
        0,
        0,
    )  # beta = β(c, r); below, two_below = β(c, r−1), β(c, r−2)
    while beta < steps:
        r += 1
        two_below, below = below, beta
        beta = beta * (snapshots + r) // r
    upper = beta - below  # β(c−1, r), by Pascal's rule
    return max(1, two_below, steps - upper)


def emit(columns: PlanColumns, layers: int, slots: int) -> None:
    """Both phases' ops into ``columns``, for ``slots`` buffer slots.

    Revolve's steps 0..L−1 are the layers and step L the loss; a0 lives in
    inputs, so Revolve has ``slots`` + 1 snapshots.
    """
    columns.op(LOADMEM, 0)
    # Tasks: (base, steps, snapshots, loaded) to reverse, or an int: a slot to free.
    stack: list[tuple[int, int, int, bool] | int] = [(0, layers + 1, slots + 1, True)]
    while stack:
        task = stack.pop()
        if type(task) is int:
            columns.op(FREE, task)
        else:
            _reverse(columns, stack, layers, *task)


def _reverse(columns, stack, layers, base, steps, snapshots, loaded) -> None:
    """Reverse ``steps`` steps from x_base along the upper parts, each with its base in
    registers; each lower part (and its snapshot's release) waits on ``stack``."""
    while True:
        if not loaded:
            columns.op(LOADMEM, base)
        if steps == 1:
            _turn(columns, base, layers)
            return
        if snapshots == 1:
            _walks(columns, base, steps, layers)
            return
        m = split(steps, snapshots)
        columns.run(FWD, base + 1, base + m)
        stack.append((base, m, snapshots, False))
        if steps - m > 1:  # a snapshot the upper part will reload
            columns.op(STOREMEM, base + m)
            stack.append(base + m)
        base, steps, snapshots, loaded = base + m, steps - m, snapshots - 1, True


def _turn(columns: PlanColumns, step: int, layers: int) -> None:
    """Reverse one step: ``bwd step+1``, or the loss (the phase boundary) for step L."""
    if step == layers:
        columns.end_forward()
    else:
        columns.op(BWD, step + 1)


def _walks(columns: PlanColumns, base: int, steps: int, layers: int) -> None:
    """One snapshot at x_base (in registers): walk up to each step in turn, top first."""
    for top in range(base + steps - 1, base - 1, -1):
        if top < base + steps - 1:
            columns.op(LOADMEM, base)
        columns.run(FWD, base + 1, top)
        _turn(columns, top, layers)


def plan(label: str, layers: int, slots: int) -> Plan:
    """The binomial schedule of ``layers`` layers on ``slots`` buffer slots as a Plan."""
    columns = PlanColumns()
    emit(columns, layers, slots)
    return columns.plan(label, layers)
