"""full-store: keep every activation in the buffer, recompute nothing.

In one memory (a chip with ``memory_bytes``) it is a framework's default
training step: every forward records, so each ``bwd`` pays its gradient work
alone and the saved tensors of every stage live until its ``bwd``.

Forward: ``loadmem 0``, then ``fwd l`` for l = 1..L with ``storemem l`` after
each l < L (a0 stays in inputs; a(L) is only needed for the loss).
Backward, for l = L..1: ``loadmem l-1``, ``bwd l``, ``free l-1`` (l > 1).

Closed form: forward fwd L, storemem L-1, loadmem 1; backward loadmem L,
bwd L, free L-1, fwd 0. Buffer slots needed: L-1 (so it needs 9 on the
course's 10 layers, and does not fit its 2-slot chip).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.chip import ChipConfig
from ..model.ops import Op
from ..model.stages import Chain
from ..sim.plan import Plan
from .common import forward_sweep, records


def plan(network: Chain, chip: ChipConfig) -> Plan:
    layers = network.layers
    forward = forward_sweep(layers, keep=range(1, layers), record=records(chip))
    return Plan.build("full-store", layers, forward, _backward(layers))


def _backward(layers: int) -> Iterator[Op]:
    for layer in range(layers, 0, -1):
        yield Op("loadmem", layer - 1)
        yield Op("bwd", layer)
        if layer > 1:
            yield Op("free", layer - 1)


def closed_form(layers: int) -> dict[str, dict[str, int]]:
    """Op counts per phase and slots needed, as the module docstring states."""
    return {
        "forward": {"fwd": layers, "storemem": layers - 1, "loadmem": 1},
        "backward": {"loadmem": layers, "bwd": layers, "free": layers - 1, "fwd": 0},
        "buffer_slots": {"needed": layers - 1},
    }


def slots_needed(layers: int) -> int:
    """Buffer slots the plan needs, L-1, without building it: a precheck for huge L."""
    return layers - 1
