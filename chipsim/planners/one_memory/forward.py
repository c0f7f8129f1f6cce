"""The one-memory DP's table F over (place, base, free units): the forward sweep on from
a(base), where it stores and records, then T for the backward phase (``__init__``)."""

from __future__ import annotations

import numpy as np

from ..compiled import jit
from .entries import DISK, MEM, PEEL, SD, SM, SPLIT_DISK, SPLIT_MEM, offer, offer_split, tag_of


@jit
def fill_f(t_tab, needs, prices, end, use_disk, total):
    """F: the forward sweep from a(base) in registers, its stores and records, then the
    whole backward phase; index [place, base, m]. Stores are priced when ``total``."""
    a, saved, fneed, _, _, walkmax = needs
    t_value, t_ops = t_tab[0], t_tab[1]
    layers, units = a.shape[0] - 1, t_value.shape[-1] - 1
    places = 2 if use_disk else 1
    charged = 1.0 if total else 0.0
    shape = (places, layers + 1, units + 1)
    f_tab = (
        np.full(shape, np.inf),
        np.zeros(shape, np.int32),
        np.zeros(shape, np.int32),
        np.zeros(shape, np.bool_),
    )
    nothing = (t_value[MEM, 0, 0, 0], t_ops[MEM, 0, 0, 0])  # the empty reversal: 0 at every m
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
                    nothing,
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
                            (f_tab[0][place, split], f_tab[1][place, split], -buffered - kept),
                            (t_value[src, keep, base, split], t_ops[src, keep, base, split], -kept),
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
