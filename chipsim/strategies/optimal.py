"""optimal[:objective=backward|total|energy|weighted,ns_per_nj=W] — the best plan for
the chip's actual costs: the fastest, or the one spending least energy (docs/energy.md).

Decides for every activation whether to keep it in the buffer, page it to
disk or recompute it, and when to free slots, by dynamic programming over the
chain. Checkpoints may be stored in either phase (slots are just memory).

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
(``objective_costs``, one function both the equal-size and byte DPs read).

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

Complexity: O(L²·C) time (vectorised over the split j with numpy) and
O(L·C) memory for L layers and C slots; L = 1000, C = 10 plans in about a
second (see benchmarks/). C counts at most L−1 slots, as more cannot help
(``useful_slots``), and a problem beyond ``MAX_PLANNING_STEPS`` is refused
(PlanTooLarge) before any table is allocated.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import isqrt

import numpy as np

from ..chip import ENERGY_FIELDS, ChipConfig
from ..costs import Costs
from ..errors import PlanTooLarge, StrategyError
from ..ops import Op
from ..plan import Plan
from ..stages import Chain

OBJECTIVES = ("backward", "total", "energy", "weighted")

#: What each objective minimises: the cost table (``Costs.objective_table``) and
#: the phases it counts. Energy is the whole run's, so its objectives count both.
_PRICED = {
    "backward": ("time", "backward"),
    "total": ("time", "total"),
    "energy": ("energy", "total"),
    "weighted": ("weighted", "total"),
}

MEM, DISK = 0, 1
PEEL, SPLIT_MEM, SPLIT_DISK, REHOME_MEM, REHOME_DISK, NO_STORE = range(6)


def plan(
    network: Chain,
    chip: ChipConfig,
    *,
    objective: str = "backward",
    ns_per_nj: float | None = None,
) -> Plan:
    """The plan minimising ``objective``: backward or total latency, the run's energy
    (dynamic + static), or ``weighted`` total latency + ``ns_per_nj`` × energy."""
    table, phases = objective_costs(network, chip, objective, ns_per_nj)
    label = _label(objective, ns_per_nj)
    costs = Costs(chip, network)
    if not costs.uniform_in(table):
        raise StrategyError(
            f"optimal: {network.name} has stages of different sizes or costs, "
            "which the equal-size planner cannot plan"
        )
    slots = chip.slots_for(network)
    schedule = solve(
        network.layers, costs.uniform_chip(table), slots, objective=phases, strategy=label
    )
    return schedule.plan(label)


def objective_costs(
    network: Chain, chip: ChipConfig, objective: str, ns_per_nj: float | None
) -> tuple[np.ndarray, str]:
    """The (kind, index) cost table a DP minimises for ``objective``, and its phases
    (``backward`` or ``total``); bad combinations are one-line StrategyErrors."""
    if objective not in OBJECTIVES:
        raise StrategyError(
            f"optimal: objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}"
        )
    if (objective == "weighted") != (ns_per_nj is not None):
        raise StrategyError(
            "optimal: ns_per_nj (ns one nJ is worth) goes with objective=weighted and only "
            f"with it, got objective={objective}, ns_per_nj={ns_per_nj}"
        )
    if ns_per_nj is not None and ns_per_nj < 0:
        raise StrategyError(f"optimal: ns_per_nj must be >= 0, got {ns_per_nj!r}")
    priced, phases = _PRICED[objective]
    if priced != "time" and not chip.has_energy:
        raise StrategyError(
            f"optimal: objective={objective} needs a chip that declares energy "
            f"(one of {', '.join(ENERGY_FIELDS)})"
        )
    return Costs(chip, network).objective_table(priced, ns_per_nj or 0.0), phases


def _label(objective: str, ns_per_nj: float | None) -> str:
    if objective == "backward":
        return "optimal"
    weight = "" if ns_per_nj is None else f",ns_per_nj={ns_per_nj}"
    return f"optimal:objective={objective}{weight}"


@dataclass(frozen=True)
class Schedule:
    """The DP tables of one problem, its optimal value, and the plan they encode."""

    layers: int
    slots: int
    value: float  # the objective's optimal latency (ns)
    t_choice: np.ndarray  # [src, c, n]
    t_split: np.ndarray
    f_choice: np.ndarray
    f_split: np.ndarray

    def plan(self, label: str) -> Plan:
        forward_stores, backward = self._emit()
        forward = [Op("loadmem", 0), *forward_stores.get(0, [])]
        for layer in range(1, self.layers + 1):
            forward.append(Op("fwd", layer))
            forward.extend(forward_stores.get(layer, []))
        return Plan.build(label, self.layers, forward, backward)

    def _emit(self) -> tuple[dict[int, list[Op]], list[Op]]:
        """Walk the choices top-down with an explicit stack (chains can be deep)."""
        stores: dict[int, list[Op]] = {}
        backward: list[Op] = []
        # A task is an Op to append, or ("F"|"T", base, n, src, slots, base_in_registers).
        stack: list = [("F", 0, self.layers, MEM, self.slots, False)]
        while stack:
            task = stack.pop()
            if isinstance(task, Op):
                backward.append(task)
                continue
            kind, base, n, src, c, in_registers = task
            store_kind = {MEM: "storemem", DISK: "storedisk"}
            if kind == "F":
                choice, j = self.f_choice[src, c, n], int(self.f_split[src, c, n])
                if choice == NO_STORE:
                    stack.append(("T", base, n, src, c, False))
                elif choice in (SPLIT_MEM, SPLIT_DISK):
                    where = MEM if choice == SPLIT_MEM else DISK
                    stores.setdefault(base + j, []).append(Op(store_kind[where], base + j))
                    stack.append(("T", base, j, src, c, False))
                    if where == MEM:
                        stack.append(Op("free", base + j))
                    stack.append(("F", base + j, n - j, where, c - (where == MEM), False))
                else:
                    where = MEM if choice == REHOME_MEM else DISK
                    stores.setdefault(base, []).append(Op(store_kind[where], base))
                    if where == MEM:
                        stack.append(Op("free", base))
                    stack.append(("F", base, n, where, c - (where == MEM), False))
                continue
            if not in_registers:
                backward.append(Op("loadmem" if src == MEM else "loaddisk", base))
            choice, j = self.t_choice[src, c, n], int(self.t_split[src, c, n])
            if choice == PEEL:
                backward.extend(Op("fwd", layer) for layer in range(base + 1, base + n))
                backward.append(Op("bwd", base + n))
                if n > 1:
                    stack.append(("T", base, n - 1, src, c, False))
            elif choice in (SPLIT_MEM, SPLIT_DISK):
                where = MEM if choice == SPLIT_MEM else DISK
                backward.extend(Op("fwd", layer) for layer in range(base + 1, base + j + 1))
                backward.append(Op(store_kind[where], base + j))
                stack.append(("T", base, j, src, c, False))
                if where == MEM:
                    stack.append(Op("free", base + j))
                stack.append(("T", base + j, n - j, where, c - (where == MEM), True))
            else:
                where = MEM if choice == REHOME_MEM else DISK
                backward.append(Op(store_kind[where], base))
                if where == MEM:
                    stack.append(Op("free", base))
                stack.append(("T", base, n, where, c - (where == MEM), True))
        return stores, backward


#: The fixed Python work of one table cell, in split-steps: fitted to the
#: measurements below, where many slots cost far more than L²·C suggests.
CELL_STEPS = 5000

#: The most DP steps (``planning_steps``) a plan may take; more is refused
#: before anything is allocated. From ``python benchmarks/plan_speed.py
#: 1000,10 5000,10 10000,10 1000,999`` on the shared 2-core dev machine, with
#: steps counted as below: L=1000, C=10 (6.6e7 steps) plans in 2.4 s, L=5000
#: (5.5e8) in 19.5 s, L=10000 (1.7e9) in 58 s, L=1000 with 999 slots (6e9) in
#: about 6 minutes: 2-3e7 steps a second throughout. So the limit is about 40
#: to 60 s of planning: L up to 7000 at 10 slots, and L=100000 is refused at
#: any slot count.
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
            f"{strategy}: planning L={layers} with {slots} slots needs ~{_rounded(steps)} "
            f"steps; the planner handles up to ~{_rounded(MAX_PLANNING_STEPS)} "
            f"(L<={_largest_layers(slots)} at {slots} slots)"
        )
    return _fill(layers, chip, useful_slots(layers, slots), objective=objective, use_disk=use_disk)


def _rounded(steps: int) -> str:
    """Two significant figures at most: 999980000000000 → "1e15", 1100000000 → "1.1e9"."""
    mantissa, _, exponent = f"{steps:.2g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa


def _largest_layers(slots: int) -> int:
    """The largest L whose plan with ``slots`` slots is within MAX_PLANNING_STEPS."""
    low, high = 1, isqrt(MAX_PLANNING_STEPS) + 1  # steps >= L², so ``high`` is too many
    while high - low > 1:  # monotone in L: ``low`` fits, ``high`` does not
        middle = (low + high) // 2
        if planning_steps(middle, slots) <= MAX_PLANNING_STEPS:
            low = middle
        else:
            high = middle
    return low


def _fill(layers: int, chip: ChipConfig, slots: int, *, objective: str, use_disk: bool) -> Schedule:
    """Fill the T and F tables for ``layers`` layers and exactly ``slots`` free buffer slots.

    Ties in latency go to the plan with fewer ops, so free stores are never
    made for nothing.
    """
    f, b = float(chip.fwd_ns), float(chip.bwd_ns)
    m, sm = float(chip.loadmem_ns), float(chip.storemem_ns)
    d, sd = float(chip.loaddisk_ns), float(chip.storedisk_ns)
    reload = {MEM: m, DISK: d}
    sources = (MEM, DISK) if use_disk else (MEM,)
    # Forward-phase stores cost latency only when the objective counts that phase.
    f_sm, f_sd = (sm, sd) if objective == "total" else (0.0, 0.0)
    t = _Table(slots, layers)
    F = _Table(slots, layers)
    F.choice[:] = NO_STORE

    for n in range(1, layers + 1):
        steps = np.arange(1, n, dtype=float)  # split sizes j = 1..n-1
        for c in range(slots + 1):
            for src in sources:
                ell = reload[src]
                if n == 1:
                    t.offer(src, c, n, ell + b, 2, PEEL)
                    continue
                t.offer(
                    src,
                    c,
                    n,
                    ell + (n - 1) * f + b + t.value[src, c, n - 1],
                    n + 1 + t.ops[src, c, n - 1],
                    PEEL,
                )
                lower, lower_ops = t.value[src, c, 1:n], t.ops[src, c, 1:n]
                if c >= 1:
                    upper, upper_ops = t.upper(MEM, c - 1, n)
                    t.offer_split(
                        src,
                        c,
                        n,
                        ell + steps * f + sm + upper - m + lower,
                        steps + 3 + upper_ops + lower_ops,
                        SPLIT_MEM,
                    )
                if use_disk:
                    upper, upper_ops = t.upper(DISK, c, n)
                    t.offer_split(
                        src,
                        c,
                        n,
                        ell + steps * f + sd + upper - d + lower,
                        steps + 2 + upper_ops + lower_ops,
                        SPLIT_DISK,
                    )
            if use_disk and d < m:
                t.offer(
                    MEM, c, n, m + sd + t.value[DISK, c, n] - d, 1 + t.ops[DISK, c, n], REHOME_DISK
                )
            elif use_disk and m < d and c >= 1:
                t.offer(
                    DISK,
                    c,
                    n,
                    d + sm + t.value[MEM, c - 1, n] - m,
                    2 + t.ops[MEM, c - 1, n],
                    REHOME_MEM,
                )
        for c in range(slots + 1):
            for src in sources:
                F.offer(src, c, n, t.value[src, c, n], t.ops[src, c, n], NO_STORE)
                if n == 1:
                    continue
                lower, lower_ops = t.value[src, c, 1:n], t.ops[src, c, 1:n]
                if c >= 1:
                    upper, upper_ops = F.upper(MEM, c - 1, n)
                    F.offer_split(
                        src, c, n, upper + lower + f_sm, upper_ops + lower_ops + 2, SPLIT_MEM
                    )
                if use_disk:
                    upper, upper_ops = F.upper(DISK, c, n)
                    F.offer_split(
                        src, c, n, upper + lower + f_sd, upper_ops + lower_ops + 1, SPLIT_DISK
                    )
            if use_disk and d < m:
                F.offer(MEM, c, n, F.value[DISK, c, n] + f_sd, F.ops[DISK, c, n] + 1, REHOME_DISK)
            elif use_disk and m < d and c >= 1:
                F.offer(
                    DISK, c, n, F.value[MEM, c - 1, n] + f_sm, F.ops[MEM, c - 1, n] + 2, REHOME_MEM
                )
    value = float(F.value[MEM, slots, layers])
    if objective == "total":
        value += m + layers * f
    return Schedule(layers, slots, value, t.choice, t.split, F.choice, F.split)


class _Table:
    """Least latency (ties: fewest ops) and the choice achieving it, per [src, c, n]."""

    def __init__(self, slots: int, layers: int) -> None:
        shape = (2, slots + 1, layers + 1)
        self.value = np.full(shape, np.inf)
        self.ops = np.zeros(shape)
        self.choice = np.zeros(shape, dtype=np.int8)
        self.split = np.zeros(shape, dtype=np.int32)

    def upper(self, src: int, c: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Values and op counts of the upper parts n-j for j = 1..n-1."""
        return self.value[src, c, n - 1 : 0 : -1], self.ops[src, c, n - 1 : 0 : -1]

    def offer(
        self, src: int, c: int, n: int, value: float, ops: float, choice: int, split: int = 0
    ) -> None:
        key = (src, c, n)
        if value < self.value[key] or (value == self.value[key] and ops < self.ops[key]):
            self.value[key], self.ops[key] = value, ops
            self.choice[key], self.split[key] = choice, split

    def offer_split(
        self, src: int, c: int, n: int, values: np.ndarray, ops: np.ndarray, choice: int
    ) -> None:
        best = values.min()
        k = int(np.argmin(np.where(values == best, ops, np.inf)))
        self.offer(src, c, n, float(best), float(ops[k]), choice, k + 1)
