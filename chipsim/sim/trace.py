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
from typing import TYPE_CHECKING

import numpy as np

from ..model.ops import OP_KINDS, PORT_CODE_OF_KIND, PORTS, OpCounts
from .plan import PHASES, Plan

_DATA_KINDS = ("storemem", "loadmem", "storedisk", "loaddisk", "free")

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

_PORT_OF_KIND = np.array(PORT_CODE_OF_KIND, dtype=np.int8)
#: 1 for the kinds that move, store or free an activation's bytes.
_MOVES = np.array([kind in _DATA_KINDS for kind in OP_KINDS], dtype=np.int64)


class Trace:
    """The rows of one run as columns, and the summaries computed from them.

    ``phase``, ``op`` and ``resource`` are codes into PHASES, OP_KINDS and
    PORTS; ``buffer_slots_used`` is the occupancy right after the op (in
    activations), ``buffer_bytes_used`` the same in bytes; ``bytes`` is the
    activation the op moved, stored or freed (0 for fwd and bwd). A
    phase's latency runs from the end of the previous phase (0 for the first)
    to the end of its last op.
    """

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
        self.phase, self.op, self.layer = phase, op, layer
        self.resource = _PORT_OF_KIND[op]
        self.start_ns, self.end_ns = start_ns, end_ns
        self.buffer_slots_used = buffer_slots_used
        self.prefetch = np.zeros(len(op), dtype=bool) if prefetch is None else prefetch
        if attempt is None:  # every op took one attempt: a read-only view, no memory per op
            attempt = np.broadcast_to(np.int64(1), (len(op),))
        self.attempt = attempt
        nothing = np.broadcast_to(np.int64(0), (len(op),))
        self.bytes = nothing if bytes_moved is None else bytes_moved
        self.buffer_bytes_used = nothing if buffer_bytes_used is None else buffer_bytes_used
        self._phase_bounds_ns = phase_bounds_ns
        self.energy_nj, self.static_nj_per_ns = energy_nj, static_nj_per_ns
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
        start_ns: np.ndarray,
        end_ns: np.ndarray,
        activation_bytes: np.ndarray | None = None,
        energy: tuple[np.ndarray, float] | None = None,
    ) -> Trace:
        """The trace of ``plan`` run with these times, one row per attempt of each op.

        ``activation_bytes`` (a(l)'s bytes, l = 0..L) fills the byte columns;
        ``energy`` (the (kind, index) nJ table and static nJ per ns) the energy.

        A phase runs from the end of the one before (0 for the first) to the
        latest end among its rows.
        """
        split = plan.forward_ops
        rows_before_backward = int(attempts[:split].sum())
        forward_end = _latest(end_ns[:rows_before_backward], 0)
        bounds = {
            "forward": (0, forward_end),
            "backward": (forward_end, _latest(end_ns[rows_before_backward:], forward_end)),
        }
        phase = np.repeat(np.arange(len(PHASES), dtype=np.int8), [split, len(plan) - split])
        sizes = (
            np.zeros(plan.layers + 1, dtype=np.int64)
            if activation_bytes is None
            else activation_bytes
        )
        moved = _MOVES[plan.kind_codes] * sizes[plan.layer_numbers]
        none = np.broadcast_to(0.0, (len(plan),))  # read-only: no memory per op without energy
        spent = none if energy is None else energy[0][plan.price_codes, plan.layer_numbers]
        static = 0.0 if energy is None else energy[1]
        columns = (
            phase,
            plan.kind_codes,
            plan.layer_numbers,
            plan.slots_in_use(),
            plan.prefetch,
            moved,
            plan.bytes_in_use(sizes),
            spent,
        )
        if bool((attempts == 1).all()):
            attempt = None
        else:
            columns = tuple(np.repeat(column, attempts) for column in columns)
            first = np.repeat(np.cumsum(attempts) - attempts, attempts)
            attempt = np.arange(len(first), dtype=np.int64) - first + 1
        phase, op, layer, slots, prefetch, moved, held, spent = columns
        return cls(
            phase, op, layer, start_ns, end_ns, slots, bounds, prefetch, attempt, moved, held,
            spent if energy else None, static,
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.op)

    def latency_ns(self, phase: str) -> int | float:
        start, end = self._phase_bounds_ns[phase]
        return end - start

    @property
    def has_energy(self) -> bool:
        return self.energy_nj is not None

    def energy_of(self, phase: str) -> float:
        """A phase's energy in nJ: its rows' dynamic energy plus static power over its latency."""
        assert self.energy_nj is not None, "the chip declares no energy"
        dynamic = math.fsum(self.energy_nj[self.phase == PHASES.index(phase)].tolist())
        return dynamic + self.static_nj_per_ns * self.latency_ns(phase)

    @property
    def total_energy_nj(self) -> float:
        """The whole run's energy: every phase's, static included."""
        return math.fsum(self.energy_of(phase) for phase in PHASES)

    def counts(self, phase: str) -> OpCounts:
        """Executed ops of each kind in a phase (every kind listed)."""
        codes = self.op[self.phase == PHASES.index(phase)]
        tally = np.bincount(codes, minlength=len(OP_KINDS))
        return OpCounts(zip(OP_KINDS, tally.tolist(), strict=True))

    @property
    def peak_buffer_slots(self) -> int:
        return max(int(self.buffer_slots_used.max()), 0) if len(self) else 0

    @property
    def peak_buffer_bytes(self) -> int:
        return max(int(self.buffer_bytes_used.max()), 0) if len(self) else 0

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
        if self.energy_nj is not None:
            frame[ENERGY_COLUMN] = self.energy_nj
        for name, column in self.memory.items():
            frame[name] = column
        return frame


def _latest(values: np.ndarray, default: int | float) -> int | float:
    return values.max().item() if len(values) else default
