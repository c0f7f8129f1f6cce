"""One entry of the one-memory DP's tables, and how a candidate is offered to it.

An entry keeps its least cost, its op count (ties go to fewer ops) and a tag
saying how: ``split · 16 + freed · 8 + choice · 2 + record`` (freed: the sweep is
the base's last use, and frees it right after loading it). The loops run over
the free units m, compiled by numba where it is installed (the ``fast`` extra)
and as Python elsewhere, where the innermost step, ``take``, runs as numpy slices
(``take_sliced``): the same sums in the same order, so the tables are the same to
the bit (tests/test_one_memory_optimal.py).
"""

from __future__ import annotations

try:
    from numba import njit
except ImportError:  # the ``fast`` extra is not installed: the same loops, in Python
    COMPILED = False

    def jit(function):
        return function
else:
    COMPILED = True
    jit = njit(cache=True, boundscheck=False, nogil=True)

MEM, DISK = 0, 1
PEEL, SPLIT_MEM, SPLIT_DISK, DONE = range(4)
#: Price rows, in ``chipsim.model.ops.PRICE_CODES`` order.
FWD, BWD, SM, LM, SD, LD, FREE, RECORDED_BWD = range(8)


@jit
def tag_of(choice: int, record: int, split: int, freed: int = 0) -> int:
    return split * 16 + freed * 8 + choice * 2 + record


def untag(tag: int) -> tuple[int, int, int, int]:
    """(choice, record, split, freed) of an entry's tag."""
    return (tag >> 1) & 3, tag & 1, tag >> 4, (tag >> 3) & 1


@jit
def offer(best, need, head, steps, low_v, low_o, low_shift, tag, low_floor=0):
    """Offer ``head + low[m + low_shift]`` to each m >= need where strictly better: less
    cost, or the same and fewer ops. ``best`` is (value, ops, tag) of one entry; an
    index past the row's end reads its end (more room than the memory has is unused)."""
    top = best[0].shape[0] - 1
    start, stop = max(need, low_floor - low_shift, 0), min(top, top - low_shift)
    take(best, start, stop, head, steps, low_v, low_o, low_shift, low_v, low_o, 0, 0.0, tag)
    for m in range(max(start, stop + 1), top + 1):
        take(best, m, m, head, steps, low_v, low_o, top - m, low_v, low_o, 0, 0.0, tag)


@jit
def offer_split(
    best, need, head, steps, up_v, up_o, up_shift, low_v, low_o, low_shift, tag, floors=(0, 0)
):
    """Offer ``head + up[m + up_shift] + low[m + low_shift]``: a split's upper part, then
    its lower part, to each m >= need where strictly better. ``floors``: the first finite
    entry of each part (entries grow no worse with m, so nothing below can be taken)."""
    top = best[0].shape[0] - 1
    start = max(need, floors[0] - up_shift, floors[1] - low_shift, 0)
    stop = top - max(up_shift, low_shift, 0)
    take(best, start, stop, head, steps, up_v, up_o, up_shift, low_v, low_o, low_shift, 1.0, tag)
    for m in range(max(start, stop + 1), top + 1):
        upper, lower = min(m + up_shift, top) - m, min(m + low_shift, top) - m
        take(best, m, m, head, steps, up_v, up_o, upper, low_v, low_o, lower, 1.0, tag)


@jit
def take(best, start, stop, head, steps, a_v, a_o, a_shift, b_v, b_o, b_shift, with_b, tag):
    """For m in start..stop: take ``head + a[m + a_shift] (+ b[m + b_shift] if with_b)``
    where strictly better; unconditional stores, so that the loop vectorises."""
    value, ops, tags = best
    b_ops = 1 if with_b else 0
    for m in range(start, stop + 1):
        v = head + a_v[m + a_shift]
        if with_b:
            v += b_v[m + b_shift]
        o = steps + a_o[m + a_shift] + b_ops * b_o[m + b_shift]
        old_v, old_o = value[m], ops[m]
        better = (v < old_v) | ((v == old_v) & (o < old_o))
        value[m] = v if better else old_v
        ops[m] = o if better else old_o
        tags[m] = tag if better else tags[m]


def take_sliced(best, start, stop, head, steps, a_v, a_o, a_shift, b_v, b_o, b_shift, with_b, tag):
    """``take`` in numpy slices, for Python without numba: the same sums in the same
    order and the same choices, tens of times faster than its loop run as Python."""
    if stop < start:
        return
    rows, a = slice(start, stop + 1), slice(start + a_shift, stop + 1 + a_shift)
    v, o = head + a_v[a], steps + a_o[a]
    if with_b:
        b = slice(start + b_shift, stop + 1 + b_shift)
        v, o = v + b_v[b], o + b_o[b]
    value, ops, tags = (column[rows] for column in best)
    better = (v < value) | ((v == value) & (o < ops))
    value[better], ops[better], tags[better] = v[better], o[better], tag


if not COMPILED:  # the callers, plain Python then, find this one
    take = take_sliced
