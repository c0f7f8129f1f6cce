"""Errors a user can cause, each with the CLI exit status it maps to.

Every message is one line that names what is wrong and what would be valid,
so the CLI can print it as-is instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .formatting import bytes_of
from .limits import MAX_TOTAL


class ChipsimError(Exception):
    """Base class of every error chipsim raises on purpose."""

    exit_code = 1


class ConfigError(ChipsimError, ValueError):
    """A chip field, network size, scenario file or CLI value is invalid."""

    exit_code = 2


class StrategyError(ChipsimError, ValueError):
    """An unknown strategy, an unknown parameter or an invalid parameter value."""

    exit_code = 2


class Refusal(ChipsimError):
    """A strategy cannot run on this scenario, found before anything runs.

    Comparisons and reports show its message in place of a result instead of
    failing. ``bytes_needed`` is what the plan needs of the place the chip
    field ``field`` sizes, when room is what stops it (else None);
    ``slot_bytes`` one slot's bytes where that field counts slots.
    """

    bytes_needed: int | None = None
    field: str = "buffer_slots"
    slot_bytes: int | None = None

    @property
    def slots_needed(self) -> int | None:
        """``bytes_needed`` in the chip field's unit (slots, or bytes on a byte budget)."""
        return _in_units(self.bytes_needed, self.slot_bytes)

    @property
    def buffer_slots_needed(self) -> int | None:
        """The buffer slots the plan needs, when they are what stops it (else None)."""
        return self.slots_needed if self.field == "buffer_slots" else None

    @property
    def buffer_bytes_needed(self) -> int | None:
        """The buffer bytes the plan needs, when a byte budget is what stops it (else None)."""
        return self.bytes_needed if self.field == "buffer_bytes" else None


class DoesNotFit(Refusal):
    """A plan needs more room than the chip has: bytes, said in the chip field's unit.

    ``memory_at_peak``: on a chip with one memory, the plan's peak by role
    (``chipsim.sim.plan_memory.MemoryAtPeak``) where the refusal knows it, else None.
    """

    exit_code = 3

    def __init__(
        self,
        strategy: str,
        bytes_needed: int,
        bytes_available: int,
        field: str = "buffer_bytes",
        slot_bytes: int | None = None,
        detail: str = "",
        *,
        memory_at_peak: Any = None,
    ) -> None:
        self.strategy = strategy
        self.memory_at_peak = memory_at_peak  # the one memory at the peak, where known
        self.bytes_needed, self.bytes_available = bytes_needed, bytes_available
        self.field, self.slot_bytes = field, slot_bytes
        needed, available = self.slots_needed, self.slots_available
        if field.endswith("_bytes") and slot_bytes is None:  # sizes for people (formatting)
            place = field.removesuffix("_bytes").replace("_", " ")
            room = f"{bytes_of(bytes_needed)} of {place}; the chip has {bytes_of(bytes_available)}"
        else:
            noun = field.replace("_", " ").removesuffix("s" if needed == 1 else "")
            room = f"{needed} {noun}; the chip has {available}"
        super().__init__(f"{strategy} needs {room} ({_try(field, needed)}){detail}")

    @property
    def slots_available(self) -> int:
        """``bytes_available`` in the chip field's unit (slots, or bytes on a byte budget)."""
        return _in_units(self.bytes_available, self.slot_bytes)


def _try(field: str, needed: int | None) -> str:
    """The value to set, where the field can hold it (every integer field is at most
    ``MAX_TOTAL``); past that, say that no value of it fits."""
    if needed is not None and needed > MAX_TOTAL:
        return f"no {field} holds it: the field is at most 2**62, chipsim.limits.MAX_TOTAL"
    return f"try --set {field}={needed}"


def _in_units(nbytes: int | None, slot_bytes: int | None) -> int | None:
    return nbytes if nbytes is None or slot_bytes is None else nbytes // slot_bytes


class PlanTooLarge(StrategyError, Refusal):
    """A planner would need far longer than is reasonable for this problem's size."""


class NoBreakEven(ChipsimError):
    """Two strategies never tie for any valid value of the parameter."""

    exit_code = 3


class ModelViolation(ChipsimError):
    """A plan broke a rule of the chip model while running (names the op)."""

    exit_code = 1


class PlanError(ModelViolation):
    """A plan is malformed or breaks a rule that is checked before it runs.

    Raised by ``Plan`` and ``Plan.build``, naming the op and its position. A
    ``ModelViolation`` (exit status 1): the strategy that built the plan is
    at fault, not the command line's input, as with a rule broken mid-run.
    """


class GradientMismatch(ChipsimError):
    """A run's weight gradients differ from plain backprop: the run failed."""

    exit_code = 1


class DiskReadError(ChipsimError):
    """A disk read failed more times in a row than the chip retries."""

    exit_code = 4


def did_you_mean(word: str, choices: Iterable[object]) -> str:
    """``"; did you mean 'sqrt-n'?"`` when ``word`` is close to one of ``choices`` (difflib),
    else "": the tail of an "unknown name" message."""
    import difflib

    names = [str(choice) for choice in choices]
    folded = {name.lower().replace("_", "-"): name for name in names}
    close = difflib.get_close_matches(word.lower().replace("_", "-"), list(folded), n=1, cutoff=0.6)
    return f"; did you mean {folded[close[0]]!r}?" if close else ""
