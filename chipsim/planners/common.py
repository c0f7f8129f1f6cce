"""Pieces every strategy shares: the forward sweep and parameter checks."""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator

from ..errors import StrategyError
from ..model.chip import ChipConfig
from ..model.ops import LOAD_KINDS, Op


def forward_sweep(
    layers: int, keep: Container[int], store: str = "storemem", record: bool = False
) -> Iterator[Op]:
    """``loadmem 0``, ``fwd 1..L``, with a ``store`` op for each a(l), l in ``keep``, once computed.

    a0 starts in inputs, so every forward phase begins by loading it. With
    ``record`` every forward records (a framework's default training step).
    """
    yield Op("loadmem", 0)
    if 0 in keep:
        yield Op(store, 0)
    for layer in range(1, layers + 1):
        yield Op("fwd", layer, record=record)
        if layer in keep:
            yield Op(store, layer)


def records(chip: ChipConfig) -> bool:
    """Whether planners record forwards on ``chip``: only in one memory (``memory_bytes``),
    which counts what a recording keeps. A chip with a separate activation buffer (the
    course's) has no room modelled for saved tensors, so there every ``bwd`` recomputes
    its stage, as SPEC.md's ``bwd`` does."""
    return chip.memory_bytes is not None


def require_positive(strategy: str, name: str, value: int, low: int = 1) -> None:
    if value < low:
        raise StrategyError(f"{strategy}: {name} must be a whole number >= {low}, got {value}")


def prefetch_loads(backward: Iterable[Op], depth: int) -> Iterable[Op]:
    """The backward phase with each step's load issued ``depth`` steps early, into staging.

    A step is the ops up to and including a ``bwd``; its load is its first
    ``loadmem``/``loaddisk``. The load of step t (t >= 1; the first step keeps
    its own) moves to just after the first compute op of step max(t - depth, 0)
    and is marked prefetch, so it can run while that step computes; the
    step's first fwd/bwd then takes the value from staging. ``depth``
    prefetches can be in flight, so the plan needs up to ``depth`` staging
    slots. Only valid where no step frees what a later step loads before that
    step runs (true of stride and disk-offload, whose frees follow last uses).
    """
    if depth == 0:
        return backward
    steps: list[list[Op]] = [[]]
    for op in backward:
        steps[-1].append(op)
        if op.kind == "bwd":
            steps.append([])
    if not steps[-1]:
        steps.pop()
    early: dict[int, list[Op]] = {}  # step index → loads issued after its first compute op
    for t, step in enumerate(steps[1:], start=1):
        load = next((op for op in step if op.kind in LOAD_KINDS), None)
        if load is not None:
            step.remove(load)
            early.setdefault(max(t - depth, 0), []).append(load._replace(prefetch=True))
    result: list[Op] = []
    for t, step in enumerate(steps):
        pending = early.get(t, [])
        for op in step:
            result.append(op)
            if pending and op.kind in ("fwd", "bwd"):
                result.extend(pending)
                pending = []
    return result
