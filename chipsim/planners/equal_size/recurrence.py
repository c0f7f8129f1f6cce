"""The exact planner of ``optimal`` for chains whose activations have one size,
in buffer slots: which to keep, page or recompute, by dynamic programming.

The recurrence. A sub-problem reverses the n layers above a *base* a(s):
the gradient dL/da(s+n) is in registers, a(s) is stored at ``src`` (buffer or
inputs: reload cost m = ``loadmem_ns``; disk: d = ``loaddisk_ns``) and c
buffer slots are free. T[src, c, n] is its least latency, starting with the
base *not* in registers (f = ``fwd_ns``, b = ``bwd_ns``, sm/sd the store
latencies, ℓ the base's reload cost)::

    T[src, c, 1] = ℓ + b
    T[src, c, n] = min(
        ℓ + (n-1)·f + b + T[src, c, n-1],                  # peel: walk to the top, bwd, go on
        min_j ℓ + j·f + sm + (T[mem, c-1, n-j] - m) + T[src, c, j],   # keep a(s+j) in a slot
        min_j ℓ + j·f + sd + (T[disk, c, n-j] - d) + T[src, c, j],    # page a(s+j) to disk
        ℓ + sm + T[mem, c-1, n] - m,   ℓ + sd + T[disk, c, n] - d)    # re-home the base

"- m" / "- d": the upper part starts with its base already in registers, so
it skips its first load. Re-homing is only tried towards the cheaper place,
so the recurrence is well-founded. The forward phase is the first sweep of
the top-level problem; F is T with that sweep already paid (free for the
``backward`` objective; for ``total`` its stores are charged and m + L·f is
added)::

    F[src, c, n] = min(T[src, c, n],                          # store nothing above a(s)
                       min_j F[mem, c-1, n-j] + T[src, c, j] (+ sm),
                       min_j F[disk, c, n-j] + T[src, c, j] (+ sd),
                       F[mem, c-1, n] (+ sm), F[disk, c, n] (+ sd))

and the answer is F[mem, C, L] (a0 lives in inputs, reloaded at cost m).

Nothing above needs the costs to be times: any non-negative additive price
per op kind works. The energy objectives feed the same tables each kind's
energy (dynamic, plus static power over its latency: a serial run's makespan
is the sum of its ops) or latency + W × energy, with the ``total`` phases
(``optimal.objective_costs``, one function both the equal-size and byte DPs read).

Why it is exact for this model: registers hold one activation, so every
sweep begins with a load of some stored activation, and a bwd needs its input
in registers. Take an optimal plan for a sub-problem and look at its first
store above the base. Before it, the plan can only have loaded the base and
walked (and, if no store comes first, walked to the top and run the first
bwd: *peel*). If it stores a(s+j), every later use of an activation at or
above s+j costs the same whether it reloads a(s+j) or the base (+ j·f), so
an optimal plan uses one of them throughout; using the base makes the store
useless and the plan is matched by one without it. So the layers above s+j
are reversed from a(s+j), independently of those below, which come after
(gradients flow top-down) and can only start from a(s). Each case is a term
of the recurrence; the tests confirm the optimum against an exhaustive search
over every valid plan of small chains with random costs.

Complexity: O(L²·C) time (each size n filled for every source, slot count
and split at once with numpy) and O(L·C) memory for L layers and C slots;
benchmarks/planners.py measures it. Costs that are whole (or dyadic) ns fill
on exact integer keys, latency and op count in one int64 (slots_keys.py:
bitwise the same tables, 2-3.5x faster); any other costs fill in floats
(slots_floats.py).
C counts at most L−1 slots, as more cannot help (``useful_slots``).
``solve`` refuses a problem beyond ``MAX_PLANNING_STEPS`` (PlanTooLarge)
before any table is allocated; the ``optimal`` strategy then plans with
``periodic.approximate`` instead.
"""

from __future__ import annotations

from math import isqrt

from ...errors import PlanTooLarge
from ...model.chip import ChipConfig
from . import floats as slots_floats
from . import keys as slots_keys
from .schedule import Schedule
from .slot_costs import SlotCosts

#: The fixed Python work of one table cell, in split-steps: fitted to the
#: measurements below, where many slots cost far more than L²·C suggests.
CELL_STEPS = 5000

#: The most DP steps (``planning_steps``) a plan may take; more is refused
#: before anything is allocated. Set when the fill ran 2-3e7 steps a second
#: (L=7000 at 10 slots in about a minute). Since the integer-key fill
#: (slots_keys.py), ``python benchmarks/plan_speed.py 1000,10 5000,10
#: 7356,10`` on the shared 2-core dev machine plans L=1000, C=10 (6.6e7
#: steps) in 0.12 s, L=5000 (5.5e8) in 2.3 s and L=7356 (1e9, the limit) in
#: 4.8 s, whole-ns costs; the float fill takes about 2x as long at L=5000.
#: Beyond the limit ``periodic.approximate`` plans in about a second with a
#: measured gap under 0.1 %, so the limit stays where it was.
MAX_PLANNING_STEPS = 10**9


# Why at most L−1 slots, and why the cap changes no plan. The optimum needs
# no more: a(L) is never needed after the loss and a0 lives in inputs, so
# a1..a(L−1) are all a slot can usefully hold. And the tables give the same
# plan: let b(MEM, n) = n−1, and b(DISK, n) = n if m < d (a disk base may be
# re-homed to the buffer) else n−1. By induction on n (and, within n, on the
# re-home order), every entry [src, c, n] with c ≥ b(src, n) is the same
# (value, op count, choice, split) for all such c, because each of its
# candidates reads only entries at or above their own bound: for a split
# j = 1..n−1, [MEM, c−1, n−j] needs c−1 ≥ n−j−1, [DISK, c, n−j] needs
# c ≥ n−j and the lower part [src, c, j] needs c ≥ j, all implied by
# c ≥ n−1; re-homing to disk happens only when d < m, so then
# b(DISK, n) = n−1 ≤ c; re-homing to the buffer only when m < d, reading
# [MEM, c−1, n] with c−1 ≥ n−1. So the candidates are bitwise equal and
# offered in the same order. The answer is [MEM, C, L], whose bound is L−1.
# (F reads F and T entries the same way.) The tests check both: plans equal
# the uncapped ones, and exhaustive search gains nothing from more slots.


def useful_slots(layers: int, slots: int) -> int:
    """The slots an L-layer plan can use: at most L−1 (a1..a(L−1)), whatever the chip has."""
    return min(slots, max(layers - 1, 0))


def planning_steps(layers: int, slots: int) -> int:
    """The DP's work: L·(useful slots + 1) table cells, each trying L splits plus fixed work."""
    return layers * (useful_slots(layers, slots) + 1) * (layers + CELL_STEPS)


def solve(
    layers: int,
    chip: ChipConfig,
    slots: int,
    *,
    objective: str = "backward",
    use_disk: bool = True,
    strategy: str = "optimal",
) -> Schedule:
    """The optimal schedule of ``layers`` layers with ``slots`` free buffer slots.

    Slots beyond ``useful_slots`` are dropped (the plan is the same), and a
    problem beyond ``MAX_PLANNING_STEPS`` is refused with PlanTooLarge,
    naming ``strategy``, before any table is allocated.
    """
    steps = planning_steps(layers, slots)
    if steps > MAX_PLANNING_STEPS:
        raise PlanTooLarge(
            f"{strategy}: the exact planner handles L<={largest_layers(slots)} at {slots} "
            f"slots (L={layers} would take ~{_rounded(steps)} steps, over its "
            f"~{_rounded(MAX_PLANNING_STEPS)}); use a smaller L or fewer slots, or the "
            "`optimal` strategy, which plans larger chains approximately (periodic disk "
            "checkpoints), or `revolve`"
        )
    return _fill(layers, chip, useful_slots(layers, slots), objective=objective, use_disk=use_disk)


def _rounded(steps: int) -> str:
    """Two significant figures at most: 999980000000000 → "1e15", 1100000000 → "1.1e9"."""
    mantissa, _, exponent = f"{steps:.2g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa


def largest_layers(slots: int, limit: int = MAX_PLANNING_STEPS) -> int:
    """The largest L whose plan with ``slots`` slots takes at most ``limit`` steps."""
    low, high = 1, isqrt(limit) + 1  # steps >= L², so ``high`` is too many
    while high - low > 1:  # monotone in L: ``low`` fits, ``high`` does not
        middle = (low + high) // 2
        if planning_steps(middle, slots) <= limit:
            low = middle
        else:
            high = middle
    return low


def _fill(layers: int, chip: ChipConfig, slots: int, *, objective: str, use_disk: bool) -> Schedule:
    """The T and F tables for ``layers`` layers and exactly ``slots`` free buffer slots:
    on exact integer keys when the costs allow (slots_keys.py), else in floats
    (slots_floats.py)."""
    costs = SlotCosts.of(chip, objective, use_disk)
    keys = slots_keys.Keys.of(costs, layers)
    if keys is not None:
        return slots_keys.fill(layers, slots, costs, keys, objective)
    return slots_floats.fill(layers, slots, costs, objective)
