"""A byte-exact oracle for one memory: the cheapest valid plan by exhaustive search.

Dijkstra over every state a plan can reach — the activation in registers, the
gradient reached, the buffer's and the disk's contents and the stages recorded
(bit masks) — with every op the chip's rules allow as an edge, priced by
``prices`` (rows in ``PRICE_CODES`` order: a recorded stage's ``bwd`` last). An
op is allowed only if the one memory holds everything live during it, counted
here from SPEC.md's roles independently of ``chipsim.model.training_memory``:
resident weights and optimizer state, checkpoints (a stored one from its
``storemem``, a freed one through its ``free``), recorded saved tensors, the
op's activations and workspace (a ``bwd`` of an unrecorded stage recomputes
its saved tensors first), the gradient the next ``bwd`` takes and the weight
gradients.

The forward phase is one sweep (``loadmem 0``, a0 paged or not, then each
``fwd`` with any stores after it), as every planner's is; the backward phase is
free-form. It ends with dL/da(e) reached (e: the stage below the lowest
trained one) and, when every stage trains, the buffer empty.

``persistent`` restricts the search to rotor's class of plans (Beaumont et al.
2019, TOMS 2024: "persistent" schedules): once a(k) has been stored, it is not
computed again while the gradient is above k — a plan may not drop a
checkpoint and recompute through it from below.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

FWD, BWD, SM, LM, SD, LD, FREE, RECORDED_BWD = range(8)


@dataclass(frozen=True)
class Problem:
    """A chain's byte figures, l = 0..L (index 0 unused for stage figures)."""

    activation: tuple[int, ...]
    saved: tuple[int, ...]
    fwd_workspace: tuple[int, ...]
    bwd_workspace: tuple[int, ...]
    weight_gradient: tuple[int, ...]  # trained weight bytes (0 when frozen)
    resident: int
    memory: int
    end: int  # backprop stops at dL/da(end)
    per_step: bool
    use_disk: bool
    persistent: bool = False

    @property
    def layers(self) -> int:
        return len(self.activation) - 1

    @cached_property
    def kept(self) -> list[int]:
        """Bytes of the activations in each buffer mask."""
        return _mask_sums(self.activation)

    @cached_property
    def recorded(self) -> list[int]:
        """Bytes of the saved tensors of each recorded mask."""
        return _mask_sums(self.saved)

    def live(self, buffer: int, recorded: int) -> int:
        """What outlives any op: resident bytes, checkpoints and recorded tensors."""
        return self.resident + self.kept[buffer] + self.recorded[recorded]

    def pending(self, grad: int) -> int:
        """Between backward ops: the gradient the next bwd takes and weight gradients above."""
        if grad <= self.end:
            return 0
        above = sum(self.weight_gradient[grad + 1 :]) if self.per_step else 0
        return self.activation[grad] + above

    def backward_bytes(self, grad: int, found: bool) -> int:
        """What ``bwd grad`` holds besides what outlives it."""
        a, weights = self.activation, self.weight_gradient
        gradients = sum(weights[grad:]) if self.per_step else weights[grad]
        recomputed = 0 if found else self.saved[grad]
        return a[grad - 1] * 2 + a[grad] + self.bwd_workspace[grad] + recomputed + gradients

    def forward_bytes(self, layer: int) -> int:
        return self.activation[layer - 1] + self.activation[layer] + self.fwd_workspace[layer]


def _mask_sums(sizes: tuple[int, ...]) -> list[int]:
    return [sum(size for bit, size in enumerate(sizes) if mask >> bit & 1)
            for mask in range(1 << len(sizes))]  # fmt: skip


def optimal_cost(problem: Problem, prices: np.ndarray, objective: str) -> float | None:
    """The least cost of any valid plan (backward phase, or both), None if none fits."""
    heap: list = []
    counter = itertools.count()
    for cost, buffer, disk, recorded in _forward_results(problem, prices, objective == "total"):
        pinned = buffer | disk if problem.persistent else 0
        state = (None, problem.layers, buffer, disk, recorded, pinned)
        heapq.heappush(heap, (cost, next(counter), state))
    seen: set = set()
    while heap:
        cost, _, state = heapq.heappop(heap)
        if state in seen:
            continue
        seen.add(state)
        _, grad, buffer, *_ = state
        if grad == problem.end and (problem.end > 0 or not buffer):
            return cost
        for price, nxt in _moves(problem, prices, state):
            if nxt not in seen:
                heapq.heappush(heap, (cost + price, next(counter), nxt))
    return None


def _forward_results(problem: Problem, prices: np.ndarray, charged: bool):
    """(cost, buffer, disk, recorded) after every forward sweep that fits."""
    start = charged * prices[LM, 0]
    sweeps = [(start, 0, 0, 0)]  # (cost, buffer, disk, recorded)
    if problem.use_disk:  # a0 may be paged too
        sweeps.append((start + charged * prices[SD, 0], 0, 1, 0))
    if problem.live(0, 0) + problem.activation[0] > problem.memory:
        return []
    for layer in range(1, problem.layers + 1):
        sweeps = [after for sweep in sweeps
                  for after in _forward_step(problem, prices, charged, sweep, layer)]  # fmt: skip
    return sweeps


def _forward_step(problem, prices, charged, sweep, layer):
    """Run ``fwd layer`` (recording or not), then store a(layer) nowhere, in the buffer,
    on disk or both."""
    cost, buffer, disk, recorded = sweep
    a, bit, memory = problem.activation, 1 << layer, problem.memory
    for record in (False, True) if layer > problem.end else (False,):
        rec = recorded | bit if record else recorded
        if problem.live(buffer, rec) + problem.forward_bytes(layer) > memory:
            continue
        price = cost + charged * prices[FWD, layer]
        yield price, buffer, disk, rec
        if layer == problem.layers:
            continue
        can_mem = problem.live(buffer | bit, rec) + a[layer] <= memory
        can_disk = problem.use_disk and problem.live(buffer, rec) + a[layer] <= memory
        if can_mem:
            yield price + charged * prices[SM, layer], buffer | bit, disk, rec
        if can_disk:
            yield price + charged * prices[SD, layer], buffer, disk | bit, rec
        if can_mem and can_disk:
            both = price + charged * (prices[SM, layer] + prices[SD, layer])
            yield both, buffer | bit, disk | bit, rec


def _moves(problem: Problem, prices: np.ndarray, state):
    """(price, next state) of every op allowed from ``state`` in the backward phase."""
    act, grad, buffer, disk, recorded, pinned = state
    a, memory, below = problem.activation, problem.memory, (1 << grad) - 1
    live, pending = problem.live(buffer, recorded), problem.pending(grad)
    held = live + pending
    if act is not None:
        layer, bit = act + 1, 1 << act
        pin = pinned | bit if problem.persistent else pinned
        if not pinned >> layer & 1:
            for record in (False, True) if layer > problem.end else (False,):
                rec = recorded | 1 << layer if record else recorded
                used = problem.live(buffer, rec) + problem.forward_bytes(layer) + pending
                if used <= memory:
                    nxt = layer if layer < grad else None
                    yield prices[FWD, layer], (nxt, grad, buffer, disk, rec, pinned)
        if layer == grad:
            found = recorded >> grad & 1
            if live + problem.backward_bytes(grad, bool(found)) <= memory:
                price = prices[RECORDED_BWD if found else BWD, grad]
                done = below >> 1
                yield price, (None, grad - 1, buffer, disk & done, recorded & ~(1 << grad),
                              pinned & done)  # fmt: skip
        if not buffer & bit and held + 2 * a[act] <= memory:
            yield prices[SM, act], (act, grad, buffer | bit, disk, recorded, pin)
        if problem.use_disk and not disk & bit and held + a[act] <= memory:
            yield prices[SD, act], (act, grad, buffer, disk | bit, recorded, pin)
    for x in range(grad):
        if (buffer >> x & 1 or x == 0) and held + a[x] <= memory:
            yield prices[LM, x], (x, grad, buffer, disk, recorded, pinned)
        if disk >> x & 1 and held + a[x] <= memory:
            yield prices[LD, x], (x, grad, buffer, disk, recorded, pinned)
    for x in range(problem.layers + 1):
        if buffer >> x & 1:
            yield prices[FREE, x], (act, grad, buffer & ~(1 << x), disk, recorded, pinned)


def replay(problem: Problem, ops) -> list[int]:
    """The bytes live during each op of a plan (forward then backward), by this module's
    rules; raises AssertionError at the first op that breaks the chip's rules."""
    a = problem.activation
    act, grad, buffer, disk, recorded = None, None, 0, 0, 0
    used = []
    for op in ops:
        kind, layer, bit = op.kind, op.layer, 1 << op.layer
        pending = 0 if grad is None else problem.pending(grad)
        live = problem.live(buffer, recorded)
        if kind == "fwd":
            assert act == layer - 1, op
            recorded = recorded | bit if op.record else recorded
            used.append(problem.live(buffer, recorded) + problem.forward_bytes(layer) + pending)
            act = layer
            grad = layer if grad is None and layer == problem.layers else grad
        elif kind == "bwd":
            assert act == layer - 1 and grad == layer, op
            used.append(live + problem.backward_bytes(layer, bool(recorded & bit)))
            recorded, act, grad = recorded & ~bit, layer - 1, layer - 1
        elif kind in ("storemem", "storedisk"):
            assert act == layer, op
            buffer, disk = (buffer | bit, disk) if kind == "storemem" else (buffer, disk | bit)
            used.append(problem.live(buffer, recorded) + a[layer] + pending)
        elif kind in ("loadmem", "loaddisk"):
            assert (buffer | 1) & bit if kind == "loadmem" else disk & bit, op
            used.append(live + a[layer] + pending)
            act = layer
        else:
            assert buffer & bit, op
            used.append(live + pending)
            buffer &= ~bit
    return used
