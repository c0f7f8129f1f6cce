"""Timing by turns: each piece of work runs once a turn, and its best time is kept.

Used by ``byte_dp_vs_rotor.py``, ``one_memory_vs_rotor.py``, ``overlap_events.py``
and ``engine_speed.py``, whose ratios compare works timed in the same turns.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable

REPEATS = 5
MIN_SECONDS = 0.5


def best_seconds(
    works: dict[str, Callable[[], object]],
    clock: Callable[[], float] = time.perf_counter,
    min_seconds: float = MIN_SECONDS,
    collect: bool = False,
) -> dict[str, float]:
    """Each work's best time by ``clock``, the works taking turns: ``REPEATS`` turns, or
    as many as take the slowest work ``min_seconds`` (five turns of a few milliseconds
    each can miss every quiet moment of a shared machine). ``collect``: a garbage
    collection before each run, untimed, so that no run pays for another's garbage."""
    slowest = max(seconds(work, clock, collect) for work in works.values())
    best = dict.fromkeys(works, math.inf)
    for _ in range(max(REPEATS, math.ceil(min_seconds / max(slowest, 1e-9)))):
        for name, work in works.items():
            best[name] = min(best[name], seconds(work, clock, collect))
    return best


def described(min_seconds: float = MIN_SECONDS) -> str:
    """How ``best_seconds`` timed, for a benchmark's header."""
    return f"best of {REPEATS} turns or more (the slowest work >= {min_seconds} s)"


def seconds(work: Callable[[], object], clock: Callable[[], float], collect: bool) -> float:
    """One run of ``work``, by ``clock``."""
    if collect:
        gc.collect()
    start = clock()
    work()
    return clock() - start
