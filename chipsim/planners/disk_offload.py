"""disk-offload[:prefetch=D] — page every activation to disk, recompute nothing.

Forward: ``loadmem 0``, then ``storedisk 0`` and, after each ``fwd l`` with
l < L, ``storedisk l``. a0 is paged too: the course counts one disk load per
layer, so backprop reads every layer's input from disk alike.
Backward, for l = L..1: ``loaddisk l-1``, ``bwd l``. The buffer is never used.

What it pages is each stage's *input* a(l-1), and every ``bwd`` recomputes its
stage's inner tensors from it (nothing records): the course's disk offload. It
is not PyTorch's ``save_on_cpu``, which pages a recording forward's saved
tensors instead; on a network whose stages keep much inside, that moves more
bytes and recomputes nothing.

Closed form: forward fwd L, storedisk L, loadmem 1; backward loaddisk L,
bwd L, nothing else; buffer slots needed 0. Backward latency
L·(loaddisk_ns + bwd_ns): on the course chip it ties stride:k=5 (500 ns) at
loaddisk_ns = 50.

``prefetch=D`` issues each read D backward steps early into a staging
register (``common.prefetch_loads``; the chip needs ``staging_slots`` ≥
min(D, L-1)). Counts and serial latency are unchanged; in overlapped mode
the reads run while the compute unit works. With D = 1, fixed latencies d =
loaddisk and b = bwd, the backward phase takes min(d, b) + L·max(d, b)
instead of L·(d + b): whichever port is busier sets the pace. Deeper
prefetching only helps when latencies vary.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.chip import ChipConfig
from ..model.ops import Op
from ..model.stages import Chain
from ..sim.plan import Plan
from .common import forward_sweep, prefetch_loads, require_positive


def plan(network: Chain, chip: ChipConfig, *, prefetch: int = 0) -> Plan:
    """``prefetch`` (default 0: none) is how many steps ahead reads are issued."""
    layers = network.layers
    require_positive("disk-offload", "prefetch", prefetch, low=0)
    forward = forward_sweep(layers, keep=range(layers), store="storedisk")
    backward = prefetch_loads(_backward(layers), prefetch)
    return Plan.build("disk-offload", layers, forward, backward)


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


def slots_needed(layers: int, *, prefetch: int = 0) -> int:
    """Buffer slots the plan needs: none (it pages everything). A precheck for huge L."""
    require_positive("disk-offload", "prefetch", prefetch, low=0)
    return 0
