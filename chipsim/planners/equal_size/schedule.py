"""The plan an ``optimal_slots`` table encodes: its choices walked back into ops.

Every entry [src, c, n] of the T and F tables records the choice that achieves
it (peel, keep or page a split, re-home the base; for F also: store nothing)
and its split j; ``Schedule`` reads them top-down into the forward phase's
stores and the backward phase's ops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model.ops import Op
from ...sim.plan import Plan

#: The tables' sources (where a base is stored), and the choices an entry records.
MEM, DISK = 0, 1
PEEL, SPLIT_MEM, SPLIT_DISK, REHOME_MEM, REHOME_DISK, NO_STORE = range(6)


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
