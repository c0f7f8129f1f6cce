"""Traces: one row per executed op, kept as numpy columns, read as a pandas DataFrame.

A disk read that failed and was retried takes one row per attempt
(``attempt`` 1, 2, …), each counted as a ``loaddisk``; ``prefetch`` marks
loads into staging registers. A run on a chip that declares energy has one
more column, ``energy_nj`` (each row's dynamic energy, ``ENERGY_COLUMN``);
static energy is the chip's static power over each phase's latency. A run on a
chip with one memory has ``MEMORY_COLUMNS`` too: which forwards recorded, and
the memory's bytes in use during each op (``chipsim.model.training_memory``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

from ..model.ops import OP_KINDS, PORTS, OpCounts
from .plan import PHASES, Plan
from .trace_rows import PORT_OF_KIND, Durations, PlanRows

COLUMNS: tuple[str, ...] = (
    "phase",
    "op",
    "layer",
    "resource",
    "start_ns",
    "end_ns",
    "buffer_slots_used",
    "prefetch",
    "attempt",
    "bytes",
    "buffer_bytes_used",
)

#: The column a trace has only when its chip declares energy (so others stay as they were).
ENERGY_COLUMN = "energy_nj"

#: The columns a trace has only when its chip has one memory (``memory_bytes``): whether
#: the op is a recording forward, and the memory's bytes in use during the op.
MEMORY_COLUMNS: tuple[str, ...] = ("record", "memory_bytes_used")

#: Columns added after traces were first written, and their values in older files
#: (which priced no bytes).
LATER_COLUMNS: dict[str, bool | int] = {
    "prefetch": False,
    "attempt": 1,
    "bytes": 0,
    "buffer_bytes_used": 0,
}

if TYPE_CHECKING:  # pandas is imported when a frame is made: sweep workers never need it
    import pandas as pd


class _Column:
    """A trace column, read through ``Trace.column``: made when first asked for."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, trace: Trace | None, owner: type | None = None) -> np.ndarray:
        return self if trace is None else trace.column(self.name)  # type: ignore[return-value]


class Trace:
    """The rows of one run as columns, and the summaries computed from them.

    ``phase``, ``op`` and ``resource`` are codes into PHASES, OP_KINDS and
    PORTS; ``buffer_slots_used`` is the occupancy right after the op (in
    activations), ``buffer_bytes_used`` the same in bytes; ``bytes`` is the
    activation the op moved, stored or freed (0 for fwd and bwd). A
    phase's latency runs from the end of the previous phase (0 for the first)
    to the end of its last op.

    A trace of a run (``Trace.of``) makes each column when it is first read,
    and its summaries a block of rows at a time (``chipsim.sim.trace_rows``):
    a long run's trace costs no memory per row until its rows are asked for.
    """

    phase = _Column()
    op = _Column()
    layer = _Column()
    resource = _Column()
    start_ns = _Column()
    end_ns = _Column()
    buffer_slots_used = _Column()
    prefetch = _Column()
    attempt = _Column()
    bytes = _Column()
    buffer_bytes_used = _Column()

    def __init__(
        self,
        phase: np.ndarray,
        op: np.ndarray,
        layer: np.ndarray,
        start_ns: np.ndarray,
        end_ns: np.ndarray,
        buffer_slots_used: np.ndarray,
        phase_bounds_ns: dict[str, tuple[int | float, int | float]],
        prefetch: np.ndarray | None = None,
        attempt: np.ndarray | None = None,
        bytes_moved: np.ndarray | None = None,
        buffer_bytes_used: np.ndarray | None = None,
        energy_nj: np.ndarray | None = None,
        static_nj_per_ns: float = 0.0,
    ) -> None:
        rows = len(op)
        if attempt is None:  # every op took one attempt: a read-only view, no memory per op
            attempt = np.broadcast_to(np.int64(1), (rows,))
        nothing = np.broadcast_to(np.int64(0), (rows,))
        self._columns: dict[str, np.ndarray] = {
            "phase": phase,
            "op": op,
            "layer": layer,
            "resource": PORT_OF_KIND[op],
            "start_ns": start_ns,
            "end_ns": end_ns,
            "buffer_slots_used": buffer_slots_used,
            "prefetch": np.zeros(rows, dtype=bool) if prefetch is None else prefetch,
            "attempt": attempt,
            "bytes": nothing if bytes_moved is None else bytes_moved,
            "buffer_bytes_used": nothing if buffer_bytes_used is None else buffer_bytes_used,
        }
        if energy_nj is not None:
            self._columns[ENERGY_COLUMN] = energy_nj
        self._start(None, rows, phase_bounds_ns, energy_nj is not None, static_nj_per_ns)

    def _start(
        self,
        rows: PlanRows | None,
        length: int,
        phase_bounds_ns: dict[str, tuple[int | float, int | float]],
        has_energy: bool,
        static_nj_per_ns: float,
    ) -> None:
        """What every trace holds beside its columns (``rows``: where they are made from)."""
        self._rows, self._length, self._phase_bounds_ns = rows, length, phase_bounds_ns
        self.has_energy, self.static_nj_per_ns = has_energy, static_nj_per_ns
        self.memory: dict[str, np.ndarray] = {}  # MEMORY_COLUMNS, on a chip with one memory

    def add_memory(self, record: np.ndarray, in_use: np.ndarray, attempts: np.ndarray) -> None:
        """The memory columns, given per op of the plan (each repeated per attempt)."""
        for name, column in zip(MEMORY_COLUMNS, (record, in_use), strict=True):
            self.memory[name] = np.repeat(column, attempts)

    @classmethod
    def of(
        cls,
        plan: Plan,
        attempts: np.ndarray,
        times: Durations | tuple[np.ndarray, np.ndarray],
        activation_bytes: np.ndarray | None = None,
        energy: tuple[np.ndarray, float] | None = None,
    ) -> Trace:
        """The trace of ``plan`` run with these times, one row per attempt of each op.

        ``times`` is each row's duration in a serial run (each row starts when
        the one before ends), or the (start, end) columns of a schedule;
        ``activation_bytes`` (a(l)'s bytes, l = 0..L) fills the byte columns;
        ``energy`` (the (price code, index) nJ table and static nJ per ns) the
        energy. A phase runs from the end of the one before (0 for the first)
        to the latest end among its rows.
        """
        sizes = (
            np.zeros(plan.layers + 1, dtype=np.int64)
            if activation_bytes is None
            else activation_bytes
        )
        one_each = bool((attempts == 1).all())
        rows = PlanRows(plan, None if one_each else attempts, times, sizes,
                        None if energy is None else energy[0])  # fmt: skip
        trace = cls.__new__(cls)  # no column made yet: each is made when first read
        trace._columns = {}
        static = 0.0 if energy is None else energy[1]
        trace._start(rows, rows.rows, rows.phase_bounds_ns(), energy is not None, static)
        return trace

    def column(self, name: str) -> np.ndarray:
        """One column whole (``COLUMNS`` or ``ENERGY_COLUMN``), kept once made."""
        if name not in self._columns:
            assert self._rows is not None, f"the trace has no column {name}"
            self._columns[name] = self._rows.whole(name)
        return self._columns[name]

    def _blocks(self, names: tuple[str, ...]) -> Iterator[dict[str, np.ndarray]]:
        """Columns a block of rows at a time: whole when made, else from the run's rows."""
        if self._rows is None or all(name in self._columns for name in names):
            yield {name: self.column(name) for name in names}
        else:
            yield from self._rows.blocks(names)

    def __len__(self) -> int:
        return self._length

    def latency_ns(self, phase: str) -> int | float:
        start, end = self._phase_bounds_ns[phase]
        return end - start

    @property
    def energy_nj(self) -> np.ndarray | None:
        """Each row's dynamic energy, or None when the chip declares none."""
        return self.column(ENERGY_COLUMN) if self.has_energy else None

    def energy_of(self, phase: str) -> float:
        """A phase's energy in nJ: its rows' dynamic energy plus static power over its latency."""
        assert self.has_energy, "the chip declares no energy"
        code = PHASES.index(phase)
        blocks = self._blocks(("phase", ENERGY_COLUMN))
        dynamic = math.fsum(
            chain.from_iterable(b[ENERGY_COLUMN][b["phase"] == code].tolist() for b in blocks)
        )  # one exactly rounded sum over every row, as over the whole column
        return dynamic + self.static_nj_per_ns * self.latency_ns(phase)

    @property
    def total_energy_nj(self) -> float:
        """The whole run's energy: every phase's, static included."""
        return math.fsum(self.energy_of(phase) for phase in PHASES)

    def counts(self, phase: str) -> OpCounts:
        """Executed ops of each kind in a phase (every kind listed)."""
        code, tally = PHASES.index(phase), np.zeros(len(OP_KINDS), dtype=np.int64)
        for block in self._blocks(("phase", "op")):
            tally += np.bincount(block["op"][block["phase"] == code], minlength=len(OP_KINDS))
        return OpCounts(zip(OP_KINDS, tally.tolist(), strict=True))

    @property
    def peak_buffer_slots(self) -> int:
        return self._peak("buffer_slots_used")

    @property
    def peak_buffer_bytes(self) -> int:
        return self._peak("buffer_bytes_used")

    def _peak(self, name: str) -> int:
        """The most a column holds after any row (0 for none, or an empty trace)."""
        blocks = self._blocks((name,))
        return max(chain([0], (int(block[name].max()) for block in blocks if len(block[name]))))

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame; phase, op and resource are categoricals."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                "phase": pd.Categorical.from_codes(self.phase, categories=PHASES),
                "op": pd.Categorical.from_codes(self.op, categories=OP_KINDS),
                "layer": self.layer,
                "resource": pd.Categorical.from_codes(self.resource, categories=PORTS),
                "start_ns": self.start_ns,
                "end_ns": self.end_ns,
                "buffer_slots_used": self.buffer_slots_used,
                "prefetch": self.prefetch,
                "attempt": self.attempt,
                "bytes": self.bytes,
                "buffer_bytes_used": self.buffer_bytes_used,
            },
            columns=list(COLUMNS),
        )
        if self.has_energy:
            frame[ENERGY_COLUMN] = self.energy_nj
        for name, column in self.memory.items():
            frame[name] = column
        return frame
