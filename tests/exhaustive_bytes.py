"""Byte-exact oracles for heterogeneous chains: exhaustive search and plan replay.

``optimal_cost`` generalises ``exhaustive.py`` (which stays as it is for the
slot model) to activations of any byte size and per-op prices: Dijkstra over
states (activation in registers, gradient reached, buffer contents, disk
contents), every op the chip's rules allow an edge priced by ``prices``
(rows in ``OP_KINDS`` order). The buffer admits a store only while its
*bytes* stay within the budget; nothing is rounded. A plan ends with the
gradient at layer 1 done and the buffer empty (every storemem is freed), so
a free's price is paid once per stored activation. Disk entries at or above
the gradient reached can never be used again and are dropped (disk is free
and unbounded); dead buffer entries stay, since their bytes and their free
still count.

``replay`` walks a plan's ops with the same rules (those of chipsim.sim.storage
and the engine) and returns its cost and peak buffer bytes.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable

import numpy as np

from chipsim.model.ops import KIND_CODE, OP_KINDS, Op

FWD, BWD, SM, LM, SD, LD, FREE = (KIND_CODE[kind] for kind in OP_KINDS)


def optimal_cost(
    sizes: np.ndarray,
    prices: np.ndarray,
    budget: int,
    objective: str = "backward",
    *,
    use_disk: bool = True,
) -> float:
    """The least cost of any valid plan (backward phase, or forward + backward)."""
    layers = len(sizes) - 1
    heap: list = []
    counter = itertools.count()
    for buffer, disk in _forward_results(sizes, budget, layers, use_disk):
        cost = 0.0
        if objective == "total":
            cost = prices[LM, 0] + prices[FWD, 1:].sum()
            cost += sum(prices[SM, x] for x in buffer) + sum(prices[SD, x] for x in disk)
        heapq.heappush(heap, (cost, next(counter), (None, layers, buffer, disk)))
    seen: set = set()
    while heap:
        cost, _, state = heapq.heappop(heap)
        if state in seen:
            continue
        seen.add(state)
        if state[1] == 0 and not state[2]:
            return cost
        for kind, layer, nxt in _moves(*state, sizes, budget, layers, use_disk):
            nxt = _canonical(*nxt)
            if nxt not in seen:
                heapq.heappush(heap, (cost + prices[kind, layer], next(counter), nxt))
    raise AssertionError("no valid plan reaches layer 1")


def _forward_results(sizes, budget, layers, use_disk):
    """Every (buffer, disk) one forward sweep can leave behind within the budget."""
    below = range(1, layers)  # a0 lives in inputs; a(L) is never needed again
    for size in range(layers):
        for buffer in itertools.combinations(below, size):
            if sum(int(sizes[x]) for x in buffer) > budget:
                continue
            for disk_size in range(layers + 1 if use_disk else 1):
                for disk in itertools.combinations(range(layers), disk_size):
                    yield frozenset(buffer), frozenset(disk)


def _moves(act, grad, buffer, disk, sizes, budget, layers, use_disk):
    used = sum(int(sizes[x]) for x in buffer)
    if act is not None and act + 1 <= layers:
        yield FWD, act + 1, (act + 1, grad, buffer, disk)
    if act is not None and act == grad - 1:
        yield BWD, grad, (act, grad - 1, buffer, disk)
    if act is not None and act not in buffer and used + int(sizes[act]) <= budget:
        yield SM, act, (act, grad, buffer | {act}, disk)
    if use_disk and act is not None and act not in disk:
        yield SD, act, (act, grad, buffer, disk | {act})
    for x in buffer | {0}:
        yield LM, x, (x, grad, buffer, disk)
    for x in disk:
        yield LD, x, (x, grad, buffer, disk)
    for x in buffer:
        yield FREE, x, (act, grad, buffer - {x}, disk)


def _canonical(act, grad, buffer, disk):
    act = act if act is not None and act < grad else None
    return act, grad, buffer, frozenset(x for x in disk if x < grad)


def replay(
    sizes: np.ndarray, prices: np.ndarray, forward: Iterable[Op], backward: Iterable[Op]
) -> tuple[dict[str, float], int]:
    """({phase: summed price}, peak buffer bytes) of a plan, checking every rule.

    Raises AssertionError naming the op that breaks a rule: a load of
    something absent, a store of what registers do not hold, a fwd/bwd
    without its input or gradient, a forward phase not ending at a(L), a
    backward phase not reaching layer 1, or a buffer left holding anything.
    """
    layers = len(sizes) - 1
    state = {"act": None, "grad": None, "buffer": set(), "disk": set(), "used": 0, "peak": 0}
    costs = {}
    for phase, ops in (("forward", forward), ("backward", backward)):
        costs[phase] = 0.0
        for op in ops:
            _apply(state, op, sizes, layers, phase)
            costs[phase] += float(prices[KIND_CODE[op.kind], op.layer])
        if phase == "forward":
            assert state["act"] == layers, f"forward ends with a{state['act']}, not a{layers}"
            state["grad"] = layers
    assert state["grad"] == 0, f"backward stops at dL/da{state['grad']}"
    assert not state["buffer"], f"the buffer still holds {sorted(state['buffer'])}"
    return costs, state["peak"]


def _apply(state: dict, op: Op, sizes: np.ndarray, layers: int, phase: str) -> None:
    kind, layer = op.kind, op.layer
    where = f"{phase} `{op}`"
    assert 0 <= layer <= layers, where
    if kind in ("fwd", "bwd"):
        assert layer >= 1 and state["act"] == layer - 1, f"{where}: registers hold {state}"
        if kind == "fwd":
            state["act"] = layer
        else:
            assert state["grad"] == layer, f"{where}: gradient is {state['grad']}"
            state["grad"] = layer - 1
    elif kind == "loadmem":
        assert layer == 0 or layer in state["buffer"], f"{where}: not in the buffer"
        state["act"] = layer
    elif kind == "loaddisk":
        assert layer in state["disk"], f"{where}: not on disk"
        state["act"] = layer
    elif kind == "storedisk":
        assert state["act"] == layer, f"{where}: registers hold a{state['act']}"
        state["disk"].add(layer)
    elif kind == "storemem":
        assert state["act"] == layer and layer not in state["buffer"], where
        state["buffer"].add(layer)
        state["used"] += int(sizes[layer])
        state["peak"] = max(state["peak"], state["used"])
    else:
        assert kind == "free" and layer in state["buffer"], where
        state["buffer"].remove(layer)
        state["used"] -= int(sizes[layer])
