"""Traces: one row per executed op, kept as columns, read as a pandas DataFrame."""

from __future__ import annotations

import os

import pandas as pd

from .files import write_atomically
from .ops import OP_KINDS, PORTS, zero_counts
from .plan import PHASES

COLUMNS: tuple[str, ...] = (
    "phase",
    "op",
    "layer",
    "resource",
    "start_ns",
    "end_ns",
    "buffer_slots_used",
)


class Trace:
    """Rows appended by the engine as ops finish; summaries computed from them.

    ``buffer_slots_used`` is the buffer occupancy right after the op. A phase's
    latency runs from the end of the previous phase (0 for the first) to the
    end of its last op.
    """

    def __init__(self) -> None:
        self._columns: dict[str, list] = {name: [] for name in COLUMNS}
        self._phase_bounds_ns: dict[str, tuple[int | float, int | float]] = {}

    def __len__(self) -> int:
        return len(self._columns["op"])

    def record(
        self,
        phase: str,
        op: str,
        layer: int,
        resource: str,
        start_ns: int | float,
        end_ns: int | float,
        buffer_slots_used: int,
    ) -> None:
        row = (phase, op, layer, resource, start_ns, end_ns, buffer_slots_used)
        for name, value in zip(COLUMNS, row, strict=True):
            self._columns[name].append(value)

    def close_phase(self, phase: str, start_ns: int | float, end_ns: int | float) -> None:
        """Mark where a phase began and ended (set by the engine)."""
        self._phase_bounds_ns[phase] = (start_ns, end_ns)

    def latency_ns(self, phase: str) -> int | float:
        start, end = self._phase_bounds_ns[phase]
        return end - start

    def counts(self, phase: str) -> dict[str, int]:
        """Executed ops of each kind in a phase (every kind listed)."""
        counts = zero_counts()
        for row_phase, op in zip(self._columns["phase"], self._columns["op"], strict=True):
            if row_phase == phase:
                counts[op] += 1
        return counts

    @property
    def peak_buffer_slots(self) -> int:
        return max(self._columns["buffer_slots_used"], default=0)

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame; phase, op and resource are categoricals."""
        frame = pd.DataFrame(self._columns, columns=list(COLUMNS))
        for name, categories in (("phase", PHASES), ("op", OP_KINDS), ("resource", PORTS)):
            frame[name] = pd.Categorical(frame[name], categories=categories)
        return frame

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write the rows as CSV, atomically."""
        frame = self.frame()
        write_atomically(path, lambda tmp: frame.to_csv(tmp, index=False))
