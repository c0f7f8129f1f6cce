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

On the benchmark's chains (``benchmarks/byte_dp_vs_rotor.py``) over half the
(split, block) pairs are skipped. A row's values only fall as m grows (more
memory never costs more), so a block's bounds are its last and first entries;
``row_bounds`` checks that and scans the block where it does not hold.

NaN never arises (prices are finite), but the bounds stay sound if one did: a
comparison with NaN is false, so a NaN bound skips nothing and lowers no
ceiling, and scans pass over NaN entries, whose candidates never win.
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
    block minima, they bound the candidates from below; of their maxima, from above."""
    up, paged, minus = parts
    return (heads[0] + up) + low, ((heads[1] + paged) - minus) + low


@jit
def beaten(bounds, ceiling):
    """Whether both candidates' lower bounds exceed the cell's ceiling (False on NaN)."""
    return (bounds[0] > ceiling) & (bounds[1] > ceiling)


@jit
def lowered(ceiling, bounds):
    """The ceiling after a split is offered: its candidates' upper bounds where lower."""
    for bound in bounds:
        ceiling = bound if bound < ceiling else ceiling
    return ceiling


@jit
def row_bounds(row, lows, highs):
    """The least and largest entry of each block of ``row``, into ``lows`` and ``highs``."""
    units = row.shape[0]
    for b in range(lows.shape[0]):
        start, stop = b * BLOCK, min(units, b * BLOCK + BLOCK)
        if falling(row, start, stop):
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
    passed over."""
    most = -np.inf
    for m in range(start, stop):
        x = sign * row[m]
        most = x if x > most else most
    return sign * most
