"""Exhaustive search over every valid plan of a small chain (the optimality oracle).

An independent model of the chip's rules as a state graph, searched with
Dijkstra: a state is (activation in registers, gradient reached, buffer
contents, disk contents); every op the rules allow is an edge weighted by its
latency. Activations at or above the gradient reached can never be used again,
so states drop them (freeing costs nothing), which keeps the graph small.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping

from chipsim import ChipConfig


def optimal_latency(
    layers: int,
    chip: ChipConfig,
    objective: str = "backward",
    prices: Mapping[str, float] | None = None,
) -> float:
    """The least latency of any valid plan (backward phase, or forward + backward).

    ``prices`` (op kind → cost of one op, e.g. its energy) replaces the
    chip's latencies: the least total of any additive cost.
    """
    if prices is None:
        prices = {
            kind: getattr(chip, f"{kind}_ns")
            for kind in ("fwd", "bwd", "loadmem", "storemem", "loaddisk", "storedisk")
        }
    f, b, m = prices["fwd"], prices["bwd"], prices["loadmem"]
    sm, d, sd = prices["storemem"], prices["loaddisk"], prices["storedisk"]
    slots = chip.buffer_slots
    below = range(layers)  # a(L) is never needed after the loss
    heap: list = []
    seen: dict = {}
    counter = itertools.count()
    # The forward phase can leave any buffer set (within the slots) and disk set behind.
    for size in range(min(slots, layers) + 1):
        for buffer in itertools.combinations(below, size):
            for disk_size in range(layers + 1):
                for disk in itertools.combinations(below, disk_size):
                    cost = 0
                    if objective == "total":
                        cost = m + layers * f + size * sm + disk_size * sd
                    state = (layers, layers, frozenset(buffer), frozenset(disk))
                    heapq.heappush(heap, (cost, next(counter), state))
    while heap:
        cost, _, state = heapq.heappop(heap)
        if state in seen:
            continue
        seen[state] = cost
        act, grad, buffer, disk = state
        if grad == 0:
            return cost
        for extra, nxt in _moves(act, grad, buffer, disk, slots, layers):
            nxt = _canonical(*nxt)
            if nxt not in seen:
                weight = {"f": f, "b": b, "m": m, "sm": sm, "d": d, "sd": sd, "free": 0}[extra]
                heapq.heappush(heap, (cost + weight, next(counter), nxt))
    raise AssertionError("no valid plan reaches layer 1")


def _moves(act, grad, buffer, disk, slots, layers):
    if act is not None and act + 1 <= layers:
        yield "f", (act + 1, grad, buffer, disk)
    if act is not None and act == grad - 1:
        yield "b", (act, grad - 1, buffer, disk)
    if act is not None and act not in buffer and len(buffer) < slots:
        yield "sm", (act, grad, buffer | {act}, disk)
    if act is not None and act not in disk:
        yield "sd", (act, grad, buffer, disk | {act})
    for x in buffer | {0}:
        yield "m", (x, grad, buffer, disk)
    for x in disk:
        yield "d", (x, grad, buffer, disk)
    for x in buffer:
        yield "free", (act, grad, buffer - {x}, disk)


def _canonical(act, grad, buffer, disk):
    useful = range(grad)
    act = act if act is not None and act in useful else None
    return (
        act,
        grad,
        frozenset(x for x in buffer if x in useful),
        frozenset(x for x in disk if x in useful),
    )
