"""stride:k=K[,prefetch=D] — the course's method: keep every k-th activation, recompute the rest.

Forward: ``loadmem 0``, ``fwd 1..L``, with ``storemem l`` after every l that
is a multiple of k (a(k), a(2k), …, including a(L) when k divides L, as the
course stores a10).
Backward, for l = L..1: let j = k·⌊(l-1)/k⌋, the nearest kept activation at or
below l-1 (a0 from inputs when j = 0). ``loadmem j``, ``fwd j+1..l-1``,
``bwd l``. A kept a(j) is freed right after ``bwd j+1``, its last use; a(L),
never needed in backprop, is freed first.

Closed form, with L = q·k + r (q = ⌊L/k⌋, r = L mod k):
- backward fwd = Σ_{i=0}^{L-1} (i mod k) = q·k(k-1)/2 + r(r-1)/2
- backward loadmem = L (one load per layer: the chip has no room to keep the
  loaded checkpoint *and* walk forward from it), bwd = L, free = q
- forward fwd = L, storemem = q, loadmem = 1; buffer slots needed = q

The course (L = 10, k = 5): 20 fwd and 10 loadmem, 20·20 + 10·10 = 500 ns.

In one memory (a chip with ``memory_bytes``, where forwards record) it is
``torch.utils.checkpoint`` with segments of k layers: the plan of
``sqrt-n:segment=k``, which keeps the segment boundaries and re-runs each segment
once, recording, before backpropagating through it (``sqrt_n.py``). With
``prefetch`` it keeps the course's method.

``prefetch=D`` issues each step's checkpoint load D steps early into a
staging register (``common.prefetch_loads``), so in overlapped mode it runs
while the compute unit recomputes; counts and serial latency are unchanged.
On the course chip in overlapped mode with one staging slot, prefetch=1
takes 420 ns: every load hides behind a 20 ns fwd except the first one and
the load of a0 for layer 5, which follows ``bwd 6`` (0 ns) and has nothing
to hide behind.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from ..model.chip import ChipConfig
from ..model.ops import Op
from ..model.stages import Chain
from ..sim.plan import Plan
from . import sqrt_n
from .common import forward_sweep, prefetch_loads, records, require_positive


def plan(network: Chain, chip: ChipConfig, *, k: int, prefetch: int = 0) -> Plan:
    """``prefetch`` (default 0: none) is how many steps ahead checkpoints are loaded."""
    layers = network.layers
    require_positive("stride", "k", k)
    require_positive("stride", "prefetch", prefetch, low=0)
    if records(chip) and not prefetch:  # torch.utils.checkpoint, segments of k
        return dataclasses.replace(sqrt_n.plan(network, chip, segment=k), strategy=f"stride:k={k}")
    forward = forward_sweep(layers, keep=range(k, layers + 1, k))
    backward = prefetch_loads(_backward(layers, k), prefetch)
    return Plan.build(f"stride:k={k}", layers, forward, backward)


def _backward(layers: int, k: int) -> Iterator[Op]:
    if layers % k == 0:
        yield Op("free", layers)
    for layer in range(layers, 0, -1):
        kept = k * ((layer - 1) // k)
        yield Op("loadmem", kept)
        for recompute in range(kept + 1, layer):
            yield Op("fwd", recompute)
        yield Op("bwd", layer)
        if layer == kept + 1 and kept > 0:
            yield Op("free", kept)


def closed_form(layers: int, k: int) -> dict[str, dict[str, int]]:
    """Op counts per phase and slots needed, as the module docstring states."""
    q, r = divmod(layers, k)
    return {
        "forward": {"fwd": layers, "storemem": q, "loadmem": 1},
        "backward": {
            "fwd": q * k * (k - 1) // 2 + r * (r - 1) // 2,
            "loadmem": layers,
            "bwd": layers,
            "free": q,
        },
        "buffer_slots": {"needed": q},
    }


def slots_needed(layers: int, *, k: int, prefetch: int = 0) -> int:
    """Buffer slots the plan needs, ⌊L/k⌋, without building it: a precheck for huge L."""
    require_positive("stride", "k", k)
    require_positive("stride", "prefetch", prefetch, low=0)
    return layers // k
