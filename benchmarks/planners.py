"""Planner speed: revolve against pyrevolve and checkpoint_schedules, optimal against its old DP,
and the periodic approximation's time and gap.

Run: ``python benchmarks/planners.py [--quick] [--revolve]`` (needs the ``bench`` extra:
``pip install -e ".[bench]"``; ``--revolve``: part 1 alone).

1. **revolve**: chipsim's binomial plan (a Plan, ops encoded) against
   pyrevolve's C++ Revolve (``CRevolve``, stepped action by action) and
   checkpoint_schedules' binomial ``MultistageCheckpointSchedule`` (iterated
   to the end), at L = 1000, 10,000, 100,000 with 10 slots. Revolve's sizes
   are l = L + 1 steps and c = slots + 1 snapshots (see revolve.py); every
   side's forward advances are checked equal to Griewank's t(l, c). Issue 21's
   target: chipsim at least as fast as checkpoint_schedules (``ckpt/chipsim`` ≥ 1).
2. **optimal**: ``_fill`` against ``baseline_fill`` below, the DP as it was
   before issue 13 (kept verbatim as the baseline), at L = 1000, C = 10; the
   tables are checked bitwise equal first.
3. **periodic**: time of ``make_plan("optimal", 100000, ...)`` at 10 slots,
   and the gap of ``periodic.approximate`` to the exact optimum for sampled
   L ≤ 5000 and several latency sets (window: the default, and 100).

Every figure is the best of ``REPEATS``, the sides timed in turn in one process.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import checkpoint_schedules as cs
import numpy as np
import pyrevolve.crevolve as cr

from chipsim import ChipConfig, make_plan
from chipsim.planners import periodic
from chipsim.planners.equal_size import recurrence as optimal_slots
from chipsim.planners.equal_size.schedule import (  # the baseline below reads the same encoding
    DISK,
    MEM,
    NO_STORE,
    PEEL,
    REHOME_DISK,
    REHOME_MEM,
    SPLIT_DISK,
    SPLIT_MEM,
)
from chipsim.planners.revolve import advances

REPEATS = 3


def best_of(work, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def chipsim_revolve(layers: int, slots: int) -> int:
    plan = make_plan(f"revolve:slots={slots}", layers, ChipConfig(buffer_slots=slots))
    return plan.counts("forward")["fwd"] + plan.counts("backward")["fwd"]


def pyrevolve_advances(steps: int, snapshots: int) -> int:
    revolver, total = cr.CRevolve(snapshots, steps), 0
    while True:
        action = revolver.revolve()
        if action == cr.Action.advance:
            total += revolver.capo - revolver.oldcapo
        elif action in (cr.Action.terminate, cr.Action.error):
            return total


def checkpoint_schedules_advances(steps: int, snapshots: int) -> int:
    """Its Forward actions also run each reversed step's own forward (Revolve's youturn,
    not counted in t): l more than Revolve's advances, taken off here."""
    total = -steps
    for action in cs.MultistageCheckpointSchedule(steps, snapshots, 0):
        if isinstance(action, cs.Forward):
            total += action.n1 - action.n0
        elif isinstance(action, cs.EndReverse):
            return total
    return total


def revolve_table(sizes: list[int], slots: int = 10) -> None:
    print(f"revolve, {slots} slots (Revolve: l = L+1 steps, c = {slots + 1} snapshots)")
    columns = ("chipsim s", "pyrevolve s", "ckpt_sched s", "pyrevolve/chipsim", "ckpt/chipsim")
    print(f"{'L':>7} " + " ".join(f"{name:>12}" for name in columns))
    for layers in sizes:
        t = advances(layers + 1, slots + 1)
        sides = {}
        for name, work in (
            ("chipsim", lambda n=layers: chipsim_revolve(n, slots)),
            ("pyrevolve", lambda n=layers: pyrevolve_advances(n + 1, slots + 1)),
            ("ckpt", lambda n=layers: checkpoint_schedules_advances(n + 1, slots + 1)),
        ):
            assert work() == t, (name, layers)
            sides[name] = best_of(work)
        ratios = [f"{sides[name] / sides['chipsim']:.1f}x" for name in ("pyrevolve", "ckpt")]
        cells = [f"{sides[name]:.3f}" for name in ("chipsim", "pyrevolve", "ckpt")]
        print(f"{layers:>7} " + " ".join(f"{cell:>12}" for cell in [*cells, *ratios]))


def optimal_ratio(layers: int = 1000, slots: int = 10) -> None:
    chip = ChipConfig(buffer_slots=slots, loaddisk_ns=35)
    new = optimal_slots._fill(layers, chip, slots, objective="backward", use_disk=True)
    old = baseline_fill(layers, chip, slots, objective="backward", use_disk=True)
    for name in ("t_choice", "t_split", "f_choice", "f_split"):
        assert np.array_equal(getattr(new, name), getattr(old, name)), name
    assert new.value == old.value
    times = {"new": [], "old": []}
    for _ in range(REPEATS):
        for name, fill in (("old", baseline_fill), ("new", optimal_slots._fill)):
            start = time.perf_counter()
            fill(layers, chip, slots, objective="backward", use_disk=True)
            times[name].append(time.perf_counter() - start)
    old_s, new_s = min(times["old"]), min(times["new"])
    print(f"\noptimal _fill, L={layers}, C={slots}, loaddisk 35 ns (tables bitwise equal):")
    print(f"baseline {old_s:.3f} s, now {new_s:.3f} s: {old_s / new_s:.2f}x faster")


CHIPS = {
    "course (disk 100)": ChipConfig(buffer_slots=10),
    "disk 35": ChipConfig(buffer_slots=10, loaddisk_ns=35),
    "disk 2000/500": ChipConfig(buffer_slots=10, loaddisk_ns=2000, storedisk_ns=500),
    "2 slots, bwd 7": ChipConfig(buffer_slots=2, bwd_ns=7, storemem_ns=1),
}


def periodic_table(sizes: list[int]) -> None:
    chip = ChipConfig(buffer_slots=10)
    seconds = best_of(lambda: make_plan("optimal", 100_000, chip), repeats=1)
    print(f"\noptimal at L=100000, 10 slots (periodic, window {periodic.window(100_000, 10)}):"
          f" {seconds:.2f} s to plan")  # fmt: skip
    print("gap of the periodic plan to the exact optimum (window: default / 100)")
    print(f"{'chip':>18} {'L':>5} {'exact ns':>10} {'gap':>8} {'gap w=100':>10}")
    for name, chip in CHIPS.items():
        for layers in sizes:
            exact = optimal_slots.solve(layers, chip, chip.buffer_slots).value
            gaps = []
            for size in (None, 100):
                value = periodic.approximate(
                    layers, chip, chip.buffer_slots, objective="backward", size=size
                ).value
                gaps.append(100 * (value - exact) / exact)
            print(f"{name:>18} {layers:>5} {exact:>10.0f} {gaps[0]:>7.3f}% {gaps[1]:>9.3f}%")


def main(quick: bool, revolve_only: bool = False) -> None:
    revolve_table([1000, 10_000] if quick else [1000, 10_000, 100_000])
    if revolve_only:
        return
    optimal_ratio()
    periodic_table([1500, 2500] if quick else [1200, 2000, 3500, 5000])


# The baseline: optimal's dynamic program before issue 13, verbatim (one cell at a time).


@dataclass(frozen=True)
class _Old:
    value: float
    t_choice: np.ndarray
    t_split: np.ndarray
    f_choice: np.ndarray
    f_split: np.ndarray


def baseline_fill(
    layers: int, chip: ChipConfig, slots: int, *, objective: str, use_disk: bool
) -> _Old:
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
    return _Old(value, t.choice, t.split, F.choice, F.split)


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


if __name__ == "__main__":
    main("--quick" in sys.argv[1:], "--revolve" in sys.argv[1:])
