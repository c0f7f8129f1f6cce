"""Traces: one row per executed op, kept as numpy columns, read as a pandas DataFrame."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .chip import ChipConfig
from .ops import OP_KINDS, PORT_CODE_OF_KIND, PORTS, OpCounts
from .plan import PHASES, Plan

COLUMNS: tuple[str, ...] = (
    "phase",
    "op",
    "layer",
    "resource",
    "start_ns",
    "end_ns",
    "buffer_slots_used",
)

_PORT_OF_KIND = np.array(PORT_CODE_OF_KIND, dtype=np.int8)


class Trace:
    """The rows of one run as columns, and the summaries computed from them.

    ``phase``, ``op`` and ``resource`` are codes into PHASES, OP_KINDS and
    PORTS; ``buffer_slots_used`` is the occupancy right after the op. A
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
    ) -> None:
        self.phase, self.op, self.layer = phase, op, layer
        self.resource = _PORT_OF_KIND[op]
        self.start_ns, self.end_ns = start_ns, end_ns
        self.buffer_slots_used = buffer_slots_used
        self._phase_bounds_ns = phase_bounds_ns

    @classmethod
    def serial(cls, plan: Plan, chip: ChipConfig) -> Trace:
        """The trace of running ``plan`` one op at a time: each op starts when the last ends.

        Times accumulate in op order (a sequential cumulative sum), so they
        are exactly what adding each latency to a running clock gives.
        """
        latencies = [chip.op_latency_ns(kind) for kind in OP_KINDS]
        dtype = np.int64 if all(isinstance(v, int) for v in latencies) else np.float64
        durations = np.asarray(latencies, dtype=dtype)[plan.kind_codes]
        end = np.cumsum(durations, dtype=dtype)
        start = np.concatenate([np.zeros(1, dtype=dtype), end[:-1]])
        split = plan.forward_ops
        forward_end = end[split - 1].item() if split else 0
        bounds = {"forward": (0, forward_end), "backward": (forward_end, _last(end, forward_end))}
        return cls(
            phase=np.repeat(np.arange(len(PHASES), dtype=np.int8), [split, len(plan) - split]),
            op=plan.kind_codes,
            layer=plan.layer_numbers,
            start_ns=start,
            end_ns=end,
            buffer_slots_used=plan.slots_in_use(),
            phase_bounds_ns=bounds,
        )

    def __len__(self) -> int:
        return len(self.op)

    def latency_ns(self, phase: str) -> int | float:
        start, end = self._phase_bounds_ns[phase]
        return end - start

    def counts(self, phase: str) -> OpCounts:
        """Executed ops of each kind in a phase (every kind listed)."""
        codes = self.op[self.phase == PHASES.index(phase)]
        tally = np.bincount(codes, minlength=len(OP_KINDS))
        return OpCounts(zip(OP_KINDS, tally.tolist(), strict=True))

    @property
    def peak_buffer_slots(self) -> int:
        return max(int(self.buffer_slots_used.max()), 0) if len(self) else 0

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame; phase, op and resource are categoricals."""
        return pd.DataFrame(
            {
                "phase": pd.Categorical.from_codes(self.phase, categories=PHASES),
                "op": pd.Categorical.from_codes(self.op, categories=OP_KINDS),
                "layer": self.layer,
                "resource": pd.Categorical.from_codes(self.resource, categories=PORTS),
                "start_ns": self.start_ns,
                "end_ns": self.end_ns,
                "buffer_slots_used": self.buffer_slots_used,
            },
            columns=list(COLUMNS),
        )


def _last(values: np.ndarray, default: int | float) -> int | float:
    return values[-1].item() if len(values) else default
