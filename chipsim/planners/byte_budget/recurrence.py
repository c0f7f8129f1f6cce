"""The cheapest plan of a heterogeneous chain under a byte budget, rotor-style.

``optimal`` (optimal_slots.py) is exact when every activation has one size; here
a(l) weighs ``activation_bytes[l]`` and every op has its own price
(``prices[kind, l]``, rows in ``OP_KINDS`` order: ns, nJ or any additive
non-negative cost). The approach is that of rotor: Herrmann, Beaumont,
Eyraud-Dubois, Hermann, Joly and Shilova, "Optimal checkpointing for
heterogeneous chains: how to train deep neural networks with limited memory"
(arXiv:1911.13214, 2019; ACM TOMS 2024), which discretises memory into
slots and fills a table over (base, top, free memory). Their model has no
disk; this one is SPEC.md's: recompute, buffer and disk. No code is theirs.

Memory units. The budget is cut into units of ``unit_bytes =
⌊budget / units⌋`` bytes (at least 1); each activation's size is rounded UP to whole
units and the budget DOWN (``budget_units = budget // unit_bytes``). Any
plan the DP accepts keeps its rounded sizes within ``budget_units``, so its
real bytes are within the real budget: rounding can only cost optimality,
never feasibility. When every size is a multiple of the unit it is exact.

Plans free every activation they store in the buffer (the buffer ends as it
began), so a free is paid once per storemem and folded into its price.

The recurrence. T[src, s, t, m] is the least cost of reversing layers t..s+1
when dL/da(t) is in registers, the base a(s) is stored at ``src`` (MEM: the
buffer, or inputs for a0; DISK) and m units are free besides the base's;
it starts with the base not in registers, and a MEM base is freed by its
end. With ℓ its reload, W(s, k) the fwd prices s+1..k and sm' = storemem +
free::

    T[src, s, t, m] = min(
      ℓ + W(s, t-1) + b(t) + T[src, s, t-1, m],                       # peel
      min_k ℓ + W(s, k) + sm'(k) + T[MEM, k, t, m-u(k)] - lm(k) + T[src, s, k, m],
      min_k ℓ + W(s, k) + sd(k) + T[DISK, k, t, m] - ld(k) + T[src, s, k, m],
      re-home: MEM→DISK  lm(s) + sd(s) + T°[DISK, s, t, m+u(s)] - ld(s)   (frees a(s)),
               DISK→MEM  ld(s) + sm'(s) + T°[MEM, s, t, m-u(s)] - lm(s))

"- lm" / "- ld": the upper part starts with its base in registers. T° is the
entry without its own re-home: a round trip costs at least 0, so no optimum
needs two in a row, and reading T° makes the recurrence well-founded in
both directions (unlike optimal_slots.py, which re-homes only towards the cheaper
place, here moving to disk also frees memory, so both directions can pay).
F[src, s, m] is the same with the top at L and the first sweep being the
forward phase (its stores priced only for ``total``; F may also page a0).

Why it is exact (generalising optimal_slots.py's argument). Every sweep starts
with a load, and bwd l needs a(l-1) in registers. Take an optimal plan of a
sub-problem and its first store above the base: before it, the plan only
loaded the base and walked (peel, if the walk reached the top and ran a
bwd). If it stores a(k), each later use of an activation at or above k
costs a fixed price through a(k) (its reload) or through the base (reload +
W(s, k)), so an optimal plan can use one route throughout; via the base the
store is useless. So layers above k are reversed from a(k), before those
below (gradients flow top-down), while a(k) holds its units; then it is
freed and the lower part has them back. Sizes differ, so the free memory m
and the base's place are part of the state; a buffered base that is paged
part-way (the MEM→DISK move) hands its units to what remains. The step
"one route throughout" is where sizes could bite: freeing a(k) early to
make room and recomputing through the base later is a non-persistent plan,
and rotor's TOMS version notes persistence cannot be assumed in its model.
In this model no such plan won: tests/test_optimal_bytes.py checks the
optimum against an exhaustive search over every valid plan (byte-exact) on
random chains of up to 7 stages, and ~700 more random chains agreed while
this was written. Ties go to fewer ops, so free stores are never made.

Complexity: O(L²·M) cells, each trying O(L) splits, so O(L³·M) time and
O(L²·M) memory. ``tables.fill`` runs the compiled loops of ``kernel.py``
where numba is installed and numpy's vectorised fill elsewhere; both give
the same tables to the last bit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ...errors import ConfigError, StrategyError
from ...formatting import bytes_of
from ...model.ops import OP_KINDS, Op
from .layout import (
    DISK,
    FWD,
    LM,
    MEM,
    NO_STORE,
    PEEL,
    SPLIT_MEM,
    Tables,
)
from .tables import fill

OBJECTIVES = ("backward", "total")


@dataclass(frozen=True)
class Rounding:
    """How bytes became memory units: sizes rounded up, the budget down."""

    unit_bytes: int
    budget_units: int
    activation_units: np.ndarray  # a(l) in units, l = 0..L

    def describe(self) -> str:
        return (
            f"memory unit = {bytes_of(self.unit_bytes)}; sizes rounded up to whole units; "
            f"budget rounded down to {self.budget_units} units "
            f"({bytes_of(self.budget_units * self.unit_bytes)})"
        )


def rounding(activation_bytes: np.ndarray, budget_bytes: int, units: int) -> Rounding:
    """The unit ⌊budget / units⌋ (at least 1 byte) and the sizes in it: the budget then
    loses less than one unit to rounding (a ceiling could lose a whole unit)."""
    unit = max(1, budget_bytes // units)
    sizes = -(-np.asarray(activation_bytes, dtype=np.int64) // unit)  # ceiling division
    return Rounding(unit, budget_bytes // unit, sizes)


@dataclass(frozen=True)
class BytesSchedule:
    """An optimal plan of a heterogeneous chain: its cost, rounding and tables."""

    layers: int
    objective: str
    value: float  # the objective's least cost, in the prices' unit
    rounding: Rounding
    tables: Tables
    forward_tables: Tables  # F: the top is L, stored at t = 0

    @property
    def unit_bytes(self) -> int:
        return self.rounding.unit_bytes

    def ops(self) -> tuple[list[Op], list[Op]]:
        """(forward ops, backward ops) of the plan, to give ``Plan.build``."""
        stores: dict[int, list[Op]] = {}
        backward = list(_emit(self, stores))
        forward = [Op("loadmem", 0), *stores.get(0, [])]
        for layer in range(1, self.layers + 1):
            forward.append(Op("fwd", layer))
            forward.extend(stores.get(layer, []))
        return forward, backward


def solve_bytes(
    activation_bytes: np.ndarray,
    prices: np.ndarray,
    budget_bytes: int,
    *,
    units: int = 500,
    use_disk: bool = True,
    objective: str = "backward",
) -> BytesSchedule:
    """The least-cost plan of a chain whose a(l) weighs ``activation_bytes[l]`` (l = 0..L).

    ``prices[kind, l]`` is the cost of op ``kind`` (rows in ``OP_KINDS``
    order) on layer or activation l; ``budget_bytes`` the buffer's capacity,
    cut into at most ``units`` memory units (see the module docstring).
    """
    sizes, prices = _checked(activation_bytes, prices, budget_bytes, units, objective)
    units_of = rounding(sizes, budget_bytes, units)
    layers = len(sizes) - 1
    tables, forward = fill(
        prices, units_of.activation_units, units_of.budget_units, use_disk, objective
    )
    value = float(forward.value[MEM, 0, 0, units_of.budget_units])
    if objective == "total":
        value += float(prices[LM, 0] + prices[FWD, 1:].sum())
    return BytesSchedule(layers, objective, value, units_of, tables, forward)


def _checked(sizes, prices, budget_bytes, units, objective) -> tuple[np.ndarray, np.ndarray]:
    """The inputs as int64 sizes and float prices, or a one-line error naming the bad one."""
    if objective not in OBJECTIVES:
        raise StrategyError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    sizes = np.asarray(sizes)
    if sizes.ndim != 1 or len(sizes) < 2 or sizes.dtype.kind not in "iu" or (sizes < 0).any():
        raise ConfigError(
            f"activation_bytes must be L+1 >= 2 whole numbers >= 0, got {sizes.tolist()!r}"
        )
    prices = np.asarray(prices, dtype=float)
    if prices.shape != (len(OP_KINDS), len(sizes)):
        raise ConfigError(
            f"prices must have shape ({len(OP_KINDS)}, {len(sizes)}) (op kind, layer), "
            f"got {prices.shape}"
        )
    if not np.isfinite(prices).all() or (prices < 0).any():
        raise ConfigError("prices must be finite and >= 0, got a negative or infinite price")
    for name, value, low in (("budget_bytes", budget_bytes, 0), ("units", units, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ConfigError(f"{name} must be a whole number >= {low}, got {value!r}")
    return sizes.astype(np.int64), prices


def _emit(schedule: BytesSchedule, stores: dict[int, list[Op]]) -> Iterator[Op]:
    """Walk the choices top-down with an explicit stack; forward stores go to ``stores``."""
    t_tab, f_tab, size = (
        schedule.tables,
        schedule.forward_tables,
        schedule.rounding.activation_units,
    )
    layers = schedule.layers
    store_kind, load_kind = ("storemem", "storedisk"), ("loadmem", "loaddisk")
    # A task is an Op to yield, or (table, src, base, top, free units, base in registers, may move).
    stack: list = [(f_tab, MEM, 0, layers, schedule.rounding.budget_units, True, True)]
    while stack:
        task = stack.pop()
        if isinstance(task, Op):
            yield task
            continue
        table, src, base, top, free, in_registers, may_move = task
        forward = table is f_tab
        if not (forward or in_registers):
            yield Op(load_kind[src], base)
        key = (src, base, 0 if forward else top, free)
        if may_move and table.moved[key]:
            other = DISK if src == MEM else MEM
            move = Op(store_kind[other], base)
            if forward:
                stores.setdefault(base, []).append(move)
            else:
                yield move
                if src == MEM and base > 0:
                    yield Op("free", base)
            freed = int(size[base]) if base > 0 else 0
            free += freed if src == MEM else -freed
            stack.append((table, other, base, top, free, True, False))
            continue
        choice, split = int(table.choice[key]), int(table.split[key])
        if choice == NO_STORE:
            stack.append((t_tab, src, base, top, free, False, True))
        elif choice == PEEL:
            yield from (Op("fwd", layer) for layer in range(base + 1, top))
            yield Op("bwd", top)
            if top - 1 > base:
                stack.append((t_tab, src, base, top - 1, free, False, True))
            elif src == MEM and base > 0:
                yield Op("free", base)
        else:
            where = MEM if choice == SPLIT_MEM else DISK
            store = Op(store_kind[where], split)
            if forward:
                stores.setdefault(split, []).append(store)
            else:
                yield from (Op("fwd", layer) for layer in range(base + 1, split + 1))
                yield store
            stack.append((t_tab, src, base, split, free, False, True))
            upper_free = free - int(size[split]) if where == MEM else free
            stack.append((table, where, split, top, upper_free, not forward, True))
