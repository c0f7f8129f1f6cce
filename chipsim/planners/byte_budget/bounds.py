"""Block bounds that let a split skip the free units where it cannot win or tie.

Free units are cut into blocks of ``BLOCK``. Each table row read as a split's
part keeps its least and largest value per block (``row_bounds``), and each
cell being filled keeps a ceiling per block: a value no unit of the block
exceeds. A split's value at m is a float sum of its parts, and rounding is
monotone, so the same sum of the parts' block minima bounds it from below
over the block, and of their maxima from above (``candidates``).

- Where a split's lower bound exceeds the cell's ceiling, the split is
  strictly worse than the cell at every unit of the block: it would neither
  win nor tie, so skipping it leaves the tables the same to the bit.
- Where it is offered, the cell's values fall to at most the split's upper
  bound, which becomes the ceiling if lower: no pass over the block.
- A split is offered to runs of blocks (``next_run``), one loop each: every
  loop entry costs its tests that the tables do not overlap.

On the benchmark's chains (``benchmarks/byte_dp_vs_rotor.py``) over half the
(split, block) pairs are skipped. A row's values only fall as m grows (more
memory never costs more), so a block's bounds are its last and first entries;
``row_bounds`` checks that and scans the block where it does not hold.

NaN arises only where sums of prices overflow (prices near 1e308), and the
bounds stay sound then: a comparison with NaN is false, so a NaN bound skips
nothing and lowers no ceiling, and scans pass over NaN entries, whose
candidates never win.
"""

from __future__ import annotations

import numpy as np

from ..compiled import bare_jit as jit

BLOCK = 32  # units: 16 skips a little more and 64 less, each costing more than it saves


def blocks(units: int) -> int:
    """How many blocks cover ``units`` free units (0 … units − 1)."""
    return -(-units // BLOCK)


@jit
def candidates(heads, parts, low):
    """A split's two candidates, (memory, disk), summed as ``cells.py`` sums them:
    ``heads`` = (memory, disk), ``parts`` = (upper, paged upper, minus). Of the parts'
    block minima, they bound the candidates from below; of their maxima, from above.
    The bounds hold only for the very sums the fill takes, grouped the same: a
    regrouped sum rounds otherwise (``(h + p) - minus``, not ``h + (p - minus)``)."""
    up, paged, minus = parts
    return (heads[0] + up) + low, ((heads[1] + paged) - minus) + low


@jit
def may_take(heads, least, minus, ceiling, flags):
    """Per block, into ``flags``: whether the split may take some place's cell there, that
    is, some candidate's lower bound is not over the ceiling (True on NaN). ``heads`` per
    place (memory, disk); ``least`` = the block minima of the upper part, the paged
    upper part, then the lower part per place, each a row by block; ``minus`` as
    ``candidates``'."""
    for b in range(flags.shape[0]):
        beaten = True
        for place in range(len(heads)):
            parts = (least[0][b], least[1][b], minus)
            bound = candidates(heads[place], parts, least[2 + place][b])
            beaten &= (bound[0] > ceiling[place, b]) & (bound[1] > ceiling[place, b])
        flags[b] = not beaten


@jit
def lower(heads, most, minus, ceiling, span):
    """Once the split is offered to blocks ``range(*span)``: each ceiling there falls to
    the split's upper bounds where lower (not to NaN); ``most`` the parts' block maxima,
    arguments otherwise as ``may_take``'s."""
    for b in range(*span):
        for place in range(len(heads)):
            parts = (most[0][b], most[1][b], minus)
            for bound in candidates(heads[place], parts, most[2 + place][b]):
                ceiling[place, b] = bound if bound < ceiling[place, b] else ceiling[place, b]


@jit
def next_run(flags, b):
    """The next run of set flags from block ``b``: (first, stop), empty at the end."""
    while b < flags.shape[0] and not flags[b]:
        b += 1
    first = b
    while b < flags.shape[0] and flags[b]:
        b += 1
    return first, b


@jit
def row_bounds(row, lows, highs):
    """The least and largest entry of each block of ``row``, into ``lows`` and ``highs``."""
    units = row.shape[0]
    whole = falling(row, 0, units)  # as rows almost always are: one pass, not a pass a block
    for b in range(lows.shape[0]):
        start, stop = b * BLOCK, min(units, b * BLOCK + BLOCK)
        if whole or falling(row, start, stop):
            lows[b], highs[b] = row[stop - 1], row[start]
        else:
            lows[b], highs[b] = extreme(row, start, stop, -1.0), extreme(row, start, stop, 1.0)


@jit
def falling(row, start, stop):
    """Whether ``row`` never rises over ``start`` … ``stop`` − 1 (False on NaN)."""
    ok = True
    for i in range(stop - start - 1):  # unsigned indices: no wraparound test
        m = np.uint64(start + i)
        ok &= row[m + np.uint64(1)] <= row[m]
    return ok


@jit
def extreme(row, start, stop, sign):
    """The largest (``sign`` 1) or least (−1) entry of ``row[start:stop]``, NaN entries
    passed over; NaN if all are (a bound that then skips nothing and lowers nothing)."""
    most = np.nan
    for m in range(start, stop):
        x = sign * row[m]
        most = x if (x > most) | (most != most) else most
    return sign * most
