"""The tables of the byte DP: T over (place, base, top, free units), F over (place, base,
free units) with the top at L.

Filled as the recurrence in recurrence.py's docstring says. ``fill`` fills
them with ``kernel.py``'s compiled loops when numba is installed (the ``fast``
extra) and else with ``fill_t``/``fill_f`` here, numpy vectorised over the
free units m and, for splits, over the split point k. Both give the same
tables to the last bit (tests/test_byte_kernel.py).
"""

from __future__ import annotations

import sys

import numpy as np

from ...progress import report
from .layout import (
    BWD,
    DISK,
    FREE,
    FWD,
    LD,
    LM,
    MEM,
    NO_STORE,
    PEEL,
    SD,
    SM,
    SPLIT_DISK,
    SPLIT_MEM,
    Tables,
    charges,
)


def fill(
    prices: np.ndarray, size: np.ndarray, budget: int, use_disk: bool, objective: str
) -> tuple[Tables, Tables]:
    """(T, F): compiled where that pays, else with numpy; the same tables either way."""
    compiled = _compiled(len(size) - 1, budget)
    if compiled is not None:
        return compiled(prices, size, budget, use_disk, objective)
    t_tab = fill_t(prices, size, budget, use_disk)
    return t_tab, fill_f(t_tab, prices, size, use_disk, objective)


#: Candidates (splits × units × places × kinds) from which the compiled fill pays in a
#: fresh process: importing numba and loading its cached machine code take about 0.9 s,
#: what numpy takes for about 2·10⁷ candidates (L = 50 at 125 units).
COMPILED_FROM = 2 * 10**7


def _compiled(layers: int, budget: int):
    """``kernel.fill_tables`` where numba is installed (the ``fast`` extra) and either
    already loaded or worth loading for these tables; else None. (Without numba the
    kernel imports, as plain Python loops: far slower than numpy's fill.)"""
    if 4 * (layers + 1) ** 3 * (budget + 1) < 6 * COMPILED_FROM and "numba" not in sys.modules:
        return None
    from ..compiled import COMPILED

    if not COMPILED:
        return None
    from .kernel import fill_tables

    return fill_tables


def _best(values: np.ndarray, ops: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column of (K, M) candidates: least value, its fewest ops, and the row."""
    best = values.min(axis=0)
    row = np.where(values == best, ops, np.iinfo(ops.dtype).max).argmin(axis=0)
    columns = np.arange(values.shape[1])
    return best, ops[row, columns], row


def _shift_up(row: np.ndarray, by: int, fill: float | int) -> np.ndarray:
    """``row[m - by]`` for each m (``fill`` where m < by): an entry with ``by`` units used."""
    out = np.full_like(row, fill)
    if by < len(row):
        out[by:] = row[: len(row) - by]
    return out


def _shift_down(row: np.ndarray, by: int) -> np.ndarray:
    """``row[min(m + by, M)]`` for each m: an entry with ``by`` more units free."""
    index = np.minimum(np.arange(len(row)) + by, len(row) - 1)
    return row[index]


def fill_t(prices: np.ndarray, size: np.ndarray, budget: int, use_disk: bool) -> Tables:
    """T for every base s < top t, by top, then base downwards (see the docstring)."""
    layers = len(size) - 1
    t_tab = Tables(layers, budget)
    walk = np.concatenate([[0.0], np.cumsum(prices[FWD, 1:])])
    stored = prices[SM] + prices[FREE]
    sources = (MEM, DISK) if use_disk else (MEM,)
    for top in range(1, layers + 1):
        report("planning", top * (top - 1) // 2, layers * (layers + 1) // 2)  # ~ cells so far
        upper = np.full((layers + 1, budget + 1), np.inf)  # T[MEM, k, top, m - u(k)] - lm(k)
        upper_ops = np.zeros((layers + 1, budget + 1), dtype=np.int64)
        for base in range(top - 1, -1, -1):
            cells = {
                src: _cell(t_tab, prices, walk, stored, upper, upper_ops, src, base, top, use_disk)
                for src in sources
            }
            for src in sources:
                value, ops, choice, split = cells[src]
                key = (src, base, top)
                t_tab.value[key], t_tab.ops[key] = value, ops
                t_tab.choice[key], t_tab.split[key] = choice, split
            if use_disk:
                _rehome(t_tab, prices, stored, size, cells, base, top)
            if base >= 1:
                upper[base] = _shift_up(
                    t_tab.value[MEM, base, top] - prices[LM, base], size[base], np.inf
                )
                upper_ops[base] = _shift_up(t_tab.ops[MEM, base, top] - 1, size[base], 0)
    return t_tab


def _cell(t_tab, prices, walk, stored, upper, upper_ops, src, base, top, use_disk):
    """T°[src, base, top, :]: the best peel or split (no re-home), ties to fewer ops."""
    reload = prices[LM if src == MEM else LD, base]
    width = top - base
    if width == 1:
        value = np.full(t_tab.value.shape[-1], reload + prices[BWD, top])
        ops = np.full(value.shape, 2, dtype=np.int64)
    else:
        value = (
            reload + walk[top - 1] - walk[base] + prices[BWD, top] + t_tab.value[src, base, top - 1]
        )
        ops = width + 1 + t_tab.ops[src, base, top - 1]
    best = [
        value,
        ops,
        np.full(value.shape, PEEL, dtype=np.int8),
        np.zeros(value.shape, dtype=np.int16),
    ]
    if width == 1:
        return best
    splits = np.arange(base + 1, top)
    walked = (reload + walk[splits] - walk[base])[:, None]
    steps = (splits - base)[:, None]
    lower, lower_ops = t_tab.value[src, base, base + 1 : top], t_tab.ops[src, base, base + 1 : top]
    candidates = [
        (
            walked + stored[splits, None] + upper[base + 1 : top] + lower,
            steps + 3 + upper_ops[base + 1 : top] + lower_ops,
            SPLIT_MEM,
        )
    ]
    if use_disk:
        candidates.append(
            (
                walked
                + prices[SD, splits, None]
                + t_tab.value[DISK, base + 1 : top, top]
                - prices[LD, splits, None]
                + lower,
                steps + 2 + t_tab.ops[DISK, base + 1 : top, top] - 1 + lower_ops,
                SPLIT_DISK,
            )
        )
    for values, counts, choice in candidates:
        value, ops, row = _best(values, counts)
        _offer(best, value, ops, choice, row + base + 1)
    return best


def _offer(best: list, value: np.ndarray, ops: np.ndarray, choice: int, split) -> None:
    """Where (value, ops) beats ``best`` (less value, or equal with fewer ops), take it."""
    better = (value < best[0]) | ((value == best[0]) & (ops < best[1]))
    best[0] = np.where(better, value, best[0])
    best[1] = np.where(better, ops, best[1])
    best[2] = np.where(better, choice, best[2]).astype(np.int8)
    best[3] = np.where(better, split, best[3]).astype(np.int16)


def _rehome(t_tab, prices, stored, size, cells, base, top) -> None:
    """Offer moving the base to the other place first, read from the other T° entry."""
    freed = int(size[base]) if base > 0 else 0  # a0 stays in inputs: nothing to free
    moves = [
        (
            MEM,
            prices[LM, base]
            + prices[SD, base]
            - prices[LD, base]
            + _shift_down(cells[DISK][0], freed),
            1 + (base > 0) + _shift_down(cells[DISK][1], freed),
        )
    ]
    if base > 0:
        moves.append(
            (
                DISK,
                prices[LD, base]
                + stored[base]
                - prices[LM, base]
                + _shift_up(cells[MEM][0], int(size[base]), np.inf),
                2 + _shift_up(cells[MEM][1], int(size[base]), 0),
            )
        )
    for src, value, ops in moves:
        _offer_move(t_tab, (src, base, top), value, ops)


def _offer_move(table: Tables, key: tuple, value: np.ndarray, ops: np.ndarray) -> None:
    """Where re-homing first beats the entry (ties: fewer ops), record the move."""
    old_value, old_ops = table.value[key], table.ops[key]
    better = (value < old_value) | ((value == old_value) & (ops < old_ops))
    table.value[key] = np.where(better, value, old_value)
    table.ops[key] = np.where(better, ops, old_ops)
    table.moved[key] = better


def fill_f(t_tab, prices, size, use_disk, objective) -> Tables:
    """F (the forward phase's stores) for every base, the top fixed at L."""
    layers, budget = len(size) - 1, t_tab.value.shape[-1] - 1
    f_tab = Tables(layers, budget, tops=1)
    stored, paged = charges(prices, objective)
    upper = np.full((layers + 1, budget + 1), np.inf)
    upper_ops = np.zeros((layers + 1, budget + 1), dtype=np.int64)
    sources = (MEM, DISK) if use_disk else (MEM,)
    for base in range(layers - 1, -1, -1):
        for src in sources:
            best = [
                t_tab.value[src, base, layers],
                t_tab.ops[src, base, layers],
                np.full(budget + 1, NO_STORE, dtype=np.int8),
                np.zeros(budget + 1, dtype=np.int16),
            ]
            splits = np.arange(base + 1, layers)
            if splits.size:
                lower = t_tab.value[src, base, base + 1 : layers]
                lower_ops = t_tab.ops[src, base, base + 1 : layers]
                candidates = [
                    (
                        stored[splits, None] + upper[base + 1 : layers] + lower,
                        2 + upper_ops[base + 1 : layers] + lower_ops,
                        SPLIT_MEM,
                    )
                ]
                if use_disk:
                    candidates.append(
                        (
                            paged[splits, None] + f_tab.value[DISK, base + 1 : layers, 0] + lower,
                            1 + f_tab.ops[DISK, base + 1 : layers, 0] + lower_ops,
                            SPLIT_DISK,
                        )
                    )
                for values, counts, choice in candidates:
                    value, ops, row = _best(values, counts)
                    _offer(best, value, ops, choice, row + base + 1)
            key = (src, base, 0)
            f_tab.value[key], f_tab.ops[key], f_tab.choice[key], f_tab.split[key] = best
        if base == 0 and use_disk:  # the forward phase may page a0
            value, ops = paged[0] + f_tab.value[DISK, 0, 0], 1 + f_tab.ops[DISK, 0, 0]
            _offer_move(f_tab, (MEM, 0, 0), value, ops)
        if base >= 1:
            upper[base] = _shift_up(f_tab.value[MEM, base, 0], int(size[base]), np.inf)
            upper_ops[base] = _shift_up(f_tab.ops[MEM, base, 0], int(size[base]), 0)
    return f_tab
