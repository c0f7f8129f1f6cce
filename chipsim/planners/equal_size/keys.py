"""The tables of optimal_slots.py on exact integer keys: bitwise slots_floats.py's, faster.

When every cost is a dyadic rational (whole ns, or whole multiples of 2^-k ns)
and the chain is short enough, every table value is a whole number of 2^-k
units below 2^53: the float fill never rounds, so any order of additions gives
its values, ties and choices. Then (latency, ops), compared latency first, is
one int64, key = latency·2^shift + ops, as long as ops < 2^shift; and the key
of a sum is the sum of the keys. Each split kind becomes one add of parts
kept per entry and one argmin over the candidates in the order the float fill
offers them (its first minimum: the smallest j among equal keys), instead of
about ten array passes for values, op counts and the tie-break.

Why nothing rounds, carries or overflows. By induction on n, every
candidate for a T entry (and so the entry) has at most 4n² ops: peel adds n+3
(with a re-home) to an entry of size n-1, a split adds j+5 to entries of sizes
n-j and j, largest at j = 1 or n-1; for an F entry, 4n²+4. So ops < 2^shift
with shift = bit_length(4L²+4). Every entry is at most its peel-only plan,
P(L) = L·(ℓ+b) + L(L-1)/2·f, and a candidate, or any partial sum the float
fill forms on the way, at most two entries plus one sweep's costs
(``largest_candidate``): below 2^53 units, so floats hold it exactly, and
shifted below 2^62, so sums of two keys fit an int64. ``Keys.of`` is None when
a bound fails (or a cost is not finite), and the float fill runs instead. The
tests check both fills give bitwise equal tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import isfinite

import numpy as np

from ...progress import report
from .schedule import DISK, MEM, Choice, Schedule
from .slot_costs import SlotCosts

_NONE = np.iinfo(np.int64).max  # no candidate (and entries never filled)
_KEY_LIMIT = 2**62  # keys stay below this; their sums of two below 2**63
_EXACT_LIMIT = 2**53  # latencies (in units) below this are exact floats


@dataclass(frozen=True)
class Keys:
    """The costs in whole units of 2^-``scale_bits`` ns, and the keys' op-count bits.

    The cost fields keep the recurrence's short names (f, b, m, sm, d, sd; see
    optimal_slots.py); every latency here is in those units, not ns.
    """

    f: int
    b: int
    m: int
    sm: int
    d: int
    sd: int
    f_sm: int
    f_sd: int
    scale_bits: int
    shift: int

    @classmethod
    def of(cls, costs: SlotCosts, layers: int) -> Keys | None:
        """The exact keys of ``costs`` for ``layers`` layers, or None when they would not fit."""
        values = [getattr(costs, name) for name in ("f", "b", "m", "sm", "d", "sd", "f_sm", "f_sd")]
        if not all(isfinite(value) for value in values):
            return None
        ratios = [Fraction(value) for value in values]  # a float's denominator: a power of 2
        scale_bits = max(ratio.denominator.bit_length() - 1 for ratio in ratios)
        if scale_bits > 60:
            return None
        whole = [int(ratio * 2**scale_bits) for ratio in ratios]
        keys = cls(*whole, scale_bits, (4 * layers**2 + 4).bit_length())
        largest = keys.largest_candidate(layers, costs.use_disk)
        return keys if largest < _EXACT_LIMIT and largest << keys.shift < _KEY_LIMIT else None

    def largest_candidate(self, layers: int, use_disk: bool) -> int:
        """A bound on any candidate's latency: two peel-only plans and one sweep's costs."""
        reload = max(self.m, self.d) if use_disk else self.m
        peel = layers * (reload + self.b) + layers * (layers - 1) // 2 * self.f
        return 2 * peel + reload + layers * self.f + self.sm + self.sd + self.f_sm + self.f_sd

    def key(self, latency_units: int) -> np.int64:
        """The key of a latency with no ops."""
        return np.int64(latency_units << self.shift)

    def latency_ns(self, keys: np.ndarray) -> np.ndarray:
        """The latencies (float ns) of ``keys``; inf where no entry was filled."""
        values = (keys >> self.shift).astype(float) / 2**self.scale_bits
        return np.where(keys == _NONE, np.inf, values)


def fill(layers: int, slots: int, costs: SlotCosts, keys: Keys, objective: str) -> Schedule:
    """The tables of slots_floats.fill, by exact keys: bitwise the same Schedule."""
    tables = _Fill(layers, slots, costs, keys)
    for n in range(1, layers + 1):
        tables.fill_t(n)
        tables.fill_f(n)
        report("planning", n, layers)
    t, F = tables.t, tables.F
    value = float(keys.latency_ns(F.key[MEM, slots, layers]))
    if objective == "total":
        value += costs.m + layers * costs.f
    t_value, f_value = keys.latency_ns(t.key), keys.latency_ns(F.key)
    return Schedule(layers, slots, value, t.choice, t.split, F.choice, F.split, t_value, f_value)


class _Fill:
    """The T and F key tables being filled, size by size, and the parts their splits read."""

    def __init__(self, layers: int, slots: int, costs: SlotCosts, keys: Keys) -> None:
        self.costs, self.keys = costs, keys
        self.t = _KeyTable(slots, layers, Choice.PEEL)
        self.F = _KeyTable(slots, layers, Choice.NO_STORE)
        self.t_uppers, self.f_uppers = _Uppers(slots, layers, costs), _Uppers(slots, layers, costs)
        # Each T entry as the lower part of a split: + ℓ + j·f, and j ops.
        self.lowers = np.zeros((costs.count, slots + 1, layers + 1), dtype=np.int64)
        self.candidates = _Candidates(slots, layers, costs)

    def fill_t(self, n: int) -> None:
        """T[:, :, n]: peel, keep or page a split, re-home (as slots_floats._fill_t)."""
        t, keys, src = self.t, self.keys, self.costs.rows
        reloads = [keys.m, keys.d][: self.costs.count]
        peel = np.array([[keys.key(ell + (n - 1) * keys.f + keys.b)] for ell in reloads])
        below = 2 if n == 1 else (n + 1) + t.key[src, :, n - 1]
        self.candidates.offer(n, peel + below, self.t_uppers, self.lowers)
        self.candidates.pick(t, src, n, Choice.PEEL)
        self._rehome(t, n, keys.m + keys.sd - keys.d, keys.d + keys.sm - keys.m)
        walks = np.array([[keys.key(ell + n * keys.f) + n] for ell in reloads])
        self.lowers[:, :, n] = t.key[src, :, n] + walks
        self.t_uppers.record(t, n, keys.key(keys.sm - keys.m) + 3, keys.key(keys.sd - keys.d) + 2)

    def fill_f(self, n: int) -> None:
        """F[:, :, n]: store nothing, or a forward-phase store and the rest above it."""
        t, F, keys, src = self.t, self.F, self.keys, self.costs.rows
        self.candidates.offer(n, t.key[src, :, n], self.f_uppers, t.key[src])
        self.candidates.pick(F, src, n, Choice.NO_STORE)
        self._rehome(F, n, keys.f_sd, keys.f_sm)
        self.f_uppers.record(F, n, keys.key(keys.f_sm) + 2, keys.key(keys.f_sd) + 1)

    def _rehome(self, table: _KeyTable, n: int, paged_units: int, kept_units: int) -> None:
        """Offer moving the base towards the cheaper place: paging it (1 op) or keeping it (2)."""
        keys, use_disk = self.keys, self.costs.use_disk
        if use_disk and keys.d < keys.m:
            paged = table.key[DISK, :, n] + keys.key(paged_units) + 1
            table.offer((MEM, slice(None), n), paged, Choice.REHOME_DISK)
        elif use_disk and keys.m < keys.d:
            kept = table.key[MEM, :-1, n] + keys.key(kept_units) + 2
            table.offer((DISK, slice(1, None), n), kept, Choice.REHOME_MEM)


class _KeyTable:
    """Per [src, c, n]: the least key, and the choice and split achieving it."""

    def __init__(self, slots: int, layers: int, untouched: int) -> None:
        shape = (2, slots + 1, layers + 1)
        self.key = np.full(shape, _NONE, dtype=np.int64)
        self.choice = np.full(shape, untouched, dtype=np.int8)
        self.split = np.zeros(shape, dtype=np.int32)

    def offer(self, where: tuple, candidate: np.ndarray, choice: int) -> None:
        """Take each candidate strictly below its entry's key (a re-home: split 0)."""
        better = candidate < self.key[where]
        np.copyto(self.key[where], candidate, where=better)
        np.copyto(self.choice[where], choice, where=better)
        np.copyto(self.split[where], 0, where=better)


class _Uppers:
    """A table's entries as the upper part of a split: its key plus the split's own
    costs, kept reversed (column L-k for size k) so that sizes n-1..1 are one slice."""

    def __init__(self, slots: int, layers: int, costs: SlotCosts) -> None:
        self.layers = layers
        self.keep = np.zeros((slots + 1, layers + 1), dtype=np.int64)  # base kept in a slot
        self.page = np.zeros_like(self.keep) if costs.use_disk else None  # base paged

    def record(self, table: _KeyTable, n: int, keep: np.int64, page: np.int64) -> None:
        column = self.layers - n
        self.keep[:, column] = table.key[MEM, :, n] + keep
        if self.page is not None:
            self.page[:, column] = table.key[DISK, :, n] + page

    def sizes_below(self, n: int) -> slice:
        """The columns of sizes n-1, ..., 1."""
        return slice(self.layers - n + 1, self.layers)


class _Candidates:
    """Size n's candidates side by side, in the float fill's order of offers:
    [base choice, keep j = 1..n-1, page j = 1..n-1], per [src, c]."""

    def __init__(self, slots: int, layers: int, costs: SlotCosts) -> None:
        self.cells = np.empty((costs.count, slots + 1, 2 * layers), dtype=np.int64)
        self.kinds = 2 if costs.use_disk else 1  # split kinds: keep, and page with a disk

    def offer(self, n: int, base: np.ndarray, uppers: _Uppers, lowers: np.ndarray) -> None:
        """Write the base choice and each split's upper part plus its lower part."""
        cells, above = self.cells, uppers.sizes_below(n)
        cells[:, :, 0] = base
        cells[:, 0, 1:n] = _NONE  # no slot to keep an activation in at c = 0
        np.add(uppers.keep[:-1, above], lowers[:, 1:, 1:n], out=cells[:, 1:, 1:n])
        if uppers.page is not None:
            np.add(uppers.page[:, above], lowers[:, :, 1:n], out=cells[:, :, n : 2 * n - 1])

    def pick(self, table: _KeyTable, src: slice, n: int, base: int) -> None:
        """Store each [src, c]'s first least candidate, and the choice and split it means."""
        cells = self.cells[:, :, : 1 + (n - 1) * self.kinds]
        first = cells.argmin(axis=2)
        table.key[src, :, n] = np.take_along_axis(cells, first[..., None], axis=2)[..., 0]
        kept, paged = (first >= 1) & (first < n), first >= n
        table.choice[src, :, n] = np.where(
            paged, Choice.SPLIT_DISK, np.where(kept, Choice.SPLIT_MEM, base)
        )
        table.split[src, :, n] = np.where(paged, first - n + 1, first)
