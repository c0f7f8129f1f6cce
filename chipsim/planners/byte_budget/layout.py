"""The byte DP's tables: what they index and hold, shared by both fills (``tables.py``
with numpy, ``kernel.py`` compiled)."""

from __future__ import annotations

import numpy as np

from ...model.ops import KIND_CODE, OP_KINDS

MEM, DISK = 0, 1
PEEL, SPLIT_MEM, SPLIT_DISK, NO_STORE = range(4)
FWD, BWD, SM, LM, SD, LD, FREE = (KIND_CODE[kind] for kind in OP_KINDS)


class Tables:
    """Least cost (ties: fewest ops) and the choice achieving it, per [src, s, t, m].

    F's tables have one top (``tops=1``), L's: index them with t = 0.
    """

    def __init__(
        self, layers: int, units: int, tops: int | None = None, blank: bool = True
    ) -> None:
        shape = (2, layers + 1, layers + 1 if tops is None else tops, units + 1)
        # ops in int32, a fifth less to write and read: a plan's ops, a few L² at most,
        # stay below 2³¹ for any L whose tables fit in memory (L = 20,000 needs 25 GB
        # at one unit; ``chipsim run`` refuses L³·M/6 > 2·10⁸, so L < 1100).
        kinds = (np.float64, np.int32, np.int8, np.int16, np.bool_)
        size = int(np.prod(shape))
        # One block for all five: the allocator maps and reuses one large block at far
        # less cost than five. ``blank=False`` leaves it unset, for a fill that writes
        # every entry (kernel.py).
        block = (np.zeros if blank else np.empty)(size * sum(map(_itemsize, kinds)), np.uint8)
        columns, start = [], 0
        for kind in kinds:
            columns.append(block[start : start + size * _itemsize(kind)].view(kind).reshape(shape))
            start += size * _itemsize(kind)
        self.value, self.ops, self.choice, self.split, self.moved = columns
        if blank:
            self.value[...] = np.inf
        # choice: without the re-home; moved: the entry re-homes its base first

    def columns(self) -> tuple[np.ndarray, ...]:
        return self.value, self.ops, self.choice, self.split, self.moved


def _itemsize(kind: type) -> int:
    return np.dtype(kind).itemsize


def charges(prices: np.ndarray, objective: str) -> tuple[np.ndarray, np.ndarray]:
    """What F's memory and disk stores cost: their price only when the objective counts the
    forward phase, and a memory store's free (paid in the backward phase) always."""
    charged = 1.0 if objective == "total" else 0.0
    return charged * prices[SM] + prices[FREE], charged * prices[SD]
