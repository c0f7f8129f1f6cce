"""What a run gives back: phase summaries, replications and the ``RunResult`` with its
JSON contract (``chipsim run --json``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ..model.chip import ChipConfig
from ..model.networks import course_chain
from ..model.stages import Chain
from ..sim.plan import PHASES, Plan
from ..sim.plan_memory import MemoryAtPeak, memory_at_peak
from ..sim.trace import Trace

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class PhaseSummary:
    """Latency and op counts (every kind listed) of one phase."""

    latency_ns: int | float
    ops: dict[str, int]


@dataclass(frozen=True)
class Replications:
    """The backward latency of N replications of a run, each with its own draws.

    Replication i draws jitter and faults from the i-th child of the run's
    seed (``chipsim.sim.draws``); the math does not depend on them, so it runs
    and is checked once, in replication 0, the run itself. ``failed``
    replications had a disk read fail past its retries: they have no
    latency, and the statistics are over the others.
    """

    backward_latency_ns: np.ndarray
    failed: int = 0
    energy_nj: np.ndarray | None = None  # each run's whole energy, on a chip that declares it

    @property
    def n(self) -> int:
        """Replications run, the failed ones included."""
        return len(self.backward_latency_ns) + self.failed

    def summary(self, values: np.ndarray | None = None) -> dict[str, float]:
        """mean, min, p50, p95, p99, max (numpy's linear-interpolated percentiles) of
        the backward latencies, or of ``values`` (e.g. ``energy_nj``)."""
        values = self.backward_latency_ns if values is None else values
        p50, p95, p99 = np.percentile(values, [50, 95, 99]).tolist()
        return {
            "mean": float(values.mean()),
            "min": float(values.min()),
            "p50": p50,
            "p95": p95,
            "p99": p99,
            "max": float(values.max()),
        }


@dataclass(frozen=True)
class RunResult:
    """A finished, gradient-checked run.

    ``width`` is the one activation width of an equal-width network, else None.
    """

    strategy: str
    layers: int
    width: int | None
    seed: int
    chip: ChipConfig
    plan: Plan
    trace: Trace
    forward: PhaseSummary
    backward: PhaseSummary
    loss: float | None  # None: the run skipped the math
    max_abs_grad_diff: float | None
    replications: Replications | None = None
    network: Chain | None = None

    @property
    def chain(self) -> Chain:
        """The network's stage table (the course's MLP when none was named)."""
        if self.network is not None:
            return self.network
        assert self.width is not None
        return course_chain(self.layers, self.width, dtype_bytes=self.chip.dtype_bytes)

    @property
    def math(self) -> bool:
        """Whether the run did the numpy math (and checked its gradients)."""
        return self.max_abs_grad_diff is not None

    @property
    def peak_buffer_slots(self) -> int:
        """The most checkpoints (activations kept by ``storemem``) held at once."""
        return self.trace.peak_buffer_slots

    @property
    def peak_buffer_bytes(self) -> int:
        """The most checkpoint bytes held at once. On a chip with one memory, a part of
        ``memory_at_peak``'s whole, not the chip's footprint."""
        return self.trace.peak_buffer_bytes

    @property
    def buffer_bytes(self) -> int:
        """The buffer's capacity in bytes: the budget. On a chip with one memory, the room
        ``memory_bytes`` leaves for checkpoints beside the costliest op in flight and what
        is resident (``training_memory.checkpoint_room``), which planners plan under; a
        plan may keep more where its own peak allows: ``memory_at_peak`` says whether
        it fits."""
        return self.chip.buffer_capacity_bytes(self.chain)

    @cached_property
    def memory_at_peak(self) -> MemoryAtPeak | None:
        """On a chip with one memory (``memory_bytes``): its peak, the op at which it falls
        and the bytes of each role then (``to_dict()["memory"]``); None otherwise."""
        if self.chip.memory_bytes is None:
            return None
        return memory_at_peak(self.plan, self.chip, self.chain)

    @property
    def frame(self) -> pd.DataFrame:
        """The trace as a DataFrame."""
        return self.trace.frame()

    def phase(self, name: str) -> PhaseSummary:
        return {"forward": self.forward, "backward": self.backward}[name]

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``chipsim run --json``."""
        return {
            "strategy": self.strategy,
            "network": self.chain.name,
            "layers": self.layers,
            "width": self.width,
            "seed": self.seed,
            "chip": self.chip.as_dict(),
            **{name: self._phase_dict(name) for name in PHASES},
            **self._energy_dict(),
            "peak_buffer_slots": self.peak_buffer_slots,
            "buffer_slots_needed": self.plan.buffer_slots_needed,
            **({"notes": list(self.plan.notes)} if self.plan.notes else {}),
            "peak_buffer_bytes": self.peak_buffer_bytes,
            "buffer_bytes": self.buffer_bytes,
            "working_bytes": self.chain.working_bytes,
            **self._memory_dict(),
            "math": self.math,
            "loss": self.loss,
            "max_abs_grad_diff": self.max_abs_grad_diff,
            **(
                {}
                if self.replications is None
                else {
                    "replications": {
                        "n": self.replications.n,
                        "failed": self.replications.failed,
                        "backward_latency_ns": self.replications.summary(),
                        **self._replicated_energy(),
                    }
                }
            ),
        }

    def _memory_dict(self) -> dict[str, Any]:
        """On a chip with one memory: the bytes at the peak instant, by role."""
        peak = self.memory_at_peak
        return {} if peak is None else {"memory": peak.as_dict()}

    def _phase_dict(self, name: str) -> dict[str, Any]:
        """A phase's latency, op counts and (on a chip that declares it) energy."""
        phase = self.phase(name)
        energy = {"energy_nj": self.trace.energy_of(name)} if self.trace.has_energy else {}
        return {"latency_ns": phase.latency_ns, "ops": phase.ops, **energy}

    def _energy_dict(self) -> dict[str, Any]:
        """The run's whole energy, static included: absent when the chip declares none."""
        if not self.trace.has_energy:
            return {}
        trace = self.trace
        static = trace.static_nj_per_ns * sum(trace.latency_ns(name) for name in PHASES)
        return {"energy_nj": trace.total_energy_nj, "static_energy_nj": static}

    def _replicated_energy(self) -> dict[str, Any]:
        assert self.replications is not None
        energy = self.replications.energy_nj
        return {} if energy is None else {"energy_nj": self.replications.summary(energy)}

    @property
    def energy_nj(self) -> float | None:
        """The whole run's energy in nJ (static included), or None without energy."""
        return self.trace.total_energy_nj if self.trace.has_energy else None
