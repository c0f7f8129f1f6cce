"""One entry of the one-memory DP's tables, and how a candidate is offered to it.

An entry keeps its least cost, its op count (ties go to fewer ops) and a tag
saying how: ``split · 16 + freed · 8 + choice · 2 + record`` (freed: the sweep is
the base's last use, and frees it right after loading it). The loops run over
the free units m, compiled by numba where it is installed (the ``fast`` extra)
and as Python elsewhere, where the innermost steps run as numpy (``take_sliced``
and ``take_past_end_sliced`` here, ``kernel._move_sliced``): the same sums in the
same order, so the tables are the same to the bit (tests/test_one_memory_optimal.py).
"""

from __future__ import annotations

import numpy as np

from ..compiled import COMPILED, bare_jit

MEM, DISK = 0, 1
PEEL, SPLIT_MEM, SPLIT_DISK, DONE = range(4)
#: Price rows, in ``chipsim.model.ops.PRICE_CODES`` order.
FWD, BWD, SM, LM, SD, LD, FREE, RECORDED_BWD = range(8)


@bare_jit
def tag_of(choice: int, record: int, split: int, freed: int = 0) -> int:
    return split * 16 + freed * 8 + choice * 2 + record


def untag(tag: int) -> tuple[int, int, int, int]:
    """(choice, record, split, freed) of an entry's tag."""
    return (tag >> 1) & 3, tag & 1, tag >> 4, (tag >> 3) & 1


@bare_jit
def offer(best, need, head, steps, part_v, part_o, part_shift, tag, nothing, part_floor=0):
    """Offer ``head + part[m + part_shift]`` to each m >= need where strictly better:
    less cost, or the same and fewer ops. ``best`` is (value, ops, tag) of one entry.
    ``nothing`` is (value, ops) of the empty reversal, 0 at every m, offered as a
    split's lower part: the sum is ``(head + part) + 0.0``, the same cost."""
    part, zero = (part_v, part_o, part_shift), (nothing[0], nothing[1], 0)
    offer_split(best, need, head, steps, part, zero, tag, (part_floor, 0))


@bare_jit
def offer_split(best, need, head, steps, upper, lower, tag, floors=(0, 0)):
    """Offer ``head + up[m + up_shift] + low[m + low_shift]``: a split's upper part, then
    its lower part, each (value, ops, shift), to each m >= need where strictly better.
    ``floors``: the first finite entry of each part (entries grow no worse with m, so
    nothing below can be taken). An index past a row's end reads its end: more room
    than the memory has is never used."""
    end = best[0].shape[0] - 1
    start = max(need, floors[0] - upper[2], floors[1] - lower[2], 0)
    inside = end - max(upper[2], lower[2], 0)  # the last m whose indices are in the rows
    up_v, up_o, up_shift = upper
    low_v, low_o, low_shift = lower
    take(best, start, inside, head, steps, up_v, up_o, up_shift, low_v, low_o, low_shift, tag)
    after = max(start, inside + 1)
    take_past_end(best, after, head, steps, up_v, up_o, up_shift, low_v, low_o, low_shift, tag)


@bare_jit
def take_past_end(best, start, head, steps, a_v, a_o, a_shift, b_v, b_o, b_shift, tag):
    """``take`` for m from ``start`` to the row's end, where an index passes its row's
    end and reads the end instead: one m at a time (a few units of a split)."""
    end = best[0].shape[0] - 1
    for m in range(start, end + 1):
        a, b = min(m + a_shift, end) - m, min(m + b_shift, end) - m
        take(best, m, m, head, steps, a_v, a_o, a, b_v, b_o, b, tag)


@bare_jit
def take(best, start, stop, head, steps, a_v, a_o, a_shift, b_v, b_o, b_shift, tag):
    """For m in start..stop: take ``head + a[m + a_shift] + b[m + b_shift]`` where
    strictly better. The loop indexes views that start at m = start, all by one
    index, with no branch: so LLVM vectorises it (with the shifts in the loop, or a
    part that may be absent, it ran a scalar loop at a quarter of the speed)."""
    size = stop + 1 - start
    if size <= 0:
        return
    rows = (best[0][start : stop + 1], best[1][start : stop + 1], best[2][start : stop + 1])
    a, b = start + a_shift, start + b_shift
    a_v, a_o, b_v, b_o = a_v[a : a + size], a_o[a : a + size], b_v[b : b + size], b_o[b : b + size]
    for i in range(size):
        keep_better(rows, i, head + a_v[i] + b_v[i], steps + a_o[i] + b_o[i], tag)


@bare_jit
def keep_better(best, m, value, ops, tag):
    """Entry m takes (value, ops, tag) where strictly better; unconditional stores."""
    values, counts, tags = best
    old_v, old_o = values[m], counts[m]
    better = (value < old_v) | ((value == old_v) & (ops < old_o))
    values[m] = value if better else old_v
    counts[m] = ops if better else old_o
    tags[m] = tag if better else tags[m]


def take_sliced(best, start, stop, head, steps, a_v, a_o, a_shift, b_v, b_o, b_shift, tag):
    """``take`` and ``take_past_end`` in numpy, for Python without numba: each index
    clamped at the row's end (every row is as long as ``best``'s), then the same sums
    in the same order and the same choices, tens of times faster than the loops run
    as Python."""
    if stop < start:
        return
    m, end = np.arange(start, stop + 1), len(best[0]) - 1
    a, b = np.minimum(m + a_shift, end), np.minimum(m + b_shift, end)
    v, o = head + a_v[a] + b_v[b], steps + a_o[a] + b_o[b]
    value, ops, tags = (column[start : stop + 1] for column in best)
    better = (v < value) | ((v == value) & (o < ops))
    value[better], ops[better], tags[better] = v[better], o[better], tag


def take_past_end_sliced(best, start, head, steps, a_v, a_o, a_shift, b_v, b_o, b_shift, tag):
    """``take_past_end`` in numpy: one call for all its units."""
    stop = len(best[0]) - 1
    take_sliced(best, start, stop, head, steps, a_v, a_o, a_shift, b_v, b_o, b_shift, tag)


if not COMPILED:  # the callers, plain Python then, find these
    take, take_past_end = take_sliced, take_past_end_sliced
