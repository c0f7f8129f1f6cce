"""The float fill of optimal_slots.py's tables: any non-negative costs.

Each size n is filled for every source, slot count and split at once (numpy
over [src, c, j]); ties in latency go to the plan with fewer ops, then to the
smallest split. Costs that are whole (or dyadic) ns take slots_keys.py, which
gives bitwise the same tables faster; this fill is for the rest (tenths of a
ns, energies).
"""

from __future__ import annotations

import numpy as np

from ...progress import report
from .schedule import DISK, MEM, Choice, Schedule
from .slot_costs import SlotCosts


def fill(layers: int, slots: int, costs: SlotCosts, objective: str) -> Schedule:
    """The T and F tables of ``layers`` layers and ``slots`` free slots, in floats.

    Ties in latency go to the plan with fewer ops, so free stores are never
    made for nothing. Each size n is filled for every slot count and split
    at once (numpy over [c, j]): entries of size n read only smaller sizes,
    except re-homing, which reads the other source at the same size once
    that is final; so the cells, and the order candidates are offered in,
    are those of a cell-by-cell fill.
    """
    t = _Table(slots, layers)
    F = _Table(slots, layers)
    F.choice[:] = Choice.NO_STORE
    for n in range(1, layers + 1):
        _fill_t(t, n, costs)
        _fill_f(F, t, n, costs)
        report("planning", n, layers)
    value = float(F.value[MEM, slots, layers])
    if objective == "total":
        value += costs.m + layers * costs.f
    return Schedule(layers, slots, value, t.choice, t.split, F.choice, F.split, t.value, F.value)


def _fill_t(t: _Table, n: int, k: SlotCosts) -> None:
    """T[:, :, n] for every source and slot count: peel, keep or page a split, re-home.

    Both sources at once: only a re-home reads an entry of the same size, of
    the other source, which has no re-home of its own and so is final then.
    """
    src, ell = k.rows, k.reloads
    if n == 1:
        best = _Best(np.broadcast_to(ell + k.b, (k.count, t.slots + 1)), 2, Choice.PEEL)
    else:
        below, below_ops = t.value[src, :, n - 1], t.ops[src, :, n - 1]
        best = _Best(ell + (n - 1) * k.f + k.b + below, n + 1 + below_ops, Choice.PEEL)
        steps = np.arange(1, n, dtype=float)  # split sizes j = 1..n-1
        counts = np.arange(1, n, dtype=OPS)  # the same, counting ops
        lower, lower_ops = t.value[src, :, 1:n], t.ops[src, :, 1:n]
        upper, upper_ops = t.upper(MEM, n, slice(0, -1))
        walk = ell[:, :, None] + steps * k.f
        values = walk + k.sm + upper - k.m + lower[:, 1:]
        best.offer_split(SOME, values, counts + 3 + upper_ops + lower_ops[:, 1:], Choice.SPLIT_MEM)
        if k.use_disk:
            upper, upper_ops = t.upper(DISK, n, ALL)
            values = walk + k.sd + upper - k.d + lower
            best.offer_split(ALL, values, counts + 2 + upper_ops + lower_ops, Choice.SPLIT_DISK)
    best.store(t, src, n)
    if k.use_disk and k.d < k.m:
        paged = k.m + k.sd + t.value[DISK, :, n] - k.d
        best.offer((MEM, ALL), paged, 1 + t.ops[DISK, :, n], Choice.REHOME_DISK)
    elif k.use_disk and k.m < k.d:
        kept = k.d + k.sm + t.value[MEM, :-1, n] - k.m
        best.offer((DISK, SOME), kept, 2 + t.ops[MEM, :-1, n], Choice.REHOME_MEM)
    best.store(t, src, n)


def _fill_f(F: _Table, t: _Table, n: int, k: SlotCosts) -> None:
    """F[:, :, n]: T with the first sweep paid, or a forward-phase store and the rest above it."""
    src = k.rows
    best = _Best(t.value[src, :, n], t.ops[src, :, n], Choice.NO_STORE)
    if n > 1:
        lower, lower_ops = t.value[src, :, 1:n], t.ops[src, :, 1:n]
        upper, upper_ops = F.upper(MEM, n, slice(0, -1))
        values = upper + lower[:, 1:] + k.f_sm
        best.offer_split(SOME, values, upper_ops + lower_ops[:, 1:] + 2, Choice.SPLIT_MEM)
        if k.use_disk:
            upper, upper_ops = F.upper(DISK, n, ALL)
            values = upper + lower + k.f_sd
            best.offer_split(ALL, values, upper_ops + lower_ops + 1, Choice.SPLIT_DISK)
    best.store(F, src, n)
    if k.use_disk and k.d < k.m:
        value, ops = F.value[DISK, :, n] + k.f_sd, F.ops[DISK, :, n] + 1
        best.offer((MEM, ALL), value, ops, Choice.REHOME_DISK)
    elif k.use_disk and k.m < k.d:
        value, ops = F.value[MEM, :-1, n] + k.f_sm, F.ops[MEM, :-1, n] + 2
        best.offer((DISK, SOME), value, ops, Choice.REHOME_MEM)
    best.store(F, src, n)


#: Op counts (the tie-break) are whole numbers: int32 arrays, half the bytes of floats.
OPS = np.int32
_NO_OPS = np.iinfo(OPS).max  # no candidate: more ops than any plan has

ALL = slice(None)  # every slot count c
SOME = slice(1, None)  # c >= 1: the entries that can give a kept activation a slot


class _Best:
    """The best candidate so far for [src, c, n], every source and c at once, offered in order."""

    def __init__(self, value: np.ndarray, ops: np.ndarray | float, choice: int) -> None:
        self.value = np.array(value, dtype=float)
        self.ops = np.broadcast_to(np.asarray(ops, dtype=OPS), self.value.shape).copy()
        self.choice = np.full(self.value.shape, choice, dtype=np.int8)
        self.split = np.zeros(self.value.shape, dtype=np.int32)

    def offer(
        self,
        where: slice | tuple[int, slice],
        value: np.ndarray,
        ops: np.ndarray,
        choice: int,
        split: np.ndarray | int = 0,
    ) -> None:
        """Take each candidate faster than the entry, or as fast with fewer ops.

        ``where``: the slot counts (every source), or (source, slot counts).
        """
        key = (slice(None), where) if isinstance(where, slice) else where
        current, current_ops = self.value[key], self.ops[key]  # views: updated in place
        better = (value < current) | ((value == current) & (ops < current_ops))
        np.copyto(current, value, where=better)
        np.copyto(current_ops, ops, where=better)
        np.copyto(self.choice[key], choice, where=better)
        np.copyto(self.split[key], split, where=better)

    def offer_split(self, rows: slice, values: np.ndarray, ops: np.ndarray, choice: int) -> None:
        """Per source and slot count, the best split j (ties: fewest ops, then the smallest j)."""
        best = values.min(axis=2)
        pick = np.argmin(np.where(values == best[..., None], ops, _NO_OPS), axis=2)
        chosen_ops = np.take_along_axis(ops, pick[..., None], axis=2)[..., 0]
        self.offer(rows, best, chosen_ops, choice, pick + 1)

    def store(self, table: _Table, src: slice, n: int) -> None:
        table.value[src, :, n], table.ops[src, :, n] = self.value, self.ops
        table.choice[src, :, n], table.split[src, :, n] = self.choice, self.split


class _Table:
    """Least latency (ties: fewest ops) and the choice achieving it, per [src, c, n]."""

    def __init__(self, slots: int, layers: int) -> None:
        shape = (2, slots + 1, layers + 1)
        self.slots = slots
        self.value = np.full(shape, np.inf)
        self.ops = np.zeros(shape, dtype=OPS)
        self.choice = np.zeros(shape, dtype=np.int8)
        self.split = np.zeros(shape, dtype=np.int32)

    def upper(self, src: int, n: int, rows: slice) -> tuple[np.ndarray, np.ndarray]:
        """Values and op counts of the upper parts n-j, j = 1..n-1, for slot counts ``rows``."""
        return self.value[src, rows, n - 1 : 0 : -1], self.ops[src, rows, n - 1 : 0 : -1]
