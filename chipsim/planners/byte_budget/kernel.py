"""The byte DP's fill compiled by numba: the same tables as ``tables.py``, bit for bit.

``tables.py`` fills T and F with numpy, one (place, base, top) cell at a time,
vectorised over the free units m; each cell costs tens of numpy calls and
about eight passes over its (splits × units) candidates. Here ``cells.py``
fills both places' cells of a (base, top) at once, and this module walks the
(base, top) pairs in tables.py's order, writes each cell with its re-home
(``keep``), keeps each written row's block bounds (``bounds.row_bounds``, by
which splits skip the units where they cannot win) and shifts the rows later
cells read (``shift_row``).

What the time goes to at L = 25, 500 units (``benchmarks/byte_dp_vs_rotor.py``;
``benchmarks/profile_byte_dp.py`` names the compiled functions for ``perf``): the
splits (``cells.both_places``) a quarter, though over half their (split, block)
pairs are skipped; reading each unit's ops back from its winner (``cells.settle``)
a sixth, bound by reading table rows; writing the cells (``keep``) an eighth, and
the entries never computed (``blank``: base >= top, half of T, set all the same)
a twentieth, both bound by memory. Per-call costs are kept down by few calls from
Python (``_chunks``), no slices or calls per unit, unsigned indices (numba tests a
signed index for wraparound, which keeps LLVM from vectorising) and no reference
counting (``chipsim.planners.compiled.bare_jit``).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from ...progress import report
from . import layout as lay
from .bounds import blocks, row_bounds
from .cells import TAG, TAG_BITS, best_pair, jit


@jit
def keep(tables, key, best, places, moves):
    """Write the cells of ``best`` into the tables at ``key`` = (base, top): each place's
    choice and split as its cell has them, its value and ops with the offer to re-home
    first (tables._rehome): ``moves`` = per place (head, steps, shift, offered), read
    from the other place's cell, unmoved, at m + shift: no plan before its first
    entry, its last entry past its end (``shift_row``)."""
    values, ops, choice, split, moved = tables
    base, top = key
    for place in range(places):
        head, steps, shift, offered = moves[place]
        at = (place, base, top)
        out = (values[at], ops[at], choice[at], split[at], moved[at])
        cell = (best[0][place], best[1][place], best[2][place])
        other = (best[0][1 - place], best[1][1 - place])
        units = cell[0].shape[0]
        low, high = shift_span(units, shift)
        move = (head, steps, offered)
        last = (other[0][units - 1], other[1][units - 1])
        for i in range(low):  # unsigned indices into rows: no wraparound test, so it vectorises
            take(out, cell, np.uint64(i), move, (np.inf, 0))
        for i in range(high - low):
            m, j = np.uint64(low + i), np.uint64(low + i + shift)
            take(out, cell, m, move, (other[0][j], other[1][j]))
        for i in range(units - high):
            take(out, cell, np.uint64(high + i), move, last)
        for i in range(units):  # a loop of its own: narrowing stores beside take's cost more
            m = np.uint64(i)
            out[2][m], out[3][m] = cell[2][m] >> TAG_BITS, cell[2][m] & (TAG - 1)


@jit
def take(out, cell, m, move, other):
    """Entry m of the columns ``out``: the cell's (value, ops), or moving first where
    ``move`` = (head, steps, offered) on the other place's (value, ops) is better (less
    value, or the same and fewer ops), and whether it moves."""
    head, steps, offered = move
    value, count = cell[0][m], cell[1][m]
    new, new_ops = head + other[0], steps + other[1]
    better = offered & ((new < value) | ((new == value) & (new_ops < count)))
    out[0][m] = new if better else value
    out[1][m] = new_ops if better else count
    out[4][m] = better


@jit
def rehomes(prices, stored, size, base, use_disk):
    """T's moves for ``keep``: the buffer's base to disk (frees it; a0 stays in inputs,
    nothing to free), a paged base back to the buffer; none without a disk."""
    freed = size[base] if base > 0 else 0
    to_disk = prices[lay.LM, base] + prices[lay.SD, base] - prices[lay.LD, base]
    to_memory = prices[lay.LD, base] + stored[base] - prices[lay.LM, base]
    return ((to_disk, 2 if base > 0 else 1, freed, use_disk),
            (to_memory, 2, -size[base], use_disk and base > 0))  # fmt: skip


@jit
def split_heads(prices, walk, stored, base, top, heads, steps):
    """The parts of each split's value and ops that depend on the base and k alone."""
    first, mem, disk, _ = heads
    reload = (prices[lay.LM, base], prices[lay.LD, base])
    for place in range(2):
        first[place] = reload[place] + walk[top - 1] - walk[base] + prices[lay.BWD, top]
        for k in range(base + 1, top):
            mem[place, k] = reload[place] + walk[k] - walk[base] + stored[k]
            disk[place, k] = reload[place] + walk[k] - walk[base] + prices[lay.SD, k]
    for k in range(base + 1, top):
        steps[1][k], steps[2][k] = k - base + 3, k - base + 1


@jit
def t_pair(prices, walk, stored, tables, span, upper, scratch, bounds):
    """T°[place, base, top] for both places (tables._cell), into ``scratch``'s best."""
    best, heads, steps = scratch[0], scratch[1:5], scratch[5:7]
    base, top, places = span
    if top - base == 1:
        for place in range(places):
            reload = prices[lay.LM, base] if place == lay.MEM else prices[lay.LD, base]
            best[0][place], best[1][place] = reload + prices[lay.BWD, top], 2
            best[2][place] = lay.PEEL * TAG
        return
    steps = (top - base + 1, steps[0], steps[1], lay.PEEL * TAG)
    split_heads(prices, walk, stored, base, top, heads, steps)
    rows = (tables[0], tables[1], upper[0], upper[1], tables[0], tables[1])
    best_pair(best, rows, (base, top, top - 1, top), heads, steps, places == 2, bounds)


@jit
def fill_t_tops(prices, walk, stored, size, use_disk, tables, tops, upper, scratch, bounds):
    """Every T[place, base, top] for tops in range(*tops), bases downwards (tables.fill_t)."""
    for top in range(*tops):
        fill_t_top(prices, walk, stored, size, use_disk, tables, top, upper, scratch, bounds)


@jit
def fill_t_top(prices, walk, stored, size, use_disk, tables, top, upper, scratch, bounds):
    """Every T[place, base, top] for one top, bases downwards (tables.fill_t's inner loop);
    ``bounds`` = (block bounds of T's rows, of the upper parts', of T's again (the disk
    splits'), the cells' ceilings, a split's open blocks): see ``_bounds``."""
    t_v, t_o = tables[0], tables[1]
    t_b, up_b = bounds[0], bounds[1]
    best, places = scratch[0], 2 if use_disk else 1
    for base in range(top - 1, -1, -1):  # upper[k] is set (below) before any base < k reads it
        t_pair(prices, walk, stored, tables, (base, top, places), upper, scratch, bounds)
        moves = rehomes(prices, stored, size, base, use_disk)
        keep(tables, (base, top), best, places, moves)
        for place in range(places):
            row_bounds(t_v[place, base, top], t_b[0, place, base, top], t_b[1, place, base, top])
        if base >= 1:
            shift_row(upper[0][base], upper[1][base], t_v[lay.MEM, base, top],
                      t_o[lay.MEM, base, top], -size[base], prices[lay.LM, base], 1)  # fmt: skip
            row_bounds(upper[0][base], up_b[0, base], up_b[1, base])


@jit
def shift_row(out_v, out_o, row_v, row_o, shift, minus_v, minus_o):
    """``row[m + shift] - minus`` for each m: inf and 0 ops before the row's first entry,
    its last entry past its end."""
    units = out_v.shape[0]
    low, high = shift_span(units, shift)
    for m in range(low):
        out_v[m], out_o[m] = np.inf, 0
    for i in range(high - low):  # unsigned indices: no wraparound test, so it vectorises
        m, j = np.uint64(low + i), np.uint64(low + i + shift)
        out_v[m], out_o[m] = row_v[j] - minus_v, row_o[j] - minus_o
    for m in range(high, units):
        out_v[m], out_o[m] = row_v[units - 1] - minus_v, row_o[units - 1] - minus_o


@jit
def shift_span(units, shift):
    """The units m whose m + shift lies in a row of ``units``: range(low, high)."""
    low = min(units, max(0, -shift))
    return low, max(low, units - max(shift, 0))


@jit
def blank(tables, use_disk, forward):
    """Set every entry the fill will not write as a blank ``Tables`` has it: no plan (inf,
    0 ops, choice and split 0) and no move. Per (place, base) those are the first tops:
    T's up to the base, F's top L's alone, all of a place the fill does not use."""
    values, ops, choice, split, moved = tables
    places, bases, tops = 2 if use_disk else 1, values.shape[1], values.shape[2]
    for place in range(2):
        for base in range(bases):
            count = base + 1 if not forward else int(base == bases - 1)
            count = tops if place >= places else count
            fill_rows(values[place, base], count, np.inf)
            fill_rows(ops[place, base], count, 0)
            fill_rows(choice[place, base], count, 0)
            fill_rows(split[place, base], count, 0)
            fill_rows(moved[place, base], count, False)


@jit
def fill_rows(rows, count, value):
    """``value`` into the first ``count`` rows, with unsigned indices: wide stores even
    for the one-byte columns."""
    for row in range(count):
        entries = rows[row]
        for i in range(entries.shape[0]):
            entries[np.uint64(i)] = value


@jit
def fill_f_all(t_v, t_o, charged, size, use_disk, tables, upper, scratch, bounds):
    """F for every base, downwards (tables.fill_f); F's tables hold the top-L column only.
    ``bounds`` as ``fill_t_top``'s, with F's rows for the disk splits'."""
    f_v, f_o = tables[0], tables[1]
    best, heads, (steps_mem, steps_disk) = scratch[0], scratch[1:5], scratch[5:7]
    stored, paged = charged
    up_b, f_b, layers = bounds[1], bounds[2], t_v.shape[1] - 1
    # F's first candidate is T's entry as it is: -0.0 + x is x even for x = -0.0 (0.0 +
    # -0.0 would be 0.0, and numpy's F keeps the sign)
    heads[0][:], heads[3][:], steps_mem[:], steps_disk[:] = -0.0, 0.0, 2, 1
    for place in range(2):
        for k in range(layers + 1):
            heads[1][place, k], heads[2][place, k] = stored[k], paged[k]
    rows = (t_v, t_o, upper[0], upper[1], f_v, f_o)
    upper[0][:], upper[1][:] = np.inf, 0
    steps = (0, steps_mem, steps_disk, lay.NO_STORE * TAG)
    for base in range(layers - 1, -1, -1):
        best_pair(best, rows, (base, layers, layers, 0), heads, steps, use_disk, bounds)
        page = (paged[0], 1, 0, use_disk and base == 0)  # the forward phase may page a0
        keep(tables, (base, 0), best, 2 if use_disk else 1, (page, (0.0, 0, 0, False)))
        row_bounds(f_v[lay.DISK, base, 0], f_b[0, lay.DISK, base, 0], f_b[1, lay.DISK, base, 0])
        if base >= 1:
            shift_row(upper[0][base], upper[1][base], f_v[lay.MEM, base, 0],
                      f_o[lay.MEM, base, 0], -size[base], 0.0, 0)  # fmt: skip
            row_bounds(upper[0][base], up_b[0, base], up_b[1, base])


def fill_tables(prices: np.ndarray, size: np.ndarray, budget: int, use_disk: bool, objective: str):
    """(T, F) as ``tables.fill_t`` and ``tables.fill_f`` give them, compiled."""
    layers = len(size) - 1
    t_tab, f_tab = lay.Tables(layers, budget, blank=False), lay.Tables(layers, budget, 1, False)
    blank(t_tab.columns(), use_disk, False)
    blank(f_tab.columns(), use_disk, True)
    walk = np.concatenate([[0.0], np.cumsum(prices[lay.FWD, 1:])])
    stored = prices[lay.SM] + prices[lay.FREE]
    upper, scratch = _scratch(layers, budget)
    scratch[4][:] = prices[lay.LD]  # a disk split's upper part starts with a(k) loaded
    t_min, up_min, f_min, ceiling, flags = _bounds(layers, budget)
    bounds = (t_min, up_min, t_min, ceiling, flags)
    for tops in _chunks(layers, budget):  # a call each, progress between
        report("planning", tops[0] ** 3, (layers + 1) ** 3)  # ~ candidates so far
        fill_t_tops(prices, walk, stored, size, use_disk, t_tab.columns(), tops, upper, scratch,
                    bounds)  # fmt: skip
    charged = lay.charges(prices, objective)
    fill_f_all(t_tab.value, t_tab.ops, charged, size, use_disk, f_tab.columns(), upper, scratch,
               (t_min, up_min, f_min, ceiling, flags))  # fmt: skip
    return t_tab, f_tab


#: Work a call from Python covers, in (L + 1)³ · (M + 1), about a third of its candidates:
#: about a tenth of a second. A call costs microseconds (its arguments are unboxed), so a
#: fill that takes milliseconds is one call.
WORK_PER_CALL = 3 * 10**8


def _chunks(layers: int, budget: int, most: int = 16) -> list[tuple[int, int]]:
    """Tops 1..L cut into ranges of about equal work (tops up to t cost about t³), one
    for a small fill and at most ``most``."""
    count = min(most, max(1, round((layers + 1) ** 3 * (budget + 1) / WORK_PER_CALL)))
    ends = sorted({max(1, round((layers + 1) * (i / count) ** (1 / 3))) for i in range(count + 1)})
    return list(pairwise(ends))  # the last end is L + 1


def _scratch(layers: int, budget: int) -> tuple[tuple, tuple]:
    """The upper parts (values, ops by k), both places' cells, and the parts of a
    base's cells: heads (first, memory split, disk split, minus) and steps."""
    rows, cells = (layers + 1, budget + 1), (2, budget + 1)
    upper = (np.empty(rows), np.empty(rows, dtype=np.int32))  # ops as the tables'
    # the cells' ops and tags in int32, as the tables' ops: half the bytes to blend and
    # narrow of int64 (cells.TIE is bit 30)
    best = (np.empty(cells), np.empty(cells, np.int32), np.empty(cells, np.int32))
    heads = (
        np.empty(2),
        np.empty((2, layers + 1)),
        np.empty((2, layers + 1)),
        np.empty(layers + 1),
    )
    steps = (np.empty(layers + 1, np.int64), np.empty(layers + 1, np.int64))
    return upper, (best, *heads, *steps)


def _bounds(layers: int, budget: int) -> tuple[np.ndarray, ...]:
    """The block bounds (least, largest) of T's rows, the upper parts' and F's, the
    cells' ceilings and a split's open blocks (bounds.py), as the fill sets them."""
    count = blocks(budget + 1)
    return (
        np.empty((2, 2, layers + 1, layers + 1, count)),
        np.empty((2, layers + 1, count)),
        np.empty((2, 2, layers + 1, 1, count)),
        np.empty((2, count)),
        np.empty(count, np.bool_),  # the blocks a split is offered to
    )
