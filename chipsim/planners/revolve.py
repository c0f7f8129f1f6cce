"""revolve[:slots=c] — binomial checkpointing (Griewank and Walther, "Algorithm 799: Revolve").

Revolve reverses a chain of l steps with c snapshots using the least number
of forward advances, t(l, c) = r·l − C(c+r, r−1), r the smallest integer with
C(c+r, c) ≥ l. Its conventions: c counts the snapshot of the initial state;
t includes the first forward sweep up to step l−1; each reverse step
("youturn") includes one recorded forward of its step, not counted in t.

Mapping onto our chip. Step i (i = 0..L) takes x_i = a(i) to x_{i+1}, where
steps 0..L−1 are the layers and step L is the loss. Reversing step L is the
loss evaluation between our phases (it needs a(L) in registers, where the
forward phase leaves it); reversing step i < L is ``bwd i+1``, whose recorded
forward is the pre-activation our ``bwd`` recomputes. Revolve's first sweep,
x_0 → x_L, is our forward phase (L ``fwd``). a0 lives in inputs and takes no
slot, so Revolve's c = ``slots`` + 1. Hence, exactly:

    backward fwd = t(L+1, slots+1) − L

(the course chip, L = 10 and 2 slots: t(11, 3) = 18, so 8 recomputations
instead of stride:k=5's 20). Restores are ``loadmem``, snapshots ``storemem``
(and ``free`` when released); slots are reused once freed.

The plan is Griewank's binomial schedule itself (``binomial.py``), built in
O(1) per op with no table, so any L that fits in memory plans. The tests
check it attains t, and matches the dynamic program of ``optimal`` on
Revolve's own cost model (``ADVANCES_ONLY``: forward advances cost 1,
everything else 0, no disk), for every L ≤ 200 and slots ≤ 10. Revolve
ignores the chip's real latencies; ``optimal`` uses them.
"""

from __future__ import annotations

import dataclasses
from math import comb

from ..formatting import bytes_of
from ..model.chip import ChipConfig
from ..model.stages import Chain
from ..sim.plan import Plan
from . import binomial
from .common import require_positive

#: Revolve's cost model: count forward advances, nothing else.
ADVANCES_ONLY = ChipConfig(
    fwd_ns=1, bwd_ns=0, loadmem_ns=0, storemem_ns=0, loaddisk_ns=0, storedisk_ns=0
)


def plan(network: Chain, chip: ChipConfig, *, slots: int | None = None) -> Plan:
    """``slots`` defaults to what the chip's buffer holds (``buffer_slots``, or on a
    byte budget, how many of the network's largest activations fit)."""
    if slots is not None:
        require_positive("revolve", "slots", slots)
    count, notes = (slots, ()) if slots is not None else _slots(network, chip)
    label = "revolve" if slots is None else f"revolve:slots={slots}"
    return dataclasses.replace(binomial.plan(label, network.layers, count), notes=notes)


def _slots(network: Chain, chip: ChipConfig) -> tuple[int, tuple[str, ...]]:
    """Revolve counts equal snapshots: the chip's slots, or as many of the largest
    activation as the byte budget holds (said in a note where sizes differ)."""
    count = max(chip.slots_for(network), 1)
    if network.equal_width is not None:
        return count, ()
    budget, largest = chip.buffer_capacity_bytes(network), int(network.activation_bytes[1:].max())
    return count, (
        f"revolve assumes equal sizes: it plans {count} snapshot slot{'s' * (count > 1)} "
        "of the largest "
        f"activation ({bytes_of(largest)}), what the {bytes_of(budget)} buffer holds",
    )


def advances(steps: int, snapshots: int) -> int:
    """Griewank's t(l, c): least forward advances to reverse l steps with c snapshots."""
    if steps <= 1:
        return 0
    r = 0
    while comb(snapshots + r, snapshots) < steps:
        r += 1
    return r * steps - comb(snapshots + r, r - 1)


def backward_recomputations(layers: int, slots: int) -> int:
    """Our backward-phase ``fwd`` count: t(L+1, slots+1) − L."""
    return advances(layers + 1, slots + 1) - layers
