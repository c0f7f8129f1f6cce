"""``optimal`` on a chip with one memory (``memory_bytes``): exact over recording,
keeping, paging and recomputing each stage, under every op's own peak.

rotor's choice (Beaumont, Eyraud-Dubois, Herrmann, Joly and Shilova, "Optimal
checkpointing for heterogeneous chains", 2019) of recording a stage's forward
(F_all) or only checkpointing its output (F_ck), in SPEC.md's model with a disk
and with the op in flight's activations, gradients and workspace
(``needs.py``) checked against what the memory has free at that instant. No
code is rotor's.

The tables (``kernel.py``). T[p, r, s, t, m] is the least cost of reversing
stages t..e+1 (e: the stage below the lowest trained one, 0 when all train)
with dL/da(t) held, a(s) kept at p (the buffer, or inputs for a0; or disk),
stage t's saved tensors kept (r = 1) or not, and m units free besides all
that is kept; it starts with a(s) not in registers. With ℓ the base's load,
W(s, k) the forwards s+1..k, b_r(t) a recorded (r) or recomputing ``bwd t``::

    T[p, r, s, t, m] = min(
      peel, q ∈ {0, 1}:  ℓ + W(s, t-1) + b_r(t) + T[p, q, s, t-1, m + r·sv(t) - q·sv(t-1)],
      split at s < k < t, to p' ∈ {buffer, disk}, recording k or not (ρ):
          ℓ + W(s, k) + store(p', k) + T[p', r, k, t, m - [p' = buffer]·a(k) - ρ·sv(k)]
              - load(p', k) + T[p, ρ, s, k, m + r·sv(t) - ρ·sv(k)],
      re-home a(s) to the other place first (T°: the entry without its own re-home))

each option only where every op it runs fits m (``needs.py``). An entry with
nothing left (t = s, or t <= e) costs the free of a buffered base above e.
F[p, s, m] is the forward sweep on from a(s), storing and recording as T's
splits do (stores priced only for the ``total`` objective), then the backward
phase; the plan is F[buffer, 0, room].

Why recording needs no more state than r. Recording stage l in a sweep that
does not end at l (the sweep goes on to fwd l+1 without storing a(l)) is never
better than recording it in the last sweep through fwd l before ``bwd l``:
same cost, and its saved tensors live a shorter time. That last sweep ends at l:
either a(l) is stored next (a split at l, or the forward phase keeping a(l)),
or ``bwd l+1`` runs next (the peel into top l+1), or l = L at the end of the
forward phase. So every recorded stage is the top of the next part (q, ρ).
Keeping, paging and recomputing follow the byte DP's argument
(``chipsim.planners.byte_budget.recurrence``). tests/test_one_memory_optimal.py
checks the optimum against a search over every valid plan (Dijkstra, byte
exact, every op's memory as ``training_memory`` counts it) on random chains of
up to 6 stages, with and without disk, with partial training and both update
rules.

Complexity: O(L²·M) entries of four kinds, each trying O(L) splits four ways;
``kernel.py`` runs compiled where numba is installed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import DoesNotFit, PlanTooLarge
from ...limits import MAX_WORK_BYTES
from ...model.ops import Op
from ...model.stages import Chain
from ...model.training import Training
from . import forward, kernel
from .emit import plan_ops
from .needs import Needs, keep_nothing_peak_bytes, needs_of, room_bytes

#: Candidates (≈ 8·L³/6·units with the disk, half without) planned at most: about 10 s
#: compiled (L = 50 at 500 units, 8·10⁷ candidates with the disk, takes 0.25 s here, and
#: 0.07 s without it), or in pure Python without numba.
MAX_CANDIDATES = {True: 3 * 10**9, False: 3 * 10**7}


@dataclass(frozen=True)
class MemorySchedule:
    """The optimum over the DP's model: its cost, needs and ops, and the memory it was
    planned in (to within the units' rounding)."""

    value: float
    needs: Needs
    forward: list[Op]
    backward: list[Op]
    memory_bytes: int


def solve(
    chain: Chain,
    memory_bytes: int,
    training: Training,
    prices: np.ndarray,
    *,
    units: int,
    use_disk: bool = True,
    objective: str = "backward",
    label: str = "optimal",
) -> MemorySchedule:
    """The least-cost plan of ``chain`` in ``memory_bytes`` of one memory; ``prices`` is
    (price code, l), rows in ``PRICE_CODES`` order (a recorded ``bwd`` last)."""
    check_work(label, chain.layers, units, use_disk)

    def refusal(why: str) -> DoesNotFit:
        least = least_memory_bytes(chain, training, prices, units, use_disk)
        return DoesNotFit(label, least, memory_bytes, "memory_bytes", None, f": {why}")

    if room_bytes(chain, memory_bytes, training) < 0:
        raise refusal("the weights and optimizer state alone do not fit")
    tables = _tables(chain, memory_bytes, training, prices, units, use_disk, objective)
    schedule = _schedule(tables, tables[0].room_units, prices, objective, training, chain)
    if schedule is None:
        raise refusal("no plan fits every op, however it recomputes, records or pages")
    return schedule


def _schedule(tables, free_units, prices, objective, training, chain) -> MemorySchedule | None:
    """The optimum that starts with ``free_units`` free, read from ``tables`` (None: none)."""
    needs, t_tab, f_tab = tables
    value = float(f_tab[0][kernel.MEM, 0, free_units])
    if not np.isfinite(value):
        return None
    if objective == "total":
        value += float(prices[kernel.LM, 0] + prices[kernel.FWD, 1:].sum())
    end = training.lowest_trained(chain) - 1
    forward_ops, backward = plan_ops(t_tab, f_tab, needs, end, free_units)
    memory_bytes = training.resident_bytes(chain) + free_units * needs.unit_bytes
    return MemorySchedule(value, needs, forward_ops, backward, memory_bytes)


def _tables(chain, memory_bytes, training, prices, units, use_disk, objective):
    """(needs, T, F) of ``chain`` in ``memory_bytes``."""
    needs = needs_of(chain, memory_bytes, training, units)
    end = training.lowest_trained(chain) - 1
    prices = np.ascontiguousarray(prices, dtype=float)
    t_tab = kernel.fill_t(needs.columns(), prices, end, use_disk, needs.room_units)
    f_tab = forward.fill_f(t_tab, needs.columns(), prices, end, use_disk, objective == "total")
    return needs, t_tab, f_tab


def least_memory_bytes(
    chain: Chain, training: Training, prices: np.ndarray, units: int, use_disk: bool = True
) -> int:
    """The least ``memory_bytes`` in which the DP finds a plan, to within its rounding
    (``least_memory_schedule``'s room), or the room it searched where it finds none."""
    found = least_memory_schedule(chain, training, prices, units, use_disk)
    return found.memory_bytes if found else _roomy_bytes(chain, training)


def least_memory_schedule(
    chain: Chain,
    training: Training,
    prices: np.ndarray,
    units: int,
    use_disk: bool = True,
    objective: str = "backward",
) -> MemorySchedule | None:
    """The DP's plan in the least memory it finds one in: planned in twice the room of the
    plan that keeps nothing, then again in the least room found there (finer units), each
    time read at the first free units F reaches. It does not depend on the chip's
    ``memory_bytes``: a refusal that names its peak names a memory it fits."""
    found, memory = None, _roomy_bytes(chain, training)
    for _ in range(2):
        tables = _tables(chain, memory, training, prices, units, use_disk, objective)
        reached = np.flatnonzero(np.isfinite(tables[2][0][kernel.MEM, 0]))
        if not reached.size:
            break
        found = _schedule(tables, int(reached[0]), prices, objective, training, chain)
        memory = found.memory_bytes
    return found


def _roomy_bytes(chain: Chain, training: Training) -> int:
    """Twice the room the plan that keeps nothing needs, besides what is resident."""
    resident = training.resident_bytes(chain)
    return resident + 2 * (keep_nothing_peak_bytes(chain, training) - resident)


def check_work(label: str, layers: int, units: int, use_disk: bool = True) -> None:
    """Refuse tables too large to hold, or to fill in reasonable time, before any is made."""
    places = 2 if use_disk else 1
    table_bytes = places * 2 * (layers + 1) ** 2 * (units + 1) * 17  # value, ops, tag, moved
    candidates = places * 4 * layers**3 * units // 6
    fewer = "use fewer units (e.g. optimal:units=100) or fewer, larger stages"
    if table_bytes > MAX_WORK_BYTES:
        raise PlanTooLarge(
            f"{label}: {layers} stages with {units} memory units need {table_bytes / 2**30:.1f} "
            f"GiB of tables (the limit is {MAX_WORK_BYTES / 2**30:.0f} GiB); {fewer}"
        )
    if candidates > MAX_CANDIDATES[kernel.COMPILED]:
        without = "" if kernel.COMPILED else " without numba (install chipsim[fast])"
        raise PlanTooLarge(
            f"{label}: {layers} stages with {units} memory units need ~{candidates:.1e} steps, "
            f"too many{without} (limit {MAX_CANDIDATES[kernel.COMPILED]:.0e}); {fewer}"
        )
