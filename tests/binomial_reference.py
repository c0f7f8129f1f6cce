"""The binomial schedule as it was emitted before issue 21, op by op: the oracle that
binomial.py's run-by-run emission is checked against (tests/test_binomial_runs.py)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import takewhile

from chipsim.model.ops import Op
from chipsim.sim.plan import Plan

#: Marks the end of the forward phase in ``ops``: Revolve's turn on the loss step.
LOSS = Op("loss", -1)


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


def ops(layers: int, slots: int) -> Iterator[Op]:
    """The forward phase's ops, ``LOSS``, then the backward phase's, for ``slots`` buffer slots.

    Revolve's steps 0..L−1 are the layers and step L the loss; a0 lives in
    inputs, so Revolve has ``slots`` + 1 snapshots.
    """
    yield Op("loadmem", 0)
    # Tasks: (base, steps, snapshots, loaded) to reverse, or an int: a slot to free.
    stack: list[tuple[int, int, int, bool] | int] = [(0, layers + 1, slots + 1, True)]
    while stack:
        task = stack.pop()
        if isinstance(task, int):
            yield Op("free", task)
            continue
        base, steps, snapshots, loaded = task
        while True:  # along the upper parts: each has its base in registers
            if not loaded:
                yield Op("loadmem", base)
            if steps == 1:
                yield _turn(base, layers)
                break
            if snapshots == 1:
                yield from _walks(base, steps, layers)
                break
            m = split(steps, snapshots)
            for layer in range(base + 1, base + m + 1):
                yield Op("fwd", layer)
            stack.append((base, m, snapshots, False))
            if steps - m > 1:  # a snapshot the upper part will reload
                yield Op("storemem", base + m)
                stack.append(base + m)
            base, steps, snapshots, loaded = base + m, steps - m, snapshots - 1, True


def _turn(step: int, layers: int) -> Op:
    """Reverse one step: ``bwd step+1``, or the loss (the phase boundary) for step L."""
    return LOSS if step == layers else Op("bwd", step + 1)


def _walks(base: int, steps: int, layers: int) -> Iterator[Op]:
    """One snapshot at x_base (in registers): walk up to each step in turn, top first."""
    for top in range(base + steps - 1, base - 1, -1):
        if top < base + steps - 1:
            yield Op("loadmem", base)
        for layer in range(base + 1, top + 1):
            yield Op("fwd", layer)
        yield _turn(top, layers)


def plan(label: str, layers: int, slots: int) -> Plan:
    """The binomial schedule of ``layers`` layers on ``slots`` buffer slots as a Plan."""
    stream = ops(layers, slots)
    forward = takewhile(lambda op: op is not LOSS, stream)  # consumes LOSS too
    return Plan.build(label, layers, forward, stream)
