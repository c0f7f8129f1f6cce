"""Plans built as runs of ops, straight into columns: no Python object per op.

``Plan.build`` encodes ``Op`` tuples one by one, which is right for plug-ins
(each op is checked, and a bad one named). A built-in strategy knows its ops
are well formed and comes in runs: ``fwd`` base+1..k is one run, a load or a
store a run of one. ``PlanColumns`` keeps each run as three numbers in typed
arrays (its kind code, first layer and length: 9 bytes a run), and ``plan``
expands them into the plan's columns once, a block of runs at a time, so
building never holds more than the finished columns and the runs.
"""

from __future__ import annotations

from array import array

import numpy as np

from ..model.ops import KIND_CODE
from .plan import Plan

FWD, BWD = KIND_CODE["fwd"], KIND_CODE["bwd"]
LOADMEM, STOREMEM, FREE = KIND_CODE["loadmem"], KIND_CODE["storemem"], KIND_CODE["free"]
_BLOCK_RUNS = 1 << 16  # runs expanded at a time


class PlanColumns:
    """A plan's ops as they are emitted: runs of one kind over consecutive layers."""

    def __init__(self) -> None:
        self.codes, self.firsts, self.counts = array("b"), array("i"), array("i")
        self.total = 0
        self.forward_ops: int | None = None

    def op(self, code: int, layer: int) -> None:
        """One op: kind ``code`` (an index into OP_KINDS) on ``layer``."""
        self.codes.append(code)
        self.firsts.append(layer)
        self.counts.append(1)
        self.total += 1

    def run(self, code: int, first: int, last: int) -> None:
        """Ops of kind ``code`` on layers first, first + 1, …, last (none if last < first)."""
        if last >= first:
            self.codes.append(code)
            self.firsts.append(first)
            self.counts.append(last - first + 1)
            self.total += last - first + 1

    def end_forward(self) -> None:
        """The forward phase ends here; the ops from now on are the backward phase's."""
        self.forward_ops = self.total

    def plan(self, strategy: str, layers: int, notes: tuple[str, ...] = ()) -> Plan:
        """The Plan of the ops emitted, checked as any Plan is."""
        assert self.forward_ops is not None, "end_forward was never called"
        kinds, numbers = np.empty(self.total, dtype=np.int8), np.empty(self.total, dtype=np.int64)
        codes, firsts, counts = (np.frombuffer(column, dtype=column.typecode) for column in
                                 (self.codes, self.firsts, self.counts))  # fmt: skip
        begin = 0  # the first position of the block's first run
        for block in range(0, len(counts), _BLOCK_RUNS):
            runs = slice(block, block + _BLOCK_RUNS)
            ends = np.cumsum(counts[runs], dtype=np.int64) + begin
            starts = ends - counts[runs]  # each run's first position
            _expand(kinds, numbers, codes[runs], firsts[runs], counts[runs], starts)
            begin = int(ends[-1])
        return Plan(strategy, layers, kinds, numbers, self.forward_ops, None, notes)


def _expand(kinds, numbers, codes, firsts, counts, starts) -> None:
    """Write a block of runs into the columns: run r holds ops starts[r] onwards."""
    begin, end = int(starts[0]), int(starts[-1] + counts[-1])
    kinds[begin:end] = np.repeat(codes, counts)
    numbers[begin:end] = np.repeat(firsts - starts, counts)
    numbers[begin:end] += np.arange(begin, end)
