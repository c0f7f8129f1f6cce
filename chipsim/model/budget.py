"""The one memory capacity plans are checked against, in bytes, and how people say it.

Slots are a way of *saying* bytes on an equal-width network: the chip's
``buffer_slots`` become ``slots × one activation's bytes`` once, in
``ChipConfig.budget(chain)``, and every check (planners' prechecks, the plan's
static accounting, the engine's buffer) compares bytes with ``capacity_bytes``.
``slot_bytes`` remembers the slot's size so that refusals still speak the
chip's unit ("needs 9 buffer slots; the chip has 2").
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DoesNotFit


@dataclass(frozen=True)
class Budget:
    """``capacity_bytes`` of the place the chip field ``field`` sizes; ``slot_bytes`` is
    one slot's bytes where that field counts slots (None where it counts bytes)."""

    capacity_bytes: int
    field: str = "buffer_bytes"
    slot_bytes: int | None = None

    def refuse_over(self, strategy: str, bytes_needed: int) -> None:
        """Raise ``DoesNotFit`` when ``bytes_needed`` is more than the capacity."""
        if bytes_needed > self.capacity_bytes:
            raise DoesNotFit(
                strategy, bytes_needed, self.capacity_bytes, self.field, self.slot_bytes
            )

    def in_units(self, nbytes: int) -> int:
        """``nbytes`` in the chip's unit: slots where it counts slots, else bytes."""
        return nbytes if self.slot_bytes is None else nbytes // self.slot_bytes
