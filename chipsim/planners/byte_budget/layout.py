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

    def __init__(self, layers: int, units: int, tops: int | None = None) -> None:
        shape = (2, layers + 1, layers + 1 if tops is None else tops, units + 1)
        self.value = np.full(shape, np.inf)
        self.ops = np.zeros(shape, dtype=np.int64)
        self.choice = np.zeros(shape, dtype=np.int8)  # without the re-home
        self.split = np.zeros(shape, dtype=np.int16)
        self.moved = np.zeros(shape, dtype=bool)  # the entry re-homes its base first

    def columns(self) -> tuple[np.ndarray, ...]:
        return self.value, self.ops, self.choice, self.split, self.moved


def charges(prices: np.ndarray, objective: str) -> tuple[np.ndarray, np.ndarray]:
    """What F's memory and disk stores cost: their price only when the objective counts the
    forward phase, and a memory store's free (paid in the backward phase) always."""
    charged = 1.0 if objective == "total" else 0.0
    return charged * prices[SM] + prices[FREE], charged * prices[SD]
