"""The byte DP's fill compiled by numba: the same cells as ``tables.py``, bit for bit.

``tables.py`` fills T and F with numpy, one (source, base, top) cell at a time,
vectorised over the free units m; each cell costs tens of numpy calls and
about eight passes over its (splits × units) candidates. Here each cell is
one loop over m per split, in machine code: about 1 ns a candidate instead
of about 20 (``benchmarks/byte_dp_vs_rotor.py``).

Bit for bit: every value is the same float sum, added in the same order as
in ``tables.py`` (``((walked + stored) + upper) + lower`` and so on; LLVM
does not reassociate without fastmath). Ties go the same way: candidates
are offered in tables.py's order (peel, the memory splits by k, the disk
splits by k), each taken only where strictly better (less value, or the
same value and fewer ops), which picks what its ``_best`` and ``_offer`` pick.
A memory split stores the table's a(k) − lm(k) shifted up, and a disk split
subtracts ld(k) after adding T[DISK, k, t]: ``offer``'s ``minus`` is 0.0 for
the first (x − 0.0 is x, exactly) and ld(k) for the second.

The best of a cell is kept as (value, ops, tag), tag = choice · TAG + split.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...progress import report
from .layout import (
    BWD,
    DISK,
    FREE,
    FWD,
    LD,
    LM,
    MEM,
    NO_STORE,
    PEEL,
    SD,
    SM,
    SPLIT_DISK,
    SPLIT_MEM,
    Tables,
    charges,
)

TAG = 1 << 16  # splits are int16, so choice * TAG + split keeps both
jit = njit(cache=True, boundscheck=False, nogil=True)


@jit
def offer(best_v, best_o, best_t, head, minus, steps, up_v, up_o, low_v, low_o, tag):
    """Take ``((head + up) - minus) + low`` (ops ``steps + up_o + low_o``) where strictly
    better than the best so far: less value, or the same value and fewer ops."""
    for m in range(best_v.shape[0]):
        value = head + up_v[m] - minus + low_v[m]
        ops = steps + up_o[m] + low_o[m]
        old_v, old_o = best_v[m], best_o[m]
        better = (value < old_v) | ((value == old_v) & (ops < old_o))
        best_v[m] = value if better else old_v
        best_o[m] = ops if better else old_o
        best_t[m] = tag if better else best_t[m]


@jit
def start(best_v, best_o, best_t, head, steps, low_v, low_o, tag):
    """The first candidate of a cell: ``head + low`` (ops ``steps + low_o``)."""
    for m in range(best_v.shape[0]):
        best_v[m] = head + low_v[m]
        best_o[m] = steps + low_o[m]
        best_t[m] = tag


@jit
def keep(values, ops, choice, split, key, best_v, best_o, best_t):
    """Write a cell's best into the tables at ``key`` = (src, base, top)."""
    src, base, top = key
    for m in range(best_v.shape[0]):
        values[src, base, top, m] = best_v[m]
        ops[src, base, top, m] = best_o[m]
        choice[src, base, top, m] = best_t[m] // TAG
        split[src, base, top, m] = best_t[m] % TAG


@jit
def t_cell(prices, walk, stored, t_v, t_o, upper_v, upper_o, src, base, top, use_disk, best):
    """T°[src, base, top, :]: the peel, then every split (tables._cell)."""
    best_v, best_o, best_t = best
    reload = prices[LM, base] if src == MEM else prices[LD, base]
    if top - base == 1:
        best_v[:] = reload + prices[BWD, top]
        best_o[:] = 2
        best_t[:] = PEEL * TAG
        return
    peel = reload + walk[top - 1] - walk[base] + prices[BWD, top]
    low_v, low_o = t_v[src, base], t_o[src, base]
    start(best_v, best_o, best_t, peel, top - base + 1, low_v[top - 1], low_o[top - 1], PEEL * TAG)
    for k in range(base + 1, top):
        head = reload + walk[k] - walk[base] + stored[k]
        tag = SPLIT_MEM * TAG + k
        offer(best_v, best_o, best_t, head, 0.0, k - base + 3, upper_v[k], upper_o[k],
              low_v[k], low_o[k], tag)  # fmt: skip
    if use_disk:
        for k in range(base + 1, top):
            head = reload + walk[k] - walk[base] + prices[SD, k]
            tag = SPLIT_DISK * TAG + k
            offer(best_v, best_o, best_t, head, prices[LD, k], k - base + 1, t_v[DISK, k, top],
                  t_o[DISK, k, top], low_v[k], low_o[k], tag)  # fmt: skip


@jit
def move(values, ops, moved, head, steps, other_v, other_o, shift):
    """Offer re-homing first: ``head + other[m + shift]`` (the last entry past the end,
    inf before the first), ops ``steps + other_o``, where strictly better."""
    last = values.shape[0] - 1
    for m in range(values.shape[0]):
        j = min(m + shift, last)
        value = head + other_v[j] if j >= 0 else head + np.inf
        count = steps + other_o[j] if j >= 0 else steps
        better = (value < values[m]) | ((value == values[m]) & (count < ops[m]))
        moved[m] = better
        if better:
            values[m], ops[m] = value, count


@jit
def rehome(prices, stored, size, t_v, t_o, moved, base, top, cell_v, cell_o):
    """Offer each source's move to the other place, read from the cells before moves."""
    freed = size[base] if base > 0 else 0  # a0 stays in inputs: nothing to free
    head = prices[LM, base] + prices[SD, base] - prices[LD, base]
    move(t_v[MEM, base, top], t_o[MEM, base, top], moved[MEM, base, top], head,
         2 if base > 0 else 1, cell_v[DISK], cell_o[DISK], freed)  # fmt: skip
    if base > 0:
        head = prices[LD, base] + stored[base] - prices[LM, base]
        move(t_v[DISK, base, top], t_o[DISK, base, top], moved[DISK, base, top], head,
             2, cell_v[MEM], cell_o[MEM], -size[base])  # fmt: skip


@jit
def shift_up(out_v, out_o, row_v, row_o, by, minus_v, minus_o):
    """``row[m - by] - minus`` for each m (inf and 0 where m < by)."""
    for m in range(out_v.shape[0]):
        if m >= by:
            out_v[m], out_o[m] = row_v[m - by] - minus_v, row_o[m - by] - minus_o
        else:
            out_v[m], out_o[m] = np.inf, 0


@jit
def fill_t_top(prices, walk, stored, size, use_disk, tables, top, upper_v, upper_o, scratch):
    """Every T[src, base, top] for one top, bases downwards (tables.fill_t's inner loop)."""
    t_v, t_o, choice, split, moved = tables
    best_t, cell_v, cell_o = scratch
    upper_v[:] = np.inf
    upper_o[:] = 0
    for base in range(top - 1, -1, -1):
        for src in range(2 if use_disk else 1):
            best = (cell_v[src], cell_o[src], best_t)
            t_cell(prices, walk, stored, t_v, t_o, upper_v, upper_o, src, base, top, use_disk, best)
            keep(t_v, t_o, choice, split, (src, base, top), cell_v[src], cell_o[src], best_t)
        if use_disk:
            rehome(prices, stored, size, t_v, t_o, moved, base, top, cell_v, cell_o)
        if base >= 1:
            shift_up(upper_v[base], upper_o[base], t_v[MEM, base, top], t_o[MEM, base, top],
                     size[base], prices[LM, base], 1)  # fmt: skip


@jit
def f_cell(t_v, t_o, f_v, f_o, stored, paged, upper_v, upper_o, src, base, use_disk, best):
    """F[src, base, :]: no store, then every split (tables.fill_f's cell)."""
    best_v, best_o, best_t = best
    top = t_v.shape[2] - 1
    start(best_v, best_o, best_t, 0.0, 0, t_v[src, base, top], t_o[src, base, top],
          NO_STORE * TAG)  # fmt: skip
    low_v, low_o = t_v[src, base], t_o[src, base]
    for k in range(base + 1, top):
        offer(best_v, best_o, best_t, stored[k], 0.0, 2, upper_v[k], upper_o[k], low_v[k],
              low_o[k], SPLIT_MEM * TAG + k)  # fmt: skip
    if use_disk:
        for k in range(base + 1, top):
            offer(best_v, best_o, best_t, paged[k], 0.0, 1, f_v[DISK, k, 0], f_o[DISK, k, 0],
                  low_v[k], low_o[k], SPLIT_DISK * TAG + k)  # fmt: skip


@jit
def fill_f_all(t_v, t_o, stored, paged, size, use_disk, tables, upper_v, upper_o, scratch):
    """F for every base, downwards (tables.fill_f); F's tables hold the top-L column only."""
    f_v, f_o, choice, split, moved = tables
    best_v, best_o, best_t = scratch
    upper_v[:] = np.inf
    upper_o[:] = 0
    for base in range(t_v.shape[1] - 2, -1, -1):
        for src in range(2 if use_disk else 1):
            best = (best_v, best_o, best_t)
            f_cell(t_v, t_o, f_v, f_o, stored, paged, upper_v, upper_o, src, base, use_disk, best)
            keep(f_v, f_o, choice, split, (src, base, 0), best_v, best_o, best_t)
        if base == 0 and use_disk:  # the forward phase may page a0
            move(f_v[MEM, 0, 0], f_o[MEM, 0, 0], moved[MEM, 0, 0], paged[0], 1,
                 f_v[DISK, 0, 0], f_o[DISK, 0, 0], 0)  # fmt: skip
        if base >= 1:
            shift_up(upper_v[base], upper_o[base], f_v[MEM, base, 0], f_o[MEM, base, 0],
                     size[base], 0.0, 0)  # fmt: skip


def fill_tables(prices: np.ndarray, size: np.ndarray, budget: int, use_disk: bool, objective: str):
    """(T, F) as ``tables.fill_t`` and ``tables.fill_f`` give them, compiled."""
    layers = len(size) - 1
    t_tab, f_tab = Tables(layers, budget), Tables(layers, budget, tops=1)
    walk = np.concatenate([[0.0], np.cumsum(prices[FWD, 1:])])
    stored = prices[SM] + prices[FREE]
    upper, best = _rows(layers + 1, budget + 1), _rows(1, budget + 1)
    cells = (best[2][0], *_rows(2, budget + 1)[:2])
    for top in range(1, layers + 1):
        report("planning", top * (top - 1) // 2, layers * (layers + 1) // 2)  # ~ cells so far
        fill_t_top(prices, walk, stored, size, use_disk, t_tab.columns(), top, *upper[:2], cells)
    stored, paged = charges(prices, objective)
    rows = tuple(row[0] for row in best)
    t_columns = (t_tab.value, t_tab.ops)
    fill_f_all(*t_columns, stored, paged, size, use_disk, f_tab.columns(), *upper[:2], rows)
    return t_tab, f_tab


def _rows(count: int, units: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scratch rows: values, ops and tags."""
    shape = (count, units)
    return np.empty(shape), np.empty(shape, dtype=np.int64), np.empty(shape, dtype=np.int64)
