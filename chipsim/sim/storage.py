"""The chip's storage places and the rules each one enforces.

Each place raises ``ModelViolation`` with a reason (the engine adds which op
broke it); none ever makes room, fetches or recomputes on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelViolation
from ..formatting import bytes_of
from ..model.budget import Budget

Array = np.ndarray | None  # None when the run skips the math


def _listing(layers: list[int]) -> str:
    return ", ".join(f"a{layer}" for layer in sorted(layers)) or "nothing"


class Inputs:
    """Always holds a0 (the network input); not part of the activation buffer."""

    def __init__(self) -> None:
        self.a0: Array = None

    def load(self, layer: int) -> Array:
        if layer != 0:
            raise ModelViolation(f"inputs hold only a0, not a{layer}")
        return self.a0


class ActivationBuffer:
    """A buffer of the chip's one byte ``Budget``; storing what does not fit is an error.

    ``sizes`` gives each a(l)'s bytes; None counts each activation as one unit
    (the course's slots, where no network is given). A plain int is a budget of
    that many such slots. Messages speak the budget's unit: slots or bytes.
    """

    def __init__(self, budget: Budget | int, sizes: Sequence[int] | None = None) -> None:
        self.budget = budget if isinstance(budget, Budget) else Budget(budget, "buffer_slots", 1)
        self.capacity, self.sizes = self.budget.capacity_bytes, sizes
        self.used = 0
        self._held: dict[int, Array] = {}

    @property
    def slots(self) -> int | None:
        """The capacity in slots, or None when it is counted in bytes."""
        return None if self.budget.slot_bytes is None else self.budget.in_units(self.capacity)

    def __len__(self) -> int:
        return len(self._held)

    def __contains__(self, layer: int) -> bool:
        return layer in self._held

    def store(self, layer: int, value: Array) -> None:
        if layer in self._held:
            raise ModelViolation(f"a{layer} is already in the buffer")
        size = self._size(layer)
        if self.used + size > self.capacity:
            raise ModelViolation(self._full(layer, size))
        self._held[layer] = value
        self.used += size

    def _full(self, layer: int, size: int) -> str:
        held = _listing(list(self._held))
        if self.slots is not None:
            used = self.budget.in_units(self.used)
            return f"the buffer is full ({used} of {self.slots} slots: {held}); free a slot first"
        return (
            f"the buffer has {bytes_of(self.capacity - self.used)} of {bytes_of(self.capacity)} "
            f"free (it holds {held}) and a{layer} needs {bytes_of(size)}; free some first"
        )

    def load(self, layer: int) -> Array:
        if layer not in self._held:
            raise ModelViolation(
                f"a{layer} is not in the buffer (it holds {_listing(list(self._held))})"
            )
        return self._held[layer]

    def free(self, layer: int) -> None:
        if layer not in self._held:
            raise ModelViolation(
                f"a{layer} is not in the buffer (it holds {_listing(list(self._held))})"
            )
        del self._held[layer]
        self.used -= self._size(layer)

    def _size(self, layer: int) -> int:
        return 1 if self.sizes is None else int(self.sizes[layer])


class Disk:
    """Unbounded storage for activations."""

    def __init__(self) -> None:
        self._held: dict[int, Array] = {}

    def store(self, layer: int, value: Array) -> None:
        self._held[layer] = value

    def load(self, layer: int) -> Array:
        if layer not in self._held:
            raise ModelViolation(f"a{layer} is not on disk (it holds {_listing(list(self._held))})")
        return self._held[layer]


@dataclass
class Registers:
    """The compute unit's registers: one activation, one upstream gradient, staging.

    ``activation_layer`` is l when a(l) is held; ``gradient_layer`` is l when
    dLoss/da(l) is held. None means empty. ``staging_slots`` more registers
    hold prefetched activations until the fwd/bwd that needs one takes it
    (two may hold copies of one activation, for two steps that both need it).
    """

    staging_slots: int = 0
    activation_layer: int | None = None
    activation: Array = field(default=None, repr=False)
    gradient_layer: int | None = None
    gradient: Array = field(default=None, repr=False)
    staged: dict[int, list[Array]] = field(default_factory=dict, repr=False)
    staged_copies: int = field(default=0, repr=False)  # counted as they come and go

    def require_activation(self, layer: int) -> Array:
        if self.activation_layer != layer:
            raise ModelViolation(f"needs a{layer} in registers, which hold {self._describe()}")
        return self.activation

    def require_gradient(self, layer: int) -> Array:
        if self.gradient_layer != layer:
            held = "no gradient" if self.gradient_layer is None else f"dL/da{self.gradient_layer}"
            raise ModelViolation(f"needs dL/da{layer} in registers, which hold {held}")
        return self.gradient

    def set_activation(self, layer: int, value: Array) -> None:
        self.activation_layer, self.activation = layer, value

    def set_gradient(self, layer: int, value: Array) -> None:
        self.gradient_layer, self.gradient = layer, value

    def stage(self, layer: int, value: Array) -> None:
        """Hold a prefetched a(layer) in a free staging register."""
        if self.staged_copies >= self.staging_slots:
            raise ModelViolation(
                f"the staging registers are full ({self.staged_copies} of {self.staging_slots}: "
                f"{_listing(list(self.staged))})"
            )
        self.staged.setdefault(layer, []).append(value)
        self.staged_copies += 1

    def take_staged(self, layer: int) -> Array:
        """Move a prefetched a(layer) out of staging into the compute unit."""
        if layer not in self.staged:
            raise ModelViolation(
                f"needs a{layer} from staging, which holds {_listing(list(self.staged))}"
            )
        copies = self.staged[layer]
        value = copies.pop(0)
        self.staged_copies -= 1
        if not copies:
            del self.staged[layer]
        return value

    def _describe(self) -> str:
        return "no activation" if self.activation_layer is None else f"a{self.activation_layer}"
