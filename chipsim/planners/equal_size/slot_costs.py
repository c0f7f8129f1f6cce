"""What the equal-size recurrence reads: one op latency per kind, and which sources it
may use. Both fills (floats.py, keys.py) and the recurrence read it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model.chip import ChipConfig


@dataclass(frozen=True)
class SlotCosts:
    """The latencies the recurrence reads (floats), and which sources it may use:
    what both fills read."""

    f: float
    b: float
    m: float
    sm: float
    d: float
    sd: float
    f_sm: float  # forward-phase stores: charged only when the objective counts that phase
    f_sd: float
    use_disk: bool

    @classmethod
    def of(cls, chip: ChipConfig, objective: str, use_disk: bool) -> SlotCosts:
        sm, sd = float(chip.storemem_ns), float(chip.storedisk_ns)
        charged = objective == "total"
        return cls(
            float(chip.fwd_ns),
            float(chip.bwd_ns),
            float(chip.loadmem_ns),
            sm,
            float(chip.loaddisk_ns),
            sd,
            sm if charged else 0.0,
            sd if charged else 0.0,
            use_disk,
        )

    @property
    def count(self) -> int:
        """How many sources the tables use: the buffer, and the disk when allowed."""
        return 2 if self.use_disk else 1

    @property
    def rows(self) -> slice:
        """The tables' source rows in use."""
        return slice(0, self.count)

    @property
    def reloads(self) -> np.ndarray:
        """Each source's reload latency ℓ, as a column (one row per source)."""
        return np.array([[self.m], [self.d]])[: self.count]
