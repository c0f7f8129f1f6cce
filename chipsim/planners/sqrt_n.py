"""sqrt-n[:segment=K] — Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost".

On a network whose activations differ in size, segments are cut by bytes
instead, as Chen et al.'s memory-aware variant does (§4.3): a segment ends
where the activations it keeps while replayed would pass a budget B, and B
is searched for the plan that needs the fewest buffer bytes
(``least_memory_cut``). ``segment=K`` keeps the by-count cut below on any
network.

Cut the L layers into S = ⌈L/K⌉ segments of K layers (the top one may be
shorter); K defaults to ⌈√L⌉. Segment i (i = 0..S-1 from the bottom) covers
layers j+1..e with j = i·K, e = min(j+K, L) and length n = e - j.

Forward: ``loadmem 0``, ``fwd 1..L``, ``storemem j`` after each segment
boundary j = K, 2K, … below L.
Backward, segment by segment from the top: ``loadmem j``, then ``fwd j+1..e-1``
storing each result except the last, a(e-1), which stays in registers for
``bwd e``. Then for l = e-1..j+1: ``loadmem l-1``, ``bwd l``. Every stored
activation (the boundary a(j) included) is freed right after the ``bwd`` that
last uses it. Each segment is recomputed once: about one extra forward pass.

In one memory (a chip with ``memory_bytes``) it is ``torch.utils.checkpoint``:
the replay of a segment records, so its ``bwd``s pay their gradient work alone
and the segment's saved tensors live until each is consumed; a segment's top
stage is not replayed, and its ``bwd`` recomputes it as SPEC.md's ``bwd`` does.

Closed form (n_i the segment lengths, Σ n_i = L):
- backward fwd = L - S, loadmem = L, bwd = L,
  storemem = Σ max(n_i - 2, 0), free = Σ max(n_i - 2, 0) + S - 1
- forward fwd = L, storemem = S - 1, loadmem = 1
- buffer slots needed = max(S - 1, max_i (i + max(n_i - 2, 0))): while segment
  i is replayed, the i boundaries below it are still kept. O(√L) for K ≈ √L.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from ..formatting import bytes_of
from ..model.chip import ChipConfig
from ..model.ops import Op
from ..model.stages import Chain
from ..sim.plan import Plan
from .common import forward_sweep, records, require_positive


def plan(network: Chain, chip: ChipConfig, *, segment: int | None = None) -> Plan:
    """Segments of ``segment`` layers (default ⌈√L⌉) on an equal-width network; by
    bytes (Chen et al.'s memory-aware cut) where activation sizes differ, unless
    ``segment`` is given."""
    layers = network.layers
    if segment is not None:
        require_positive("sqrt-n", "segment", segment)
    label = f"sqrt-n:segment={segment}" if segment else "sqrt-n"
    notes: tuple[str, ...] = ()
    if segment is None and network.equal_width is None:
        budget, cuts = least_memory_cut(network)
        notes = (f"memory-aware segments of at most {bytes_of(budget)} (Chen et al. 2016, §4.3)",)
    else:
        cuts = segments(layers, segment or default_segment(layers))
    forward = forward_sweep(layers, keep={bottom for bottom, _ in cuts[1:]})
    return Plan.build(label, layers, forward, _backward(cuts, records(chip)), notes=notes)


def default_segment(layers: int) -> int:
    return math.isqrt(layers - 1) + 1  # ⌈√L⌉ for L >= 1


def segments(layers: int, size: int) -> list[tuple[int, int]]:
    """(j, e) for each segment, bottom first: it covers layers j+1..e."""
    return [(j, min(j + size, layers)) for j in range(0, layers, size)]


def byte_segments(sizes: list[int], budget: int) -> list[tuple[int, int]]:
    """Chen et al.'s memory-aware cut: a segment ends where the activations it keeps
    while replayed, a(j+1)..a(e-1), would pass ``budget`` bytes."""
    cuts, bottom, held = [], 0, 0
    for layer in range(1, len(sizes) - 1):
        held += sizes[layer]
        if held > budget and layer > bottom + 1:
            cuts.append((bottom, layer))
            bottom, held = layer, sizes[layer]
    return [*cuts, (bottom, len(sizes) - 1)]


def peak_bytes(sizes: list[int], cuts: list[tuple[int, int]]) -> int:
    """The buffer's peak under the plan of ``cuts``: every boundary after the forward
    phase, and while segment i is replayed, the boundaries up to its own and its
    interior a(j+1)..a(e-2)."""
    boundaries = [sizes[bottom] for bottom, _ in cuts[1:]]
    peak, below = sum(boundaries), 0
    for index, (bottom, top) in enumerate(cuts):
        below += sizes[bottom] if index else 0
        peak = max(peak, below + sum(sizes[bottom + 1 : top - 1]))
    return peak


def least_memory_cut(network: Chain) -> tuple[int, list[tuple[int, int]]]:
    """Chen et al.'s search over the segment budget: of 64 budgets from the largest
    activation to their sum, the one whose plan needs the fewest buffer bytes."""
    sizes = network.activation_bytes.tolist()
    low, high = max(sizes[1:-1] or [1]), max(sum(sizes[1:-1]), 1)
    budgets = sorted({int(low * (high / low) ** (i / 63)) for i in range(64)})
    best = min(budgets, key=lambda b: (peak_bytes(sizes, byte_segments(sizes, b)), b))
    return best, byte_segments(sizes, best)


def _backward(cuts: list[tuple[int, int]], record: bool = False) -> Iterator[Op]:
    for bottom, top in reversed(cuts):
        yield Op("loadmem", bottom)
        for layer in range(bottom + 1, top):
            yield Op("fwd", layer, record=record)
            if layer < top - 1:
                yield Op("storemem", layer)
        for layer in range(top, bottom, -1):
            if layer < top:
                yield Op("loadmem", layer - 1)
            yield Op("bwd", layer)
            if layer - 1 > 0 and (layer < top or top - 1 == bottom):
                yield Op("free", layer - 1)


def closed_form(layers: int, segment: int | None = None) -> dict[str, dict[str, int]]:
    """Op counts per phase and slots needed, as the module docstring states."""
    size = segment or default_segment(layers)
    lengths = [top - bottom for bottom, top in segments(layers, size)]
    count = len(lengths)
    interior = sum(max(n - 2, 0) for n in lengths)
    return {
        "forward": {"fwd": layers, "storemem": count - 1, "loadmem": 1},
        "backward": {
            "fwd": layers - count,
            "loadmem": layers,
            "bwd": layers,
            "storemem": interior,
            "free": interior + count - 1,
        },
        "buffer_slots": {
            "needed": max(count - 1, max(i + max(n - 2, 0) for i, n in enumerate(lengths)))
        },
    }


def slots_needed(layers: int, *, segment: int | None = None) -> int:
    """Buffer slots the plan needs, from ``closed_form`` (O(L/K) work, no plan built)."""
    if segment is not None:
        require_positive("sqrt-n", "segment", segment)
    return closed_form(layers, segment)["buffer_slots"]["needed"]
