"""The one memory's bytes during each op of a plan, by role (SPEC.md, "One memory").

Where a chip declares ``memory_bytes``, one RAM holds at every instant:

- ``checkpoints``: activations the plan keeps in memory (``storemem`` .. ``free``);
- ``recorded``: the saved tensors of a recording ``fwd l``, from it through the
  ``bwd l`` that consumes them;
- the op in flight: ``activations`` it reads and writes (a ``fwd l`` holds
  a(l-1) and a(l)), ``gradients`` (a ``bwd l`` takes dL/da(l) and makes
  dL/da(l-1); any other backward-phase op holds the gradient the next ``bwd``
  takes) and ``workspace``: a stage's ``fwd_workspace_bytes``, or for ``bwd``
  its ``bwd_workspace_bytes``, plus the ``saved_bytes`` it recomputes from a(l-1)
  first where its stage was not recorded (SPEC.md's ``bwd``);
- what is resident: ``weights``, ``weight_gradients`` (each stage's from its
  ``bwd`` to the end of the step, or only during its ``bwd`` when
  ``update = "per_stage"`` applies it at once) and ``optimizer_state`` (0, 1 or
  2 states per parameter for SGD, momentum and Adam).

Weights, their gradients and optimizer states take ``weight_dtype_bytes`` per
number (the network's ``dtype_bytes`` where unset). The same function gives
the plan's prediction and the engine's trace column, so they agree by
construction; ``check_fits`` (``chipsim.sim.plan_memory``) refuses a plan whose
peak is over the memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .chip_fields import OPTIMIZER_STATES
from .ops import BUFFER_CHANGE, KIND_CODE, OP_KINDS
from .stages import Chain
from .training import Training

ROLES: tuple[str, ...] = (
    "checkpoints",
    "recorded",
    "activations",
    "gradients",
    "workspace",
    "weights",
    "weight_gradients",
    "optimizer_state",
)
_FWD, _BWD = KIND_CODE["fwd"], KIND_CODE["bwd"]
_MOVES = np.array([kind in ("loadmem", "storemem", "loaddisk", "storedisk") for kind in OP_KINDS])
_KEEPS = np.array(BUFFER_CHANGE)


def checkpoint_room(chain: Chain, memory_bytes: int, training: Training) -> int:
    """The bytes ``memory_bytes`` leaves for checkpoints whatever op runs: what planners
    plan their checkpoints under (``ChipConfig.budget``). It assumes the costliest
    op in flight and every resident byte at once, so a plan that records nothing and
    keeps its checkpoints within it fits; ``check_fits`` checks every plan's real
    per-op peak, recorded tensors included."""
    sizes = chain.activation_bytes
    below, above = sizes[:-1], sizes[1:]
    held = int(above.max())  # the gradient a backward-phase recomputation holds
    saved = chain.stage_column("saved_bytes")[1:] + chain.stage_column("bwd_workspace_bytes")[1:]
    forward = below + above + chain.stage_column("fwd_workspace_bytes")[1:] + held
    backward = 2 * below + above + saved
    in_flight = int(max(forward.max(), backward.max(), 2 * held))
    rest = in_flight + training.resident_bytes(chain) + training.gradient_bytes(chain)
    return max(memory_bytes - rest, 0)


@dataclass(frozen=True)
class MemoryUse:
    """Bytes live during each op (columns in plan order), one array per role."""

    by_role: dict[str, np.ndarray]

    @cached_property
    def total(self) -> np.ndarray:
        return sum(self.by_role.values(), np.zeros_like(self.by_role["weights"]))

    @property
    def peak_bytes(self) -> int:
        return int(self.total.max()) if self.total.size else 0

    @property
    def peak_index(self) -> int:
        """The first op at which the peak is reached."""
        return int(np.argmax(self.total)) if self.total.size else 0

    def at(self, index: int) -> dict[str, int]:
        """The bytes of each role during op ``index``."""
        return {role: int(column[index]) for role, column in self.by_role.items()}


def memory_use(
    kind_codes: np.ndarray,
    layer_numbers: np.ndarray,
    forward_ops: int,
    chain: Chain,
    training: Training,
    consumed: np.ndarray | None = None,
) -> MemoryUse:
    """Every role's bytes during each op of a plan's columns on ``chain``; ``consumed``
    gives each recording ``fwd`` the last op its saved tensors live through, and
    each ``bwd`` that consumes them its ``fwd`` (-1 elsewhere; None: nothing
    records; ``chipsim.sim.plan_memory.recording_pairs``)."""
    codes, layers, sizes = kind_codes, layer_numbers, chain.activation_bytes
    pairs = np.full(len(codes), -1) if consumed is None else consumed
    trained_bytes = training.trained_weight_bytes(chain)
    weights = training.weights_in_memory_bytes(chain)
    states = OPTIMIZER_STATES[training.optimizer] * int(trained_bytes.sum())
    return MemoryUse(
        {
            "checkpoints": _checkpoints(codes, sizes[layers]),
            "recorded": _recorded(codes, layers, pairs, chain.stage_column("saved_bytes")),
            "activations": _activations(codes, layers, sizes),
            "gradients": _gradients(codes, layers, forward_ops, sizes),
            "workspace": _workspace(codes, layers, chain, recorded=pairs >= 0),
            "weights": np.full(len(codes), weights, dtype=np.int64),
            "weight_gradients": _weight_gradients(codes, layers, trained_bytes, training.update),
            "optimizer_state": np.full(len(codes), states, dtype=np.int64),
        }
    )


def _checkpoints(codes: np.ndarray, moved_bytes: np.ndarray) -> np.ndarray:
    """Bytes kept during each op: after a ``storemem``, before a ``free``."""
    after = np.cumsum(_KEEPS[codes] * moved_bytes)
    return np.maximum(after, after - _KEEPS[codes] * moved_bytes)


def _activations(codes: np.ndarray, layers: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """What the op reads and writes: a(l-1) and a(l) for ``fwd``, a(l-1) for ``bwd``,
    the moved a(l) for loads and stores."""
    below = sizes[np.maximum(layers - 1, 0)]
    compute = np.where(codes == _FWD, below + sizes[layers], below)
    in_flight = np.where((codes == _FWD) | (codes == _BWD), compute, 0)
    return in_flight + np.where(_MOVES[codes], sizes[layers], 0)


def _gradients(
    codes: np.ndarray, layers: np.ndarray, forward_ops: int, sizes: np.ndarray
) -> np.ndarray:
    """dL/da(l) and dL/da(l-1) during ``bwd l``; before it, from the loss on, the
    gradient the next ``bwd`` takes."""
    gradients = np.zeros(len(codes), dtype=np.int64)
    backward = np.arange(len(codes)) >= forward_ops
    steps = np.flatnonzero((codes == _BWD) & backward)
    if not steps.size:
        return gradients
    following = np.searchsorted(steps, np.arange(len(codes)))  # the next bwd at or after
    pending = following < steps.size
    taken = sizes[layers[steps[np.minimum(following, steps.size - 1)]]]
    gradients[backward & pending] = taken[backward & pending]
    gradients[steps] += sizes[layers[steps] - 1]
    return gradients


def _recorded(
    codes: np.ndarray, layers: np.ndarray, pairs: np.ndarray, saved: np.ndarray
) -> np.ndarray:
    """Saved tensors live from their recording ``fwd`` through the last op of its pair."""
    change = np.zeros(len(codes) + 1, dtype=np.int64)
    starts = np.flatnonzero((codes == _FWD) & (pairs >= 0))
    ends = pairs[starts] + 1
    np.add.at(change, starts, saved[layers[starts]])
    np.add.at(change, ends, -saved[layers[starts]])
    return np.cumsum(change)[:-1]


def _workspace(
    codes: np.ndarray, layers: np.ndarray, chain: Chain, recorded: np.ndarray
) -> np.ndarray:
    """A ``fwd``'s forward workspace; a ``bwd``'s workspace, and the saved tensors it
    recomputes where its stage was not recorded."""
    forward = chain.stage_column("fwd_workspace_bytes")[layers]
    recomputed = np.where(recorded, 0, chain.stage_column("saved_bytes")[layers])
    backward = chain.stage_column("bwd_workspace_bytes")[layers] + recomputed
    return np.where(codes == _FWD, forward, np.where(codes == _BWD, backward, 0))


def _weight_gradients(
    codes: np.ndarray, layers: np.ndarray, weight_bytes: np.ndarray, update: str
) -> np.ndarray:
    """Each stage's weight gradient from its ``bwd`` on (``per_step``), or only during
    it (``per_stage``). A stage backpropagated twice holds one gradient."""
    made = np.where(codes == _BWD, weight_bytes[layers], 0)
    if update == "per_stage":
        return made
    first = np.zeros(len(codes), dtype=bool)
    seen: set[int] = set()
    for index in np.flatnonzero(codes == _BWD).tolist():
        first[index] = int(layers[index]) not in seen
        seen.add(int(layers[index]))
    return np.cumsum(np.where(first, made, 0))
