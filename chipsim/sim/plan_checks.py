"""Validation of a plan's ops and columns: every malformed input is a ``PlanError``.

``Plan.build`` encodes ops one at a time through ``encode_op``; ``Plan(...)``
called directly checks its columns with ``check_columns``. Either way the
message names the strategy, the op and its position ("op 3 of the backward
phase"), so a third-party strategy's mistake is found where it is made, not
as an IndexError or a silent fix-up (a layer of 1.5 is not layer 1).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from ..errors import PlanError
from ..limits import MAX_LAYERS
from ..model.ops import KIND_CODE, LOAD_KINDS, OP_KINDS, Op


class Columns(Protocol):
    """What the checks and the memory accounting (``plan_memory``) read of a plan
    (``Plan`` is one): its columns, where an op sits for messages, its phases and
    occupancy. A protocol, so that neither needs an import of ``Plan``."""

    strategy: str
    layers: int
    kind_codes: np.ndarray
    layer_numbers: np.ndarray
    forward_ops: int
    prefetch: np.ndarray | None
    record: np.ndarray | None

    def op(self, index: int) -> Op: ...

    def phase_of(self, index: int) -> str: ...

    def position(self, index: int) -> str: ...

    def phase_slice(self, name: str) -> slice: ...

    def phase(self, name: str) -> tuple[Op, ...]: ...

    notes: tuple[str, ...]
    staging_slots_needed: int

    def slots_in_use(self) -> np.ndarray: ...

    def bytes_in_use(self, activation_bytes: np.ndarray) -> np.ndarray: ...


#: A plan's phases in order: the forward pass to the loss, then backprop.
PHASES: tuple[str, ...] = ("forward", "backward")

#: Ops a block when a long plan's columns are checked or summed a block at a time
#: (2 MB of int64): no temporary the plan's length.
BLOCK_OPS = 1 << 18


def first_where(
    count: int, test: Callable[[slice], np.ndarray], block_ops: int = BLOCK_OPS
) -> int | None:
    """The first op index below ``count`` that ``test`` (a block's bools) marks, or None."""
    for lo in range(0, count, block_ops):
        marked = np.flatnonzero(test(slice(lo, lo + block_ops)))
        if marked.size:
            return lo + int(marked[0])
    return None


_CODES = ", ".join(f"{code} {kind}" for code, kind in enumerate(OP_KINDS))

#: The lowest layer of each op kind, by code: fwd and bwd take 1..L, the others 0..L.
LOWEST_LAYER = np.array([1 if kind in ("fwd", "bwd") else 0 for kind in OP_KINDS], dtype=np.int8)


def check_layers(strategy: str, layers: Any) -> None:
    """A plan is for 1..MAX_LAYERS layers."""
    if not _is_whole(layers) or not 1 <= layers <= MAX_LAYERS:
        raise PlanError(
            f"{strategy}: a plan's layers must be a whole number 1..{MAX_LAYERS}, got {layers!r}"
        )


def encode_op(
    strategy: str, layers: int, phase: str, index: int, op: Any
) -> tuple[int, int, bool, bool]:
    """(kind code, layer, prefetch, record) of op ``index`` of a phase of ``Plan.build``,
    or a PlanError naming it (``Plan.build`` takes well-formed, unmarked ``Op``s,
    what strategies mostly emit, on a quick path of its own)."""
    where = f"op {index} of the {phase} phase"
    if not isinstance(op, (tuple, list)) or len(op) not in (2, 3, 4):
        raise PlanError(
            f"{strategy}: {where}: an op is (kind, layer), (kind, layer, prefetch) or "
            f"(kind, layer, prefetch, record), got {op!r}"
        )
    kind, layer = op[0], op[1]
    if not isinstance(kind, str) or kind not in KIND_CODE:
        raise PlanError(
            f"{strategy}: unknown op {kind!r} in the {phase} phase; "
            f"valid ops are {', '.join(OP_KINDS)} ({where})"
        )
    if not _is_whole(layer):
        raise PlanError(
            f"{strategy}: {where}, `{kind} {layer!r}`: the layer must be a whole number, "
            f"got {layer!r} ({type(layer).__name__})"
        )
    if not LOWEST_LAYER[KIND_CODE[kind]] <= layer <= layers:
        raise out_of_range(strategy, f"{kind} {layer}", kind, phase, layers, where)
    prefetch, record = (*op[2:], False, False)[:2]
    for mark, value, kinds in (("prefetch", prefetch, LOAD_KINDS), ("record", record, ("fwd",))):
        if not isinstance(value, (bool, np.bool_)):
            raise PlanError(
                f"{strategy}: {where}, `{kind} {layer}`: {mark} must be True or False, "
                f"got {value!r}"
            )
        if value and kind not in kinds:
            raise wrongly_marked(strategy, f"{kind} {layer}", phase, mark, kinds, where)
    return KIND_CODE[kind], int(layer), bool(prefetch), bool(record)


def check_columns(plan: Columns) -> None:
    """The columns of a directly constructed Plan: types, lengths, codes and the prefetch
    and record marks (None stands for all False)."""
    name = plan.strategy
    count = _integer_column(name, "kind_codes", plan.kind_codes, None)
    _integer_column(name, "layer_numbers", plan.layer_numbers, count)
    if not _is_whole(plan.forward_ops) or not 0 <= plan.forward_ops <= count:
        raise PlanError(
            f"{name}: forward_ops must be a whole number 0..{count} (the plan has {count} ops), "
            f"got {plan.forward_ops!r}"
        )
    codes = plan.kind_codes
    index = first_where(count, lambda ops: (codes[ops] < 0) | (codes[ops] >= len(OP_KINDS)))
    if index is not None:
        raise PlanError(
            f"{name}: {plan.position(index)}: kind code {int(plan.kind_codes[index])} is not "
            f"an op; codes are {_CODES}"
        )
    for mark, kinds in (("prefetch", LOAD_KINDS), ("record", ("fwd",))):
        _check_marks(plan, count, mark, kinds)


def _check_marks(plan: Columns, count: int, mark: str, kinds: tuple[str, ...]) -> None:
    """A mark column (``prefetch``, ``record``) is None (all False) or one bool per op,
    set only on ops of ``kinds``."""
    flags = getattr(plan, mark)
    if flags is None:
        return
    if not isinstance(flags, np.ndarray) or flags.dtype != bool or flags.shape != (count,):
        raise PlanError(
            f"{plan.strategy}: {mark} must be None or an array of {count} bools, one per op, "
            f"got {flags!r}"
        )
    if not flags.any():  # nothing marked: no per-op temporaries (isin's are int64)
        return
    codes, allowed = plan.kind_codes, [KIND_CODE[kind] for kind in kinds]
    found = _first(plan, lambda ops: flags[ops] & ~np.isin(codes[ops], allowed))
    if found:
        op, phase, where = found
        raise wrongly_marked(plan.strategy, f"{op.kind} {op.layer}", phase, mark, kinds, where)


def check_ranges(plan: Columns) -> None:
    """Every op's layer is in its kind's range (``LOWEST_LAYER``..L)."""

    def outside(ops: slice) -> np.ndarray:
        layers = plan.layer_numbers[ops]
        return (layers < LOWEST_LAYER[plan.kind_codes[ops]]) | (layers > plan.layers)

    found = _first(plan, outside)
    if found:
        op, phase, where = found
        raise out_of_range(plan.strategy, str(op), op.kind, phase, plan.layers, where)


def out_of_range(
    strategy: str, shown: str, kind: str, phase: str, layers: int, where: str
) -> PlanError:
    """The error for an op (``shown``) whose layer is outside its kind's range."""
    return PlanError(
        f"{strategy}: `{shown}` in the {phase} phase is out of range; "
        f"{kind} takes {LOWEST_LAYER[KIND_CODE[kind]]}..{layers} for L={layers} ({where})"
    )


def wrongly_marked(
    strategy: str, shown: str, phase: str, mark: str, kinds: tuple[str, ...], where: str
) -> PlanError:
    """The error for an op (``shown``) marked ``mark`` that only ``kinds`` may carry."""
    return PlanError(
        f"{strategy}: `{shown}` in the {phase} phase is marked {mark}; "
        f"only {' and '.join(kinds)} can {mark} ({where})"
    )


def _first(plan: Columns, test: Callable[[slice], np.ndarray]) -> tuple[Op, str, str] | None:
    """The first op ``test`` marks (``first_where``), its phase and its position; None if
    it marks none."""
    index = first_where(len(plan.kind_codes), test)
    if index is None:
        return None
    return plan.op(index), plan.phase_of(index), plan.position(index)


def staging_barrier_error(plan: Columns) -> PlanError:
    """The error for a plan whose forward phase ends with an activation in staging."""
    forward = plan.phase_slice("forward")
    waiting = unconsumed_prefetches(
        plan.kind_codes[forward], plan.layer_numbers[forward], plan.prefetch[forward]
    )
    index = min(waiting)
    op = plan.op(index)
    return PlanError(
        f"{plan.strategy}: `{op}` ({plan.position(index)}) leaves a{op.layer} in staging at "
        "the end of the forward phase; staging must be empty at the phase barrier "
        "(issue a backward load in the backward phase)"
    )


def unconsumed_prefetches(kinds: np.ndarray, layers: np.ndarray, prefetch: np.ndarray) -> list:
    """Positions of the prefetching loads no later ``fwd``/``bwd`` takes from staging: a
    compute op of layer l takes the oldest staged copy of a(l-1)."""
    waiting: dict[int, deque[int]] = {}
    ops = zip(kinds.tolist(), layers.tolist(), prefetch.tolist(), strict=True)
    for index, (code, layer, prefetched) in enumerate(ops):
        if prefetched:
            waiting.setdefault(layer, deque()).append(index)
        elif code in (KIND_CODE["fwd"], KIND_CODE["bwd"]) and waiting.get(layer - 1):
            waiting[layer - 1].popleft()
    return [index for queue in waiting.values() for index in queue]


def _integer_column(strategy: str, name: str, column: Any, count: int | None) -> int:
    """Refuse a column that is not a 1-D integer array (of ``count`` entries, when given)."""
    ok = isinstance(column, np.ndarray) and column.ndim == 1 and column.dtype.kind in "iu"
    if not ok or (count is not None and len(column) != count):
        size = "" if count is None else f" of {count}"
        raise PlanError(
            f"{strategy}: {name} must be a 1-D integer numpy array{size}, got {column!r}"
        )
    return len(column)


def _is_whole(value: Any) -> bool:
    """An int or numpy integer, not a bool: what a layer number or count may be."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
