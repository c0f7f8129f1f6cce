"""One (base, top) step of the compiled fill: the cells of both places at once, for T and F.

A cell's candidates are its first (T's peel, F's "no store"), then a memory split
and a disk split at each k; tables.py takes, per free unit m, the least value,
ties to fewer ops, then to the first offered. That is the least
(value, ops, offer order), whatever order candidates are looked at in, so here
one pass over m per k offers all four splits that read T[., k, top] (two places
× two kinds), each of those rows read once, and keeps only the least value and
its tag (choice · TAG + k), with a TIE bit where two candidates reach it. Only
at tied units are the ops compared (``exact``, in tables.py's order); elsewhere
the winner's ops are read back from its tag (``ops_of``).

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

from numba import njit

from .layout import DISK, SPLIT_DISK, SPLIT_MEM

TAG = 1 << 16  # splits are int16, so choice * TAG + split keeps both
TIE = 1 << 40  # another candidate reaches the same least value
jit = njit(cache=True, boundscheck=False, nogil=True)


@jit
def pick(value, tag, candidate, candidate_tag):
    """The least value so far and its tag, TIE-marked when ``candidate`` equals it."""
    less = candidate < value
    marked = tag | TIE if candidate == value else tag
    return (candidate if less else value), (candidate_tag if less else marked)


@jit
def both_places(best_v, best_t, rows, span, heads, k):
    """Offer the memory and disk splits at k to both places' cells."""
    t_v, _, up_v, _, disk_v, _ = rows
    base, _, _, disk_top = span
    _, mem, disk, minus = heads
    low0, low1, up, less = t_v[0, base, k], t_v[1, base, k], up_v[k], minus[k]
    paged = disk_v[DISK, k, disk_top]
    mem0, mem1, disk0, disk1 = mem[0, k], mem[1, k], disk[0, k], disk[1, k]
    mem_tag, disk_tag = SPLIT_MEM * TAG + k, SPLIT_DISK * TAG + k
    value0, tag0, value1, tag1 = best_v[0], best_t[0], best_v[1], best_t[1]
    for m in range(up.shape[0]):
        v, t = pick(value0[m], tag0[m], (mem0 + up[m]) + low0[m], mem_tag)
        value0[m], tag0[m] = pick(v, t, ((disk0 + paged[m]) - less) + low0[m], disk_tag)
        v, t = pick(value1[m], tag1[m], (mem1 + up[m]) + low1[m], mem_tag)
        value1[m], tag1[m] = pick(v, t, ((disk1 + paged[m]) - less) + low1[m], disk_tag)


@jit
def memory_only(best_v, best_t, rows, span, heads, k):
    """Offer the memory split at k to the buffer's cell (no disk)."""
    low, up, head, tag = rows[0][0, span[0], k], rows[2][k], heads[1][0, k], SPLIT_MEM * TAG + k
    value, tags = best_v[0], best_t[0]
    for m in range(up.shape[0]):
        value[m], tags[m] = pick(value[m], tags[m], (head + up[m]) + low[m], tag)


@jit
def ops_of(place, m, tag, rows, span, steps):
    """The ops of the candidate ``tag`` names, at free unit m."""
    t_o, up_o, disk_o = rows[1], rows[3], rows[5]
    base, _, first, disk_top = span
    k = tag % TAG
    if tag == steps[3]:
        return steps[0] + t_o[place, base, first, m]
    if tag // TAG == SPLIT_MEM:
        return steps[1][k] + up_o[k, m] + t_o[place, base, k, m]
    return steps[2][k] + disk_o[DISK, k, disk_top, m] + t_o[place, base, k, m]


@jit
def value_of(place, m, tag, rows, span, heads):
    """The value of the candidate ``tag`` names, at free unit m."""
    t_v, up_v, disk_v = rows[0], rows[2], rows[4]
    base, _, first, disk_top = span
    k = tag % TAG
    if tag // TAG == SPLIT_MEM:
        return (heads[1][place, k] + up_v[k, m]) + t_v[place, base, k, m]
    if tag // TAG == SPLIT_DISK:
        paged = heads[2][place, k] + disk_v[DISK, k, disk_top, m]
        return (paged - heads[3][k]) + t_v[place, base, k, m]
    return heads[0][place] + t_v[place, base, first, m]


@jit
def exact(place, m, rows, span, heads, steps, use_disk):
    """(value, tag, ops) at a tied unit: every candidate in tables.py's order, each
    taken only where strictly better (less value, or the same and fewer ops)."""
    base, top = span[0], span[1]
    tag = steps[3]
    value = value_of(place, m, tag, rows, span, heads)
    ops = ops_of(place, m, tag, rows, span, steps)
    for choice in range(SPLIT_MEM, SPLIT_DISK + 1 if use_disk else SPLIT_MEM + 1):
        for k in range(base + 1, top):
            new_tag = choice * TAG + k
            new = value_of(place, m, new_tag, rows, span, heads)
            new_ops = ops_of(place, m, new_tag, rows, span, steps)
            if (new < value) | ((new == value) & (new_ops < ops)):
                value, tag, ops = new, new_tag, new_ops
    return value, tag, ops


@jit
def best_pair(best, rows, span, heads, steps, use_disk):
    """Both places' cells over ``span``: values, ops and tags in ``best``."""
    best_v, best_o, best_t = best
    base, top, first, _ = span
    places = 2 if use_disk else 1
    for place in range(places):
        row = rows[0][place, base, first]
        for m in range(best_v.shape[1]):
            best_v[place, m] = heads[0][place] + row[m]
            best_t[place, m] = steps[3]
    for k in range(base + 1, top):
        if use_disk:
            both_places(best_v, best_t, rows, span, heads, k)
        else:
            memory_only(best_v, best_t, rows, span, heads, k)
    for place in range(places):
        for m in range(best_v.shape[1]):
            tag = best_t[place, m]
            if tag & TIE:
                best_v[place, m], tag, best_o[place, m] = exact(
                    place, m, rows, span, heads, steps, use_disk
                )
                best_t[place, m] = tag
            else:
                best_o[place, m] = ops_of(place, m, tag, rows, span, steps)
