"""Approximately optimal plans beyond the exact planner's reach: periodic disk checkpoints.

Aupy and Herrmann ("Periodicity in optimal hierarchical checkpointing schemes
for adjoint computations", 2017) show that for long chains with a buffer and
an unbounded disk, optimal schedules are asymptotically periodic: the forward
sweep pages an activation to disk every so often, and each period between
two disk checkpoints is then reversed with the buffer alone, as in
Disk-Revolve (Aupy, Herrmann, Hovland and Robert, 2016). We use that
structure, not their formulas: the exact tables of ``optimal`` are filled for
chains of up to ``window`` layers, and the forward phase is cut by disk
checkpoints into segments of at most ``window`` layers, chosen by a 1-D
dynamic program over L (every segment has all the buffer, as the segments
above it have freed theirs):

    A[n] = F[disk, C, n]                                    n ≤ window
    A[n] = min_{j ≤ window} A[n−j] + T[disk, C, j] + sd     n > window

and the answer min_j A[L−j] + T[mem, C, j] + sd (the lowest segment starts
from a0, in inputs). Every such plan is a plan the exact recurrence
considers, so its value is an upper bound on the optimum; the benchmark
measures the gap where the exact planner runs. Cost: the window's table
(O(window²·C)) plus O(L·window) for A.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.chip import ChipConfig
from ..model.ops import Op
from ..sim.plan import Plan
from .equal_size.recurrence import (
    MAX_PLANNING_STEPS,
    _fill,
    largest_layers,
    planning_steps,
    solve,
    useful_slots,
)
from .equal_size.schedule import DISK, MEM, Schedule

#: The most DP steps the window's table may take: about L=1000 at 10 slots.
WINDOW_STEPS = 7 * 10**7


def is_exact(layers: int, slots: int) -> bool:
    """Whether ``optimal`` plans this problem exactly (else periodically, approximately)."""
    return planning_steps(layers, slots) <= MAX_PLANNING_STEPS


def schedule(
    layers: int, chip: ChipConfig, slots: int, *, objective: str, strategy: str
) -> Schedule | PeriodicSchedule:
    """The exact schedule when the DP can plan it, else the periodic one."""
    if is_exact(layers, slots):
        return solve(layers, chip, slots, objective=objective, strategy=strategy)
    return approximate(layers, chip, slots, objective=objective)


def window(layers: int, slots: int) -> int:
    """The longest segment whose exact table fits ``WINDOW_STEPS`` (at least 2 layers)."""
    return max(2, min(layers, largest_layers(slots, WINDOW_STEPS)))


@dataclass(frozen=True)
class PeriodicSchedule:
    """Disk checkpoints cutting the chain into segments, each planned by ``tables``."""

    layers: int
    value: float  # the plan's objective latency (ns): an upper bound on the optimum
    bases: tuple[int, ...]  # the disk checkpoints, ascending (a0, in inputs, not included)
    tables: Schedule

    def plan(self, label: str) -> Plan:
        slots = self.tables.slots
        starts = (0, *self.bases)
        stack: list = [
            ("T", base, top - base, MEM if base == 0 else DISK, slots, False)
            for base, top in zip(starts, self.bases, strict=False)
        ]
        top = self.bases[-1] if self.bases else 0
        stack.append(("F", top, self.layers - top, DISK if top else MEM, slots, False))
        stores = {base: [Op("storedisk", base)] for base in self.bases}
        return self.tables.chain_plan(label, self.layers, stack, stores)


def approximate(
    layers: int, chip: ChipConfig, slots: int, *, objective: str, size: int | None = None
) -> PeriodicSchedule:
    """The best plan of the periodic family for ``layers`` layers (see the module docstring).

    ``size``: the window (default ``window``); the plan is exact when L ≤ it.
    """
    size = min(size or window(layers, slots), layers)
    tables = _fill(size, chip, useful_slots(size, slots), objective=objective, use_disk=True)
    c = tables.slots
    if layers == size:
        return PeriodicSchedule(layers, tables.value, (), tables)
    f_sd = float(chip.storedisk_ns) if objective == "total" else 0.0
    segment_disk = tables.t_value[DISK, c, 1:] + f_sd  # index j-1: a segment of j layers
    segment_mem = tables.t_value[MEM, c, 1:] + f_sd
    best = np.empty(layers + 1)
    best[: size + 1] = tables.f_value[DISK, c, : size + 1]
    cut = np.zeros(layers + 1, dtype=np.int64)  # the lowest segment's length at each n
    for n in range(size + 1, layers + 1):
        candidates = best[n - 1 : n - size - 1 : -1] + segment_disk
        j = int(np.argmin(candidates))
        best[n], cut[n] = candidates[j], j + 1
    bottom = best[layers - 1 : layers - size - 1 : -1] + segment_mem
    j = int(np.argmin(bottom)) + 1
    bases = [j]
    while layers - bases[-1] > size:
        bases.append(bases[-1] + int(cut[layers - bases[-1]]))
    forward = float(chip.loadmem_ns) + layers * float(chip.fwd_ns) if objective == "total" else 0
    return PeriodicSchedule(layers, float(bottom[j - 1]) + forward, tuple(bases), tables)
