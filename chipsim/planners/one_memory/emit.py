"""The one-memory DP's plan, read back from its tables top-down (an explicit stack)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ...model.ops import Op
from .kernel import DISK, MEM, PEEL, SPLIT_MEM, untag
from .needs import Needs

_STORE, _LOAD = ("storemem", "storedisk"), ("loadmem", "loaddisk")


def plan_ops(t_tab, f_tab, needs: Needs, end: int, free_units: int) -> tuple[list[Op], list[Op]]:
    """(forward ops, backward ops) of the optimum that starts with ``free_units`` free."""
    layers = len(needs.activation) - 1
    forward: list[Op] = [Op("loadmem", 0)]
    tasks = list(_forward(f_tab, needs, layers, forward, free_units))
    backward: list[Op] = []
    for task in reversed(tasks):  # the top-most part is reversed first
        backward.extend(_backward(t_tab, needs, end, task))
    return forward, backward


def _forward(f_tab, needs: Needs, layers: int, ops: list[Op], free: int) -> Iterator[tuple]:
    """Append the forward sweep from ``free`` units to ``ops``; yield each backward part it
    leaves, bottom first: (place, record, base, top, free units)."""
    src, base = MEM, 0
    if f_tab[3][MEM, 0, free]:
        ops.append(Op("storedisk", 0))
        src = DISK
    while True:
        choice, record, split, _ = untag(int(f_tab[2][src, base, free]))
        top = layers if choice == PEEL else split
        ops.extend(
            Op("fwd", layer, record=bool(record) and layer == top)
            for layer in range(base + 1, top + 1)
        )
        kept = int(needs.saved[top]) if record else 0
        if choice == PEEL:
            yield src, record, base, layers, free - kept
            return
        place = MEM if choice == SPLIT_MEM else DISK
        ops.append(Op(_STORE[place], split))
        yield src, record, base, split, free - kept
        buffered = int(needs.activation[split]) if place == MEM else 0
        src, base, free = place, split, free - buffered - kept


def _backward(t_tab, needs: Needs, end: int, task: tuple) -> Iterator[Op]:
    """The ops of one backward part: T[place, record, base, top, free] from the base on disk
    or in the buffer (not in registers)."""
    value, tags, moved = t_tab[0], t_tab[2], t_tab[3]
    saved, activation = needs.saved, needs.activation
    stack: list = [(*task, False, True)]
    while stack:
        src, record, base, top, free, in_registers, may_move = stack.pop()
        free = min(free, needs.room_units)
        if top <= max(base, end):
            continue
        assert np.isfinite(value[src, record, base, top, free]), "an infeasible entry was chosen"
        if not in_registers:
            yield Op(_LOAD[src], base)
        if may_move and moved[src, record, base, top, free]:
            ops, gained = _rehome(src, base, int(activation[base]))
            yield from ops
            stack.append((DISK + MEM - src, record, base, top, free + gained, True, False))
            continue
        choice, keep, split, freed = untag(int(tags[src, record, base, top, free]))
        back = int(saved[top]) if record else 0
        if freed:  # the sweep is the base's last use
            yield Op("free", base)
            free += int(activation[base])
        if choice == PEEL:
            yield from (
                Op("fwd", layer, record=bool(keep) and layer == top - 1)
                for layer in range(base + 1, top)
            )
            yield Op("bwd", top)
            kept = int(saved[top - 1]) if keep else 0
            stack.append((src, keep, base, top - 1, free + back - kept, False, True))
            continue
        place = MEM if choice == SPLIT_MEM else DISK
        yield from (
            Op("fwd", layer, record=bool(keep) and layer == split)
            for layer in range(base + 1, split + 1)
        )
        yield Op(_STORE[place], split)
        kept = int(saved[split]) if keep else 0
        buffered = int(activation[split]) if place == MEM else 0
        stack.append((src, keep, base, split, free + back - kept, False, True))
        stack.append((place, record, split, top, free - buffered - kept, True, True))


def _rehome(src: int, base: int, units: int) -> tuple[list[Op], int]:
    """The ops that move the base (in registers) to the other place, and the units that
    frees: a buffered base's, or minus them where it moves into the buffer (a0 lives in
    inputs and takes none)."""
    if src == MEM and base == 0:
        return [Op("storedisk", 0)], 0
    if src == MEM:
        return [Op("storedisk", base), Op("free", base)], units
    return [Op("storemem", base)], -units
