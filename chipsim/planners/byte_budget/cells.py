"""One (base, top) step of the compiled fill: the cells of both places at once, for T and F.

A cell's candidates are its first (T's peel, F's "no store"), then a memory split
and a disk split at each k; tables.py takes, per free unit m, the least value,
ties to fewer ops, then to the first offered. That is the least
(value, ops, offer order), whatever order candidates are looked at in, so here
one pass over m per k offers all four splits that read T[., k, top] (two places
× two kinds), each of those rows read once, and keeps only the least value and
its tag (choice · TAG + k), with a TIE bit where two candidates reach it, over
the blocks of units where the split may win or tie (``bounds.py``). Only
at tied units are the ops compared (``exact``, in tables.py's order; none on the benchmark's
chains); elsewhere the winner's ops are read back from its tag.

Every value is the float sum tables.py adds, in its order:
``(head + upper) + lower`` for a memory split (its ``- 0.0`` changes no value) and
``((head + disk) - minus) + lower`` for a disk split; LLVM does not reassociate
without fastmath, so the tables are the same to the last bit.

The arguments come in bundles, per (base, top):
``rows`` = (t_v, t_o, up_v, up_o, disk_v, disk_o): T's tables, whose
T[place, base, k] are the lower parts and T[place, base, first] the first
candidate's; the memory split's upper part by k (already shifted, minus its load);
the tables of the disk split's upper part, [DISK, k, disk] at k.
``span`` = (base, top, first, disk). ``heads`` = (first, mem, disk, minus): the
constant parts of each value, by (place,), (place, k), (place, k) and (k,).
``steps`` = (first, mem by k, disk by k, first tag): the ops each candidate adds to
its parts' ops, and the first candidate's tag.
"""

from __future__ import annotations

import numpy as np

from ..compiled import bare_jit as jit
from .bounds import BLOCK, lower, may_take, next_run
from .layout import DISK, SPLIT_DISK, SPLIT_MEM

TAG_BITS = 16  # splits are int16, so choice * TAG + split keeps both
TAG = 1 << TAG_BITS  # choice = tag >> TAG_BITS, split = tag & (TAG - 1)
TIE = 1 << 30  # another candidate reaches the same least value (tags are int32)


@jit
def pick(value, tag, candidate, candidate_tag):
    """The least value so far and its tag, TIE-marked when ``candidate`` equals it."""
    less = candidate < value
    marked = tag | TIE if candidate == value else tag
    return (candidate if less else value), (candidate_tag if less else marked)


@jit
def both_places(best_v, best_t, rows, span, heads, bounds):
    """Offer every memory and disk split to both places' cells, over the runs of blocks
    where the split may take either (bounds.py). Tables are indexed whole, not sliced,
    and nothing is called per unit."""
    t_v, _, up_v, _, disk_v, _ = rows
    base, top, _, disk_top = span
    low_b, up_b, disk_b, ceiling, flags = bounds
    _, mem, disk, minus = heads
    for k in range(base + 1, top):
        mem0, mem1, disk0, disk1 = mem[0, k], mem[1, k], disk[0, k], disk[1, k]
        mem_tag, disk_tag, less = SPLIT_MEM * TAG + k, SPLIT_DISK * TAG + k, minus[k]
        heads_k, at, paged_at = ((mem0, disk0), (mem1, disk1)), (base, k), (DISK, k, disk_top)
        least = (up_b[0, k], disk_b[0][paged_at], low_b[0, 0][at], low_b[0, 1][at])
        most = (up_b[1, k], disk_b[1][paged_at], low_b[1, 0][at], low_b[1, 1][at])
        may_take(heads_k, least, less, ceiling, flags)
        first, end = next_run(flags, 0)
        while first < end:
            start, stop = first * BLOCK, min(best_v.shape[1], end * BLOCK)
            for i in range(stop - start):  # unsigned: no wraparound test, so it vectorises
                m = np.uint64(start + i)
                up, paged = up_v[k, m], disk_v[DISK, k, disk_top, m]
                low0, low1 = t_v[0, base, k, m], t_v[1, base, k, m]
                v, t = pick(best_v[0, m], best_t[0, m], (mem0 + up) + low0, mem_tag)
                best_v[0, m], best_t[0, m] = pick(v, t, ((disk0 + paged) - less) + low0, disk_tag)
                v, t = pick(best_v[1, m], best_t[1, m], (mem1 + up) + low1, mem_tag)
                best_v[1, m], best_t[1, m] = pick(v, t, ((disk1 + paged) - less) + low1, disk_tag)
            lower(heads_k, most, less, ceiling, (first, end))
            first, end = next_run(flags, end)


@jit
def memory_only(best_v, best_t, rows, span, heads, bounds):
    """Offer every memory split to the buffer's cell (no disk), as ``both_places``; its
    bounds see a disk candidate that never wins (an infinite head)."""
    t_v, up_v, mem = rows[0], rows[2], heads[1]
    base, top = span[0], span[1]
    low_b, up_b, _, ceiling, flags = bounds
    for k in range(base + 1, top):
        head, tag, heads_k = mem[0, k], SPLIT_MEM * TAG + k, ((mem[0, k], np.inf),)
        least = (up_b[0, k], up_b[0, k], low_b[0, 0, base, k])
        most = (up_b[1, k], up_b[1, k], low_b[1, 0, base, k])
        may_take(heads_k, least, 0.0, ceiling, flags)
        first, end = next_run(flags, 0)
        while first < end:
            start, stop = first * BLOCK, min(best_v.shape[1], end * BLOCK)
            for i in range(stop - start):
                m = np.uint64(start + i)
                value = (head + up_v[k, m]) + t_v[0, base, k, m]
                best_v[0, m], best_t[0, m] = pick(best_v[0, m], best_t[0, m], value, tag)
            lower(heads_k, most, 0.0, ceiling, (first, end))
            first, end = next_run(flags, end)


@jit
def ops_of(m, tag, parts, steps):
    """The ops of the candidate ``tag`` names at free unit m; ``parts`` = (lower,
    upper, disk) ops by (k, m), the first candidate's lower part at k = ``steps[4]``."""
    low_o, up_o, disk_o = parts
    k, choice = tag & (TAG - 1), tag >> TAG_BITS
    if choice == SPLIT_MEM:
        return steps[1][k] + up_o[k, m] + low_o[k, m]
    if choice == SPLIT_DISK:
        return steps[2][k] + disk_o[k, m] + low_o[k, m]
    return steps[0] + low_o[steps[4], m]


@jit
def value_of(m, tag, parts, heads):
    """The value of the candidate ``tag`` names at free unit m (as ``ops_of``; ``heads``
    this place's: first, memory splits' and disk splits' by k, minus by k)."""
    low_v, up_v, disk_v = parts
    k, choice = tag & (TAG - 1), tag >> TAG_BITS
    if choice == SPLIT_MEM:
        return (heads[1][k] + up_v[k, m]) + low_v[k, m]
    if choice == SPLIT_DISK:
        return ((heads[2][k] + disk_v[k, m]) - heads[3][k]) + low_v[k, m]
    return heads[0] + low_v[heads[4], m]


@jit
def exact(m, values, ops, heads, steps, splits):
    """(value, tag, ops) at a tied unit: every candidate in tables.py's order, each
    taken only where strictly better (less value, or the same and fewer ops)."""
    tag = steps[3]
    value, count = value_of(m, tag, values, heads), ops_of(m, tag, ops, steps)
    for choice in range(SPLIT_MEM, splits[2] + 1):
        for k in range(splits[0], splits[1]):
            new_tag = choice * TAG + k
            new, new_ops = value_of(m, new_tag, values, heads), ops_of(m, new_tag, ops, steps)
            if (new < value) | ((new == value) & (new_ops < count)):
                value, tag, count = new, new_tag, new_ops
    return value, tag, count


@jit
def settle(best, values, ops, heads, steps, splits):
    """One place's cell once every candidate is offered: take each unit's ops from its
    winner's tag, or, where candidates tie, let ``exact`` pick the winner."""
    value, count, tags = best
    low_o, up_o, disk_o = ops
    first_ops, mem_ops, disk_ops = low_o[heads[4]], steps[1], steps[2]
    ties = 0
    for i in range(value.shape[0]):  # ops_of without branches: both sums are taken, one
        m, tag = np.uint64(i), tags[i]  # kept (the first's k is 0: row 0, read, dropped)
        k, choice = np.uint64(tag & (TAG - 1)), (tag & ~TIE) >> TAG_BITS
        upper = (mem_ops[k] + up_o[k, m]) if choice == SPLIT_MEM else (disk_ops[k] + disk_o[k, m])
        split = (choice == SPLIT_MEM) | (choice == SPLIT_DISK)
        count[m] = upper + low_o[k, m] if split else steps[0] + first_ops[m]
        ties |= tag
    if ties & TIE:
        for m in range(value.shape[0]):
            if tags[m] & TIE:
                value[m], tags[m], count[m] = exact(m, values, ops, heads, steps, splits)


@jit
def best_pair(best, rows, span, heads, steps, use_disk, bounds):
    """Both places' cells over ``span``: values, ops and tags in ``best``; ``bounds`` =
    the block bounds (least, largest) of the lower, upper and disk parts' rows, the
    cells' ceilings and a split's open blocks (bounds.py, ``kernel._bounds``)."""
    best_v, best_o, best_t = best
    t_v, t_o, up_v, up_o, disk_v, disk_o = rows
    base, top, first, disk_top = span
    low_b, ceiling, places = bounds[0], bounds[3], 2 if use_disk else 1
    for place in range(places):  # the first candidate: its parts are computed already
        row, head = t_v[place, base, first], heads[0][place]
        for m in range(best_v.shape[1]):
            best_v[place, m], best_t[place, m] = head + row[m], steps[3]
        for b in range(ceiling.shape[1]):  # the first candidate's upper bound
            ceiling[place, b] = head + low_b[1, place, base, first, b]
    if use_disk:
        both_places(best_v, best_t, rows, span, heads, bounds)
    else:
        memory_only(best_v, best_t, rows, span, heads, bounds)
    splits = (base + 1, top, SPLIT_DISK if use_disk else SPLIT_MEM)
    for place in range(places):
        values = (t_v[place, base], up_v, disk_v[DISK, :, disk_top])
        ops = (t_o[place, base], up_o, disk_o[DISK, :, disk_top])
        part = (heads[0][place], heads[1][place], heads[2][place], heads[3], first)
        cell = (best_v[place], best_o[place], best_t[place])
        settle(cell, values, ops, part, (steps[0], steps[1], steps[2], steps[3], first), splits)
