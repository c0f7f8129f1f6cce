"""Refuse a plan that cannot fit before building it, from the strategy's closed form.

Building the plan of ``full-store`` at L = 10⁷ takes minutes and gigabytes
only to learn that it needs 10⁷ - 1 slots. Each strategy with a closed form
for its buffer slots has a ``slots_needed(layers, **params)`` function; the
registry calls ``check_slots`` before ``plan``. Strategies without one
(``revolve``, ``optimal``: they plan for the chip's slots) are not prechecked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .chip import ChipConfig
from .errors import DoesNotFit
from .strategies import disk_offload, full_store, sqrt_n, stride

#: Strategy name → its ``slots_needed(layers, **params)``.
SLOTS_NEEDED: dict[str, Callable[..., int]] = {
    "full-store": full_store.slots_needed,
    "stride": stride.slots_needed,
    "sqrt-n": sqrt_n.slots_needed,
    "disk-offload": disk_offload.slots_needed,
}


def check_slots(
    name: str, label: str, layers: int, chip: ChipConfig, params: Mapping[str, Any]
) -> None:
    """Raise ``DoesNotFit`` (for spec ``label``) when strategy ``name`` cannot fit ``chip``."""
    needed = SLOTS_NEEDED.get(name)
    if needed is None:
        return
    slots = needed(layers, **params)
    if slots > chip.buffer_slots:
        raise DoesNotFit(label, slots, chip.buffer_slots)
