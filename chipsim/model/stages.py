"""Stage tables: a network as the chip sees it — sizes and work, stage by stage.

SPEC.md's general form: a chain of L stages, stage l mapping a(l-1) to a(l).
Each stage declares its output shape, its forward and backward multiply-adds
and its parameter count; a0 is the network input (``input_shape``). This is
all planners, the cost model and the engine need: what an activation weighs
in bytes and what a step costs follow from it and the chip.

Conventions: shapes include the batch; ``macs_bwd`` counts the gradient work
alone, the weight and input gradients (2× forward for dense and conv stages,
unless a stage table says otherwise). A ``bwd`` of a stage whose forward did
not record recomputes its inner tensors first and pays ``macs_fwd`` too, as
SPEC.md's ``bwd`` does (``chipsim.model.costs``). A network whose numpy math chipsim runs is a
``Chain`` too (``chipsim.model.network``); ``model(seed)`` builds it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..limits import MAX_LATENCY_NS, MAX_LAYERS, MAX_TOTAL, shown

#: Gradient multiply-adds per forward one, where a table does not say: one for the
#: weight gradient, one for the input gradient (a dense or conv layer's two GEMMs).
BACKWARD_MACS_PER_FORWARD = 2


_COUNTS = ("macs_fwd", "macs_bwd", "params")
#: A stage's memory beyond its output, in bytes (SPEC.md, "What a stage keeps").
MEMORY_FIELDS: tuple[str, ...] = ("saved_bytes", "fwd_workspace_bytes", "bwd_workspace_bytes")
#: A profile's measured times of a stage, in ns (None: priced from its MACs).
MEASURED_FIELDS: tuple[str, ...] = ("fwd_ns", "bwd_ns")


@dataclass(frozen=True)
class Stage:
    """One stage of a chain: its output a(l), its work, and what it keeps inside.

    ``saved_bytes`` is what a *recording* forward keeps for the stage's backward
    besides its input a(l-1) (PyTorch autograd's saved tensors, each storage
    once); ``fwd_workspace_bytes`` / ``bwd_workspace_bytes`` the peak of the
    temporaries while its forward or backward runs, beyond its inputs,
    outputs, gradients and saved tensors. ``fwd_ns`` / ``bwd_ns``, when given,
    are a profile's measured times, used instead of the price of its MACs.
    ``trainable`` False freezes its weights.
    """

    name: str
    output_shape: tuple[int, ...]
    macs_fwd: int
    macs_bwd: int
    params: int
    saved_bytes: int = 0
    fwd_workspace_bytes: int = 0
    bwd_workspace_bytes: int = 0
    fwd_ns: int | float | None = None
    bwd_ns: int | float | None = None
    trainable: bool = True

    def __post_init__(self) -> None:
        where = f"stage {self.name!r}"
        if not self.output_shape:
            raise ConfigError(f"{where}: output_shape must name at least one dimension")
        for size in self.output_shape:
            _check_count(f"{where}: output_shape", size, low=1)
        for field in _COUNTS:
            _check_count(f"{where}: {field}", getattr(self, field), low=0)
        for field in MEMORY_FIELDS:
            _check_count(f"{where}: {field}", getattr(self, field), low=0, high=MAX_TOTAL)
        for field in MEASURED_FIELDS:
            _check_time(f"{where}: {field}", getattr(self, field))
        if not isinstance(self.trainable, bool):
            raise ConfigError(f"{where}: trainable must be true or false, got {self.trainable!r}")

    @property
    def elements(self) -> int:
        """Elements of a(l)."""
        return math.prod(self.output_shape)

    def as_dict(self, dtype_bytes: int) -> dict[str, Any]:
        """The row ``chipsim networks show --json`` prints."""
        return {
            "name": self.name,
            "output_shape": list(self.output_shape),
            "elements": self.elements,
            "bytes": self.elements * dtype_bytes,
            "macs_fwd": self.macs_fwd,
            "macs_bwd": self.macs_bwd,
            "params": self.params,
            **{field: getattr(self, field) for field in MEMORY_FIELDS},
            **{f: value for f in MEASURED_FIELDS if (value := getattr(self, f)) is not None},
        }


class Chain:
    """A network of L stages: the sizes and work planners and the engine read.

    ``name`` is the spec that made it; ``dtype_bytes`` the bytes of one
    element. Arrays are indexed like the plan's layers: ``activation_bytes[l]``
    is a(l) for l = 0..L, ``macs_fwd[l]`` stage l for l = 1..L (index 0 is 0).
    ``repeat`` > 1 means the stages are ``stages`` repeated that many times
    (a million equal layers cost arrays, not a million Stage objects; the
    repeated stages are numbered when listed).
    """

    def __init__(
        self,
        name: str,
        input_shape: Sequence[int],
        stages: Sequence[Stage],
        *,
        dtype_bytes: int = 4,
        model: Callable[[int], Any] | None = None,
        repeat: int = 1,
    ) -> None:
        if not stages:
            raise ConfigError(f"network {name}: needs at least one stage")
        for size in input_shape:
            _check_count(f"network {name}: input_shape", size, low=1)
        _check_count(f"network {name}: dtype_bytes", dtype_bytes, low=1)
        _check_count(f"network {name}: repeat", repeat, low=1)
        self.name = name
        self.input_shape = tuple(input_shape)
        self._pattern, self._repeat = tuple(stages), repeat
        self.dtype_bytes = dtype_bytes
        self._model = model
        self._check_totals()

    def _check_totals(self) -> None:
        """Refuse a network too deep, or whose summed bytes or work would overflow int64."""
        if self.layers > MAX_LAYERS:
            raise ConfigError(
                f"network {self.name}: at most {MAX_LAYERS} stages (chipsim.limits), "
                f"got {self.layers}"
            )
        elements = math.prod(self.input_shape) + self._repeat * sum(
            stage.elements for stage in self._pattern
        )
        work = self._repeat * sum(stage.macs_fwd + stage.macs_bwd for stage in self._pattern)
        for what, total in (("activation bytes", elements * self.dtype_bytes), ("MACs", work)):
            if total > MAX_TOTAL:
                raise ConfigError(
                    f"network {self.name}: its {what} add up to {shown(total)}, more than "
                    f"{MAX_TOTAL} (chipsim.limits); use a smaller batch or network"
                )

    @cached_property
    def stages(self) -> tuple[Stage, ...]:
        """Stage 1..L (made on first use where the chain repeats a pattern)."""
        if self._repeat == 1:
            return self._pattern
        return tuple(
            dataclasses.replace(stage, name=f"{stage.name}{index}")
            for index, stage in enumerate(self._pattern * self._repeat, start=1)
        )

    @property
    def layers(self) -> int:
        """L, the number of stages."""
        return len(self._pattern) * self._repeat

    def _column(self, values: list[int]) -> np.ndarray:
        """One value per stage of the pattern, repeated: stage 1..L."""
        return np.tile(np.asarray(values, dtype=np.int64), self._repeat)

    @cached_property
    def activation_elements(self) -> np.ndarray:
        """Elements of a(l), l = 0..L (int64)."""
        column = self._column([stage.elements for stage in self._pattern])
        first = np.asarray([math.prod(self.input_shape)], dtype=np.int64)
        return np.concatenate([first, column])

    @cached_property
    def activation_bytes(self) -> np.ndarray:
        """Bytes of a(l), l = 0..L (int64): what storing or moving it takes."""
        return self.activation_elements * self.dtype_bytes

    @cached_property
    def macs_fwd(self) -> np.ndarray:
        """Forward multiply-adds of stage l, l = 0..L (0 at index 0)."""
        column = self._column([stage.macs_fwd for stage in self._pattern])
        return np.concatenate([[0], column]).astype(np.int64)

    @cached_property
    def macs_bwd(self) -> np.ndarray:
        """Backward multiply-adds of stage l, l = 0..L (0 at index 0)."""
        column = self._column([stage.macs_bwd for stage in self._pattern])
        return np.concatenate([[0], column]).astype(np.int64)

    def stage_column(self, field: str) -> np.ndarray:
        """Stage l's whole-number ``field`` (``params``, ``saved_bytes``, ``trainable``, …),
        l = 0..L (0 at index 0), int64; from the repeated pattern, so a million equal
        stages cost an array, not a million Stage objects."""
        column = self._column([getattr(stage, field) for stage in self._pattern])
        return np.concatenate([[0], column]).astype(np.int64)

    def measured_ns(self, field: str) -> np.ndarray | None:
        """Stage l's measured ``fwd_ns`` or ``bwd_ns``, l = 0..L (NaN where a stage has
        none), or None when no stage has one."""
        values = [getattr(stage, field) for stage in self._pattern]
        if all(value is None for value in values):
            return None
        column = np.tile(np.array(values, dtype=float), self._repeat)  # None becomes NaN
        return np.concatenate([[np.nan], column])

    @property
    def params(self) -> int:
        return sum(stage.params for stage in self._pattern) * self._repeat

    @property
    def largest_stage_params(self) -> int:
        """The most parameters one stage has (a layer's gradients are this many numbers)."""
        return max(stage.params for stage in self._pattern)

    @property
    def equal_width(self) -> int | None:
        """The one activation size in elements when a0..a(L) all have it, else None.

        Only then does a buffer *slot* (the course's unit) mean something.
        """
        first = math.prod(self.input_shape)  # from the pattern: no L-long array is built
        return first if all(stage.elements == first for stage in self._pattern) else None

    @property
    def working_bytes(self) -> int:
        """Registers' peak: the largest a(l-1) + a(l) + dL/da(l), outside the buffer."""
        sizes = self.activation_bytes
        return int((sizes[:-1] + 2 * sizes[1:]).max())

    @property
    def has_math(self) -> bool:
        """Whether chipsim can run this network's numpy math (else timing only)."""
        return self._model is not None

    def model(self, seed: int) -> Any:
        """The network with seeded weights, whose forward and backward the engine runs."""
        if self._model is None:
            raise ConfigError(f"network {self.name} is timing only: it has no numpy math")
        return self._model(seed)

    def totals(self) -> dict[str, int]:
        """What ``chipsim networks show`` sums: MACs, parameters, activation sizes."""
        elements = int(self.activation_elements[1:].sum())
        return {
            "macs_fwd": int(self.macs_fwd.sum()),
            "params": self.params,
            "activation_elements": elements,
            "activation_bytes": elements * self.dtype_bytes,
        }

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of ``chipsim networks show --json``."""
        return {
            "network": self.name,
            "stages": [stage.as_dict(self.dtype_bytes) for stage in self.stages],
            "totals": self.totals(),
        }

    def content_sha256(self) -> str:
        """SHA-256 of everything a run reads from the chain: input shape, element size and,
        stage by stage, shape, work, memory and measured times; not the names. A stage
        table edited in place hashes differently; one moved or renamed does not."""
        digest = hashlib.sha256(repr((self.input_shape, self.dtype_bytes, self._repeat)).encode())
        for stage in self._pattern:
            digest.update(repr(dataclasses.astuple(stage)[1:]).encode())  # [0] is the name
        return digest.hexdigest()

    def __repr__(self) -> str:
        return f"Chain({self.name!r}, L={self.layers})"


def _check_count(where: str, value: Any, *, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"{where} must be a whole number >= {low}, got {value!r}")
    if high is not None and value > high:  # so sums of them stay within int64
        raise ConfigError(
            f"{where} must be at most {MAX_TOTAL} (chipsim.limits), got {shown(value)}"
        )


def _check_time(where: str, value: Any) -> None:
    if value is None:
        return
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )
    if not number or not math.isfinite(value) or not 0 <= value <= MAX_LATENCY_NS:
        raise ConfigError(
            f"{where} must be a number of ns from 0 to {MAX_LATENCY_NS:.0e}, got {shown(value)}"
        )
