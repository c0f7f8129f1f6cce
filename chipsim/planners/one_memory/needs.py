"""What each op of a plan needs of the one memory, in memory units: the DP's inputs.

The one memory's bytes during an op are ``chipsim.model.training_memory``'s roles.
Those that outlive the op (checkpoints, recorded tensors, weights and optimizer
state) are the DP's state, its free units m; the rest is the op's *need*, which
must fit in m. In the backward phase every op holds the gradient the next
``bwd`` takes, dL/da(t), and with ``update = "per_step"`` the weight gradients of
the stages above t (``pending``). So, in units:

- load or store to disk of a(x): a(x) + pending(t); a store to the buffer also
  holds the new checkpoint: 2·a(x) + pending(t);
- ``fwd l``: a(l-1) + a(l) + its forward workspace (``forward``), plus its saved
  tensors where it records, plus pending(t);
- ``bwd t``: a(t-1) and the two gradients, its backward workspace and the weight
  gradients held during it (``backward``), plus its saved tensors where its
  stage was not recorded (it recomputes them first).

The forward phase has no pending gradient. Every byte figure is rounded up to
whole units and the room (``memory_bytes`` less what is resident) down, term by
term, so a plan the DP accepts fits in bytes: rounding can cost optimality,
never feasibility, and is exact when every figure is a whole number of units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...formatting import bytes_of
from ...model.stages import Chain
from ...model.training import Training


@dataclass(frozen=True)
class Needs:
    """Per layer l = 0..L, in units of ``unit_bytes``; ``room_units`` is the DP's m at the start."""

    unit_bytes: int
    room_units: int
    exact: bool  # every figure is whole units: the DP is exact in bytes
    activation: np.ndarray
    saved: np.ndarray
    forward: np.ndarray
    pending: np.ndarray
    backward: np.ndarray
    walk_peak: np.ndarray  # [s, k]: the most any fwd s+1..k needs (0 for k <= s)

    def columns(self) -> tuple[np.ndarray, ...]:
        """The arrays the kernel reads, in its order."""
        return (
            self.activation, self.saved, self.forward, self.pending, self.backward,
            self.walk_peak,
        )  # fmt: skip

    def describe(self) -> str:
        return (
            f"memory unit = {bytes_of(self.unit_bytes)}; every figure rounded up to whole "
            f"units; the room beside what is resident rounded down to {self.room_units} units"
        )


def room_bytes(chain: Chain, memory_bytes: int, training: Training) -> int:
    """What ``memory_bytes`` leaves beside the weights and optimizer state in it."""
    return memory_bytes - training.resident_bytes(chain)


def needs_of(chain: Chain, memory_bytes: int, training: Training, units: int) -> Needs:
    """The ops' needs of ``chain`` in units of ⌊room / units⌋ bytes (at least 1)."""
    room = room_bytes(chain, memory_bytes, training)
    unit = max(1, room // units)
    figures = _figures(chain, training)
    whole = room % unit == 0 and all(not (column % unit).any() for column in figures.values())
    up = {name: -(-column // unit) for name, column in figures.items()}
    activation = up["activation"]
    below = np.concatenate([[0], activation[:-1]])
    forward = np.where(np.arange(chain.layers + 1) > 0, below + activation + up["fwd_workspace"], 0)
    backward = 2 * below + activation + up["bwd_workspace"] + up["gradients_during"]
    return Needs(
        unit, room // unit, whole, activation, up["saved"], forward,
        activation + up["gradients_above"], backward, walk_peaks(forward),
    )  # fmt: skip


def keep_nothing_peak_bytes(chain: Chain, training: Training) -> int:
    """The peak of the plan that keeps and records nothing (every ``bwd t`` walks up from
    a0): a plan that fits wherever anything does, so a bound on the least memory."""
    figures = _figures(chain, training)
    activation = figures["activation"]
    below = np.concatenate([[0], activation[:-1]])
    forward = below + activation + figures["fwd_workspace"]
    forward[0] = activation[0]  # loadmem 0
    walks = np.maximum.accumulate(forward)  # walks[t - 1]: load a0, fwd 1..t-1
    backward = 2 * below + activation + figures["bwd_workspace"] + figures["gradients_during"]
    tops = np.arange(training.lowest_trained(chain), chain.layers + 1)
    pending = activation[tops] + figures["gradients_above"][tops]
    during = np.maximum(walks[tops - 1] + pending, backward[tops] + figures["saved"][tops])
    return training.resident_bytes(chain) + int(max(forward.max(), during.max()))


def _figures(chain: Chain, training: Training) -> dict[str, np.ndarray]:
    """Every byte figure the needs are made of, per layer l = 0..L (int64)."""
    weights = training.trained_weight_bytes(chain)
    if training.update == "per_step":
        above = np.concatenate([np.cumsum(weights[::-1])[::-1][1:], [0]])
    else:
        above = np.zeros_like(weights)
    return {
        "activation": chain.activation_bytes.astype(np.int64),
        "saved": chain.stage_column("saved_bytes").astype(np.int64),
        "fwd_workspace": chain.stage_column("fwd_workspace_bytes").astype(np.int64),
        "bwd_workspace": chain.stage_column("bwd_workspace_bytes").astype(np.int64),
        "gradients_above": above.astype(np.int64),
        "gradients_during": (above + weights).astype(np.int64),
    }


def walk_peaks(forward: np.ndarray) -> np.ndarray:
    """[s, k]: the most ``forward`` needs over layers s+1..k (0 where k <= s)."""
    size = len(forward)
    peaks = np.zeros((size, size), dtype=np.int64)
    for base in range(size - 1):
        peaks[base, base + 1 :] = np.maximum.accumulate(forward[base + 1 :])
    return peaks
