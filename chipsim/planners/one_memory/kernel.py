"""The one-memory DP's fill: T over (place, record, base, top, free units) and F over
(place, base, free units), as ``__init__``'s docstring defines them.

Plain loops over the free units m, compiled by numba where it is installed (the
``fast`` extra) and run as Python elsewhere: one source, so both give the same
tables to the bit; without numba only small chains are planned
(``MAX_PYTHON_CANDIDATES``). Each entry keeps its least cost, its op count (ties
go to fewer ops) and a tag saying how: ``split · 16 + freed · 8 + choice · 2 + record``
(freed: the sweep is the base's last use, and frees it right after loading it).
"""

from __future__ import annotations

import numpy as np

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


@jit
def new_tables(layers, units):
    """T's (value, ops, tag, moved, floor), all infinite; index [place, record, base, top,
    m] (floor: [place, record, base, top])."""
    shape = (2, 2, layers + 1, layers + 1, units + 1)
    return (
        np.full(shape, np.inf),
        np.zeros(shape, np.int32),
        np.zeros(shape, np.int32),
        np.zeros(shape, np.bool_),
        np.full(shape[:-1], units + 1, np.int64),  # each row's first finite entry
    )


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


@jit
def set_floors(t_tab, base, top):
    """Each (place, record) entry's first finite m at (base, top)."""
    value, floor = t_tab[0], t_tab[4]
    for src in range(2):
        for record in range(2):
            row = value[src, record, base, top]
            first = row.shape[0]
            for m in range(row.shape[0]):
                if row[m] < np.inf:
                    first = m
                    break
            floor[src, record, base, top] = first


@jit
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


@jit
def fill_cell(t_tab, needs, prices, walk, end, places, src, record, base, top):
    """T°[src, record, base, top, :]: the best peel or split, the base not re-homed."""
    value, ops, tags, _, floor = t_tab
    a, saved, fneed, gneed, bneed, walkmax = needs
    best = (
        value[src, record, base, top],
        ops[src, record, base, top],
        tags[src, record, base, top],
    )
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
                        value[place, record, split, top],
                        ops[place, record, split, top],
                        gained - buffered - kept,
                        low_v,
                        low_o,
                        back - kept + gained,
                        tag_of(choice, keep, split, freed),
                        (floor[place, record, split, top], floor[src, keep, base, split]),
                    )


@jit
def fill_rehomes(t_tab, needs, prices, src_count, base, top):
    """Offer moving the base to the other place first (T°'s entries, read before any
    move is taken): buffer → disk frees its units, disk → buffer takes them."""
    value, ops = t_tab[0], t_tab[1]
    a, gneed = needs[0], needs[3]
    if src_count < 2:
        return
    freed = a[base] if base > 0 else 0
    for record in range(2):
        to_disk_v = value[DISK, record, base, top].copy()
        to_disk_o = ops[DISK, record, base, top].copy()
        to_mem_v = value[MEM, record, base, top].copy()
        to_mem_o = ops[MEM, record, base, top].copy()
        head = prices[LM, base] + prices[SD, base] - prices[LD, base]
        if base > 0:
            head += prices[FREE, base]
        _move(
            t_tab,
            MEM,
            record,
            base,
            top,
            a[base] + gneed[top],
            head,
            1 + (base > 0),
            to_disk_v,
            to_disk_o,
            freed,
        )
        if base > 0:
            head = prices[LD, base] + prices[SM, base] - prices[LM, base]
            _move(
                t_tab,
                DISK,
                record,
                base,
                top,
                2 * a[base] + gneed[top],
                head,
                1,
                to_mem_v,
                to_mem_o,
                -a[base],
            )


@jit
def _move(t_tab, src, record, base, top, need, head, steps, other_v, other_o, shift):
    value, ops, moved = t_tab[0], t_tab[1], t_tab[3]
    key = (src, record, base, top)
    row_v, row_o, row_m = value[key], ops[key], moved[key]
    last = row_v.shape[0] - 1
    for m in range(max(need, 0), last + 1):
        other = min(m + shift, last)
        if other < 0:
            continue
        v, o = head + other_v[other], steps + other_o[other]
        if v < row_v[m] or (v == row_v[m] and o < row_o[m]):
            row_v[m], row_o[m], row_m[m] = v, o, True


@jit
def fill_t(needs, prices, end, use_disk, units):
    """T for every top above the end, base downwards from the top."""
    a = needs[0]
    layers = a.shape[0] - 1
    places = 2 if use_disk else 1
    t_tab = new_tables(layers, units)
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


@jit
def fill_f(t_tab, needs, prices, end, use_disk, total):
    """F: the forward sweep from a(base) in registers, its stores and records, then the
    whole backward phase; index [place, base, m]. Stores are priced when ``total``."""
    a, saved, fneed, _, _, walkmax = needs
    t_value, t_ops = t_tab[0], t_tab[1]
    layers, units = a.shape[0] - 1, t_value.shape[-1] - 1
    places = 2 if use_disk else 1
    charged = 1.0 if total else 0.0
    shape = (2, layers + 1, units + 1)
    f_tab = (
        np.full(shape, np.inf),
        np.zeros(shape, np.int32),
        np.zeros(shape, np.int32),
        np.zeros(shape, np.bool_),
    )
    for base in range(layers - 1, -1, -1):
        for src in range(places):
            best = (f_tab[0][src, base], f_tab[1][src, base], f_tab[2][src, base])
            for keep in range(2 if layers > end else 1):
                kept = saved[layers] if keep else 0
                need = max(walkmax[base, layers - 1], fneed[layers] + kept)
                offer(
                    best,
                    need,
                    0.0,
                    0,
                    t_value[src, keep, base, layers],
                    t_ops[src, keep, base, layers],
                    -kept,
                    tag_of(PEEL, keep, 0),
                )
            for split in range(base + 1, layers):
                for keep in range(2 if split > end else 1):
                    kept = saved[split] if keep else 0
                    forward = max(walkmax[base, split - 1], fneed[split] + kept)
                    for place in range(places):
                        buffered = a[split] if place == MEM else 0
                        need = max(forward, a[split] + buffered + kept)
                        head = charged * prices[SM if place == MEM else SD, split]
                        choice = SPLIT_MEM if place == MEM else SPLIT_DISK
                        offer_split(
                            best,
                            need,
                            head,
                            1,
                            f_tab[0][place, split],
                            f_tab[1][place, split],
                            -buffered - kept,
                            t_value[src, keep, base, split],
                            t_ops[src, keep, base, split],
                            -kept,
                            tag_of(choice, keep, split),
                        )
        if base == 0 and use_disk:  # the forward phase may page a0
            _page_input(f_tab, a, charged * prices[SD, 0])
    return f_tab


@jit
def _page_input(f_tab, a, head):
    value, ops, _, moved = f_tab
    for m in range(a[0], value.shape[-1]):
        v, o = head + value[DISK, 0, m], 1 + ops[DISK, 0, m]
        if v < value[MEM, 0, m] or (v == value[MEM, 0, m] and o < ops[MEM, 0, m]):
            value[MEM, 0, m], ops[MEM, 0, m], moved[MEM, 0, m] = v, o, True
