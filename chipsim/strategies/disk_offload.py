"""disk-offload — page every activation to disk, recompute nothing.

Forward: ``loadmem 0``, then ``storedisk 0`` and, after each ``fwd l`` with
l < L, ``storedisk l``. a0 is paged too: the course counts one disk load per
layer, so backprop reads every layer's input from disk alike.
Backward, for l = L..1: ``loaddisk l-1``, ``bwd l``. The buffer is never used.

Closed form: forward fwd L, storedisk L, loadmem 1; backward loaddisk L,
bwd L, nothing else; buffer slots needed 0. Backward latency
L·(loaddisk_ns + bwd_ns): on the course chip it ties stride:k=5 (500 ns) at
loaddisk_ns = 50.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..chip import ChipConfig
from ..ops import Op
from ..plan import Plan
from .common import forward_sweep


def plan(layers: int, chip: ChipConfig) -> Plan:
    forward = forward_sweep(layers, keep=range(layers), store="storedisk")
    return Plan.build("disk-offload", layers, forward, _backward(layers))


def _backward(layers: int) -> Iterator[Op]:
    for layer in range(layers, 0, -1):
        yield Op("loaddisk", layer - 1)
        yield Op("bwd", layer)


def closed_form(layers: int) -> dict[str, dict[str, int]]:
    """Op counts per phase and slots needed, as the module docstring states."""
    return {
        "forward": {"fwd": layers, "storedisk": layers, "loadmem": 1},
        "backward": {"loaddisk": layers, "bwd": layers},
        "buffer_slots": {"needed": 0},
    }
