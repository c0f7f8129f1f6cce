"""The plan an ``optimal_slots`` table encodes: its choices walked back into ops.

Every entry [src, c, n] of the T and F tables records the choice that achieves
it (peel, keep or page a split, re-home the base; for F also: store nothing)
and its split j; ``Schedule`` reads them top-down into the forward phase's
stores and the backward phase's ops.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from ...model.ops import Op
from ...sim.plan import Plan

#: The tables' sources: where a base is stored.
MEM, DISK = 0, 1
#: The choice an entry records (its int8 code in the tables): peel, keep (in memory) or
#: page (to disk) a split, re-home the base to memory or disk, or (F only) store nothing.
Choice = IntEnum("Choice", "PEEL SPLIT_MEM SPLIT_DISK REHOME_MEM REHOME_DISK NO_STORE", start=0)
PEEL, SPLIT_MEM, SPLIT_DISK, REHOME_MEM, REHOME_DISK, NO_STORE = Choice  # by name, too


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
    t_value: np.ndarray | None = None  # [src, c, n], for planners built on these tables
    f_value: np.ndarray | None = None

    def plan(self, label: str) -> Plan:
        return self.chain_plan(label, self.layers, [("F", 0, self.layers, MEM, self.slots, False)])

    def chain_plan(self, label: str, layers: int, stack: list, stores: dict | None = None) -> Plan:
        """The plan of ``layers`` layers whose sub-problems are the tasks of ``stack``
        (the last runs first), with ``stores`` already made in the forward phase."""
        forward_stores, backward = self._emit(stack, stores or {})
        forward = [Op("loadmem", 0), *forward_stores.get(0, [])]
        for layer in range(1, layers + 1):
            forward.append(Op("fwd", layer))
            forward.extend(forward_stores.get(layer, []))
        return Plan.build(label, layers, forward, backward)

    def _emit(
        self, stack: list, stores: dict[int, list[Op]]
    ) -> tuple[dict[int, list[Op]], list[Op]]:
        """Walk the choices top-down with an explicit stack (chains can be deep).

        A task is an Op to append, or ("F"|"T", base, n, src, slots, base_in_registers).
        """
        backward: list[Op] = []
        while stack:
            task = stack.pop()
            if isinstance(task, Op):
                backward.append(task)
            elif task[0] == "F":
                self._forward_task(task, stack, stores)
            else:
                self._backward_task(task, stack, backward)
        return stores, backward

    def _forward_task(self, task: tuple, stack: list, stores: dict[int, list[Op]]) -> None:
        """An F entry: no store (T's plan), or a forward-phase store of a split or the base."""
        _, base, n, src, c, _ = task
        choice, j = self.f_choice[src, c, n], int(self.f_split[src, c, n])
        if choice == NO_STORE:
            stack.append(("T", base, n, src, c, False))
            return
        where, split = _WHERE[choice], choice in (SPLIT_MEM, SPLIT_DISK)
        at = base + j if split else base
        stores.setdefault(at, []).append(Op(_STORE[where], at))
        if split:
            stack.append(("T", base, j, src, c, False))
        _push_stored(stack, "F", at, n - j if split else n, where, c, False)

    def _backward_task(self, task: tuple, stack: list, backward: list[Op]) -> None:
        """A T entry: load its base unless in registers, then peel, split or re-home."""
        _, base, n, src, c, in_registers = task
        if not in_registers:
            backward.append(Op("loadmem" if src == MEM else "loaddisk", base))
        choice, j = self.t_choice[src, c, n], int(self.t_split[src, c, n])
        if choice == PEEL:
            backward.extend(Op("fwd", layer) for layer in range(base + 1, base + n))
            backward.append(Op("bwd", base + n))
            if n > 1:
                stack.append(("T", base, n - 1, src, c, False))
        elif choice in (SPLIT_MEM, SPLIT_DISK):
            backward.extend(Op("fwd", layer) for layer in range(base + 1, base + j + 1))
            backward.append(Op(_STORE[_WHERE[choice]], base + j))
            stack.append(("T", base, j, src, c, False))
            _push_stored(stack, "T", base + j, n - j, _WHERE[choice], c, True)
        else:
            backward.append(Op(_STORE[_WHERE[choice]], base))
            _push_stored(stack, "T", base, n, _WHERE[choice], c, True)


#: Where a split or a re-home stores its activation, and the op that stores it there.
_WHERE = {SPLIT_MEM: MEM, SPLIT_DISK: DISK, REHOME_MEM: MEM, REHOME_DISK: DISK}
_STORE = {MEM: "storemem", DISK: "storedisk"}


def _push_stored(stack: list, kind: str, at: int, n: int, where: int, c: int, held: bool) -> None:
    """Push the sub-problem whose base is stored at layer ``at`` in ``where`` (with a
    slot fewer in memory), and under it that slot's free, done once it has run."""
    if where == MEM:
        stack.append(Op("free", at))
    stack.append((kind, at, n, where, c - (where == MEM), held))
