"""The one-memory DP's table T over (place, record, base, top, free units), as
``__init__``'s docstring defines it (F, the forward phase's, is ``forward.py``'s);
each entry and its offers are ``entries.py``'s. Without numba the same loops run as
Python, and only small chains are planned (``MAX_CANDIDATES``).
"""

from __future__ import annotations

import numpy as np

from ..compiled import COMPILED, bare_jit, jit
from .entries import (
    BWD,
    DISK,
    DONE,
    FREE,
    FWD,
    LD,
    LM,
    MEM,
    PEEL,
    RECORDED_BWD,
    SD,
    SM,
    SPLIT_DISK,
    SPLIT_MEM,
    offer,
    offer_split,
    tag_of,
    untag,
)

__all__ = ["COMPILED", "DISK", "MEM", "PEEL", "SPLIT_MEM", "fill_t", "untag"]


@jit
def new_tables(layers, units, places):
    """T's (value, ops, tag, moved, floor), all infinite; index [place, record, base, top,
    m] (floor: [place, record, base, top]); the disk's entries only where it is used."""
    shape = (places, 2, layers + 1, layers + 1, units + 1)
    size = places * 2 * (layers + 1) ** 2 * (units + 1)
    # One block for the four columns (8 + 4 + 4 + 1 bytes an entry), as layout.Tables:
    # freed as four, the C allocator gave them back to the system and faulted them in
    # again on the next fill (a sixth of a fill's time at L = 25)
    block = np.empty(17 * size, np.uint8)
    value = block[: 8 * size].view(np.float64).reshape(shape)
    ops = block[8 * size : 12 * size].view(np.int32).reshape(shape)
    tags = block[12 * size : 16 * size].view(np.int32).reshape(shape)
    moved = block[16 * size :].view(np.bool_).reshape(shape)
    value[...], ops[...], tags[...], moved[...] = np.inf, 0, 0, False
    floor = np.full(shape[:-1], units + 1, np.int64)  # each row's first finite entry
    return value, ops, tags, moved, floor


@jit
def fill_terminals(t_tab, end, places):
    """Entries with nothing left to reverse (the top reached the base or the end): free,
    the base's free paid by the sweep that last used it (``last_use``)."""
    value, ops, tags, _, floor = t_tab
    layers = value.shape[2] - 1
    for base in range(layers + 1):
        for top in range(base, max(base, end) + 1):
            for src in range(places):
                value[src, 0, base, top, :] = 0.0
                ops[src, 0, base, top, :] = 0
                tags[src, 0, base, top, :] = tag_of(DONE, 0, 0, 0)
                floor[src, 0, base, top] = 0


@bare_jit
def set_floors(t_tab, base, top):
    """Each (place, record) entry's first finite m at (base, top)."""
    value, floor = t_tab[0], t_tab[4]
    for src in range(value.shape[0]):
        for record in range(2):
            row = value[src, record, base, top]
            first = row.shape[0]
            for m in range(row.shape[0]):
                if row[m] < np.inf:
                    first = m
                    break
            floor[src, record, base, top] = first


@bare_jit
def last_use(a, prices, src, base, end, final):
    """The ways a sweep from the base may treat it, (units gained, price, ops, freed)
    each, and how many there are: where the sweep is its ``final`` use, a buffered base
    is freed right after its load (what it held is free during the sweep), as it must
    be above the end; below it, the plan may also keep it to the end, not paying the
    free."""
    kept = (0, 0.0, 0, 0)
    if not (final and src == MEM and base > 0):
        return (kept, kept), 1
    return ((a[base], prices[FREE, base], 1, 1), kept), 1 if base > end else 2


@bare_jit
def fill_cell(t_tab, needs, prices, walk, end, places, src, record, base, top):
    """T°[src, record, base, top, :]: the best peel or split, the base not re-homed."""
    value, ops, tags, _, floor = t_tab
    a, saved, fneed, gneed, bneed, walkmax = needs
    best = (
        value[src, record, base, top],
        ops[src, record, base, top],
        tags[src, record, base, top],
    )
    nothing = (value[MEM, 0, 0, 0], ops[MEM, 0, 0, 0])  # the empty reversal: 0 at every m
    pending = gneed[top]
    load = a[base] + pending
    reload = prices[LM if src == MEM else LD, base]
    bwd = prices[RECORDED_BWD if record else BWD, top]
    bwd_need = bneed[top] + (0 if record else saved[top])
    back = saved[top] if record else 0
    for keep in range(2 if top - 1 > base and top - 1 > end else 1):
        forward = walkmax[base, top - 1 - keep]
        if keep:
            forward = max(forward, fneed[top - 1] + saved[top - 1])
        kept = saved[top - 1] if keep else 0
        lower = (value[src, keep, base, top - 1], ops[src, keep, base, top - 1])
        final = top - 1 <= max(base, end)
        variants, count = last_use(a, prices, src, base, end, final)
        for variant in range(count):
            gained, free, freeing, freed = variants[variant]
            need = max(load, forward + pending - gained, bwd_need + kept - gained)
            head = reload + free + (walk[top - 1] - walk[base]) + bwd
            offer(
                best,
                need,
                head,
                top - base + 1 + freeing,
                lower[0],
                lower[1],
                back - kept + gained,
                tag_of(PEEL, keep, 0, freed),
                nothing,
                floor[src, keep, base, top - 1],
            )
    for split in range(base + 1, top):
        walked = reload + (walk[split] - walk[base])
        for keep in range(2 if split > end else 1):
            kept = saved[split] if keep else 0
            forward = max(walkmax[base, split - 1], fneed[split] + kept) + pending
            low_v, low_o = value[src, keep, base, split], ops[src, keep, base, split]
            for place in range(places):
                buffered = a[split] if place == MEM else 0
                store, load_up = (SM, LM) if place == MEM else (SD, LD)
                choice = SPLIT_MEM if place == MEM else SPLIT_DISK
                variants, count = last_use(a, prices, src, base, end, split <= end)
                for variant in range(count):
                    gained, free, freeing, freed = variants[variant]
                    need = max(
                        load, forward - gained, a[split] + buffered + kept + pending - gained
                    )
                    head = walked + free + prices[store, split] - prices[load_up, split]
                    offer_split(
                        best,
                        need,
                        head,
                        split - base + 1 + freeing,
                        (
                            value[place, record, split, top],
                            ops[place, record, split, top],
                            gained - buffered - kept,
                        ),
                        (low_v, low_o, back - kept + gained),
                        tag_of(choice, keep, split, freed),
                        (floor[place, record, split, top], floor[src, keep, base, split]),
                    )


@jit
def fill_rehomes(t_tab, needs, prices, places, base, top):
    """Offer moving the base to the other place first (T°'s entries, read before any
    move is taken): buffer → disk frees its units, disk → buffer takes them."""
    if places < 2:
        return
    value, ops = t_tab[0], t_tab[1]
    units, pending = needs[0][base], needs[3][top]
    for record in range(2):
        on_disk = (value[DISK, record, base, top].copy(), ops[DISK, record, base, top].copy())
        in_memory = (value[MEM, record, base, top].copy(), ops[MEM, record, base, top].copy())
        to_disk = prices[LM, base] + prices[SD, base] - prices[LD, base]
        if base > 0:  # a0 lives in inputs: nothing to free
            to_disk += prices[FREE, base]
        freed = units if base > 0 else 0
        need = units + pending
        steps = 2 if base > 0 else 1  # loadmem, storedisk (, free), less the disk's load
        _move(t_tab, (MEM, record, base, top), need, to_disk, steps, on_disk, freed)
        if base > 0:
            to_memory = prices[LD, base] + prices[SM, base] - prices[LM, base]
            _move(t_tab, (DISK, record, base, top), need + units, to_memory, 1, in_memory, -units)


@jit
def _move(t_tab, key, need, head, steps, other, shift):
    """Take ``head + other[m + shift]`` where strictly better, marking the entry moved."""
    row_v, row_o, row_m = t_tab[0][key], t_tab[1][key], t_tab[3][key]
    other_v, other_o = other
    last = row_v.shape[0] - 1
    for m in range(max(need, 0), last + 1):
        index = min(m + shift, last)
        if index < 0:
            continue
        v, o = head + other_v[index], steps + other_o[index]
        if v < row_v[m] or (v == row_v[m] and o < row_o[m]):
            row_v[m], row_o[m], row_m[m] = v, o, True


def _move_sliced(t_tab, key, need, head, steps, other, shift):
    """``_move`` in numpy, for Python without numba: the same sums and choices."""
    row_v, row_o, row_m = t_tab[0][key], t_tab[1][key], t_tab[3][key]
    last = row_v.shape[0] - 1
    m = np.arange(max(need, 0, -shift), last + 1)  # below -shift the index would be < 0
    index = np.minimum(m + shift, last)
    v, o = head + other[0][index], steps + other[1][index]
    better = (v < row_v[m]) | ((v == row_v[m]) & (o < row_o[m]))
    row_v[m[better]], row_o[m[better]], row_m[m[better]] = v[better], o[better], True


@jit
def fill_t(needs, prices, end, use_disk, units):
    """T for every top above the end, base downwards from the top."""
    a = needs[0]
    layers = a.shape[0] - 1
    places = 2 if use_disk else 1
    t_tab = new_tables(layers, units, places)
    walk = np.zeros(layers + 1)
    for layer in range(1, layers + 1):
        walk[layer] = walk[layer - 1] + prices[FWD, layer]
    fill_terminals(t_tab, end, places)
    for top in range(end + 1, layers + 1):
        for base in range(top - 1, -1, -1):
            for src in range(places):
                for record in range(2):
                    fill_cell(t_tab, needs, prices, walk, end, places, src, record, base, top)
            fill_rehomes(t_tab, needs, prices, places, base, top)
            set_floors(t_tab, base, top)
    return t_tab


if not COMPILED:  # fill_rehomes, plain Python then, finds this one
    _move = _move_sliced
