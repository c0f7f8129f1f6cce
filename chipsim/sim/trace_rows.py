"""A run's trace rows, computed from its plan and timing a block of ops at a time.

A trace of a 10⁶-layer revolve plan has 13.6 million rows: its eleven columns
would take about 700 MB. ``PlanRows`` keeps what the rows are made of (the
plan's columns, the attempts, the durations or the scheduled times, the byte
and energy tables) and makes any columns asked for a block of ops at a time,
so a summary (a phase's latency, its op counts, the buffer's peak) never
holds a column the plan's length. Each block equals the slice of the column
the whole computation gives, bit for bit: running sums carry on from the
previous block's last value, as ``np.cumsum`` adds, in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np

from ..model.ops import OP_KINDS, PORT_CODE_OF_KIND
from .plan import Plan
from .plan_memory import BLOCK_OPS, in_use_blocks

_DATA_KINDS = ("storemem", "loadmem", "storedisk", "loaddisk", "free")
#: Each op kind's port code (the ``resource`` column).
PORT_OF_KIND = np.array(PORT_CODE_OF_KIND, dtype=np.int8)
#: 1 for the kinds that move, store or free an activation's bytes.
_MOVES = np.array([kind in _DATA_KINDS for kind in OP_KINDS], dtype=np.int64)

Block = dict[str, np.ndarray]


class Durations(Protocol):
    """What a serial run's times are summed from: an array, or ``draws.OpDurations``."""

    def __len__(self) -> int: ...

    def __getitem__(self, rows: slice) -> np.ndarray: ...


class PlanRows:
    """The rows of running ``plan``: one per attempt of each op (``attempts`` None: one each).

    ``times`` is the durations of a serial run (each row starts when the one
    before ends) or the (start, end) columns a schedule gave; ``sizes`` each
    a(l)'s bytes, l = 0..L; ``energy`` the (price code, index) nJ table or None;
    ``block_ops`` how many ops each block holds.
    """

    def __init__(
        self,
        plan: Plan,
        attempts: np.ndarray | None,
        times: Durations | tuple[np.ndarray, np.ndarray],
        sizes: np.ndarray,
        energy: np.ndarray | None,
        block_ops: int = BLOCK_OPS,
    ) -> None:
        self.plan, self.attempts, self.times = plan, attempts, times
        self.sizes, self.energy, self.block_ops = sizes, energy, block_ops
        self.rows = len(plan) if attempts is None else int(attempts.sum())

    def whole(self, name: str) -> np.ndarray:
        """One column, whole: the plan's own where it is one, else its blocks joined."""
        plan, one_each = self.plan, self.attempts is None
        if one_each and name in _PLAN_COLUMNS:
            return getattr(plan, _PLAN_COLUMNS[name])
        if one_each and name == "attempt":
            return np.broadcast_to(np.int64(1), (self.rows,))  # read-only, no memory per op
        if isinstance(self.times, tuple) and name in ("start_ns", "end_ns"):
            return self.times[0] if name == "start_ns" else self.times[1]
        column, row = None, 0
        for block in self.blocks((name,)):
            part = block[name]
            if column is None:  # filled in place: never the blocks and the column at once
                column = np.empty(max(self.rows, len(part)), dtype=part.dtype)
            column[row : row + len(part)] = part
            row += len(part)
        return column

    def blocks(self, names: tuple[str, ...]) -> Iterator[Block]:
        """The columns ``names`` a block of ops at a time, in row order."""
        plan, attempts = self.plan, self.attempts
        in_use = {
            name: in_use_blocks(plan, sizes, self.block_ops)
            for name, sizes in (("buffer_slots_used", None), ("buffer_bytes_used", self.sizes))
            if name in names
        }
        row, previous_end = 0, None
        for lo in range(0, max(len(plan), 1), self.block_ops):
            ops = slice(lo, lo + self.block_ops)
            block = {name: next(blocks) for name, blocks in in_use.items()}
            block.update(self._per_op(ops, names))
            tries = None if attempts is None else attempts[ops]
            if tries is not None:
                block = {name: np.repeat(column, tries) for name, column in block.items()}
                if "attempt" in names:
                    first = np.repeat(np.cumsum(tries) - tries, tries)
                    block["attempt"] = np.arange(len(first), dtype=np.int64) - first + 1
            rows = slice(
                row, row + (len(plan.kind_codes[ops]) if tries is None else int(tries.sum()))
            )
            if "start_ns" in names or "end_ns" in names:
                block["start_ns"], block["end_ns"] = self._times(rows, previous_end)
                previous_end = block["end_ns"][-1:] if rows.stop > rows.start else previous_end
            row = rows.stop
            yield block

    def _per_op(self, ops: slice, names: tuple[str, ...]) -> Block:
        """The columns with one value per op of the block (before any retry repeats it)."""
        plan, block = self.plan, {}
        codes, layers = plan.kind_codes[ops], plan.layer_numbers[ops]
        for name in names:
            if name in _PLAN_COLUMNS:
                block[name] = getattr(plan, _PLAN_COLUMNS[name])[ops]
            elif name == "phase":
                block[name] = (
                    np.arange(ops.start, ops.start + len(codes)) >= plan.forward_ops
                ).astype(np.int8)
            elif name == "resource":
                block[name] = PORT_OF_KIND[codes]
            elif name == "bytes":
                block[name] = _MOVES[codes] * self.sizes[layers]
            elif name == "energy_nj" and self.energy is not None:
                block[name] = self.energy[plan.price_codes[ops], layers]
            elif name == "attempt" and self.attempts is None:
                block[name] = np.ones(len(codes), dtype=np.int64)
        return block

    def _times(self, rows: slice, previous_end: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Start and end of the block's rows: given, or the running sum of the durations."""
        if isinstance(self.times, tuple):
            return self.times[0][rows], self.times[1][rows]
        durations = self.times[rows]
        if previous_end is None:
            end = np.cumsum(durations)
            previous_end = np.zeros(1, dtype=end.dtype)
        else:  # the running sum goes on from the last end: the same additions in order
            end = np.cumsum(np.concatenate([previous_end, durations]))[1:]
        return np.concatenate([previous_end, end[:-1]]), end

    def phase_bounds_ns(self) -> dict[str, tuple[int | float, int | float]]:
        """Each phase from the end of the one before (0 for the first) to its latest end."""
        split = self.plan.forward_ops
        before = split if self.attempts is None else int(self.attempts[:split].sum())
        latest: list[list[np.ndarray]] = [[], []]
        row = 0
        for block in self.blocks(("end_ns",)):
            end = block["end_ns"]
            cut = min(max(before - row, 0), len(end))
            for phase, part in enumerate((end[:cut], end[cut:])):
                if len(part):
                    latest[phase].append(part.max())
            row += len(end)
        forward_end = max(latest[0]).item() if latest[0] else 0
        backward_end = max(latest[1]).item() if latest[1] else forward_end
        return {"forward": (0, forward_end), "backward": (forward_end, backward_end)}


#: Columns that are a plan's own column while each op takes one row.
_PLAN_COLUMNS = {"op": "kind_codes", "layer": "layer_numbers", "prefetch": "prefetch"}
