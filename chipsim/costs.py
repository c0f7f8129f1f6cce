"""The cost model: what each op costs on a chip for a network, op kind by stage.

One table, ``ns[kind code, l]``, where the chip's fixed latencies, its port
bandwidths and the network's stage sizes meet: ``fwd l``/``bwd l`` pay stage
l's multiply-adds at ``compute_macs_per_ns``, a load or store of a(l) its
bytes at the port's bandwidth, each plus the kind's fixed latency (a
distribution's mean: this is the *expected* cost planners and predictions
use; runs draw the fixed part, ``chipsim.draws``). Columns a kind cannot
take (``fwd 0``) hold 0. Whole-ns tables are int64, so traces stay exact.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from .chip import BANDWIDTH_FIELDS, ChipConfig
from .errors import ConfigError
from .ops import OP_KINDS, OP_LATENCY_FIELD
from .stages import Chain

_COMPUTE = ("fwd", "bwd")


class Costs:
    """Expected ns of every (op kind, index) of ``chain`` on ``chip``."""

    def __init__(self, chip: ChipConfig, chain: Chain) -> None:
        self.chip, self.chain = chip, chain

    @cached_property
    def transfer_ns(self) -> np.ndarray:
        """(kind, index) → what the op pays for its bytes or multiply-adds (float64)."""
        table = np.zeros((len(OP_KINDS), self.chain.layers + 1))
        for code, kind in enumerate(OP_KINDS):
            rate = self.chip.rate(kind)
            if rate is not None:
                table[code] = self.work(kind) / rate
        return table

    def work(self, kind: str) -> np.ndarray:
        """Multiply-adds (fwd, bwd) or bytes (loads, stores) of each index; 0 for ``free``."""
        chain = self.chain
        if kind in _COMPUTE:
            return chain.macs_fwd if kind == "fwd" else chain.macs_bwd
        if OP_LATENCY_FIELD[kind] is None:
            return np.zeros(chain.layers + 1, dtype=np.int64)
        return chain.activation_bytes

    @cached_property
    def ns(self) -> np.ndarray:
        """(kind, index) → expected ns: fixed latency (mean) plus transfer."""
        fixed = np.array([self.chip.op_latency_ns(kind) for kind in OP_KINDS], dtype=float)
        table = fixed[:, None] + self.transfer_ns
        table[[OP_KINDS.index(kind) for kind in _COMPUTE], 0] = 0  # there is no stage 0
        if not np.isfinite(table).all():
            slow = ", ".join(f for f in BANDWIDTH_FIELDS if getattr(self.chip, f))
            raise ConfigError(
                f"on {self.chain.name} an op takes more than {np.finfo(float).max:g} ns: "
                f"{slow} too small"
            )
        if bool((table == np.floor(table)).all()) and table.max() < 2**53:
            return table.astype(np.int64)
        return table

    def of_ops(self, kind_codes: np.ndarray, layers: np.ndarray) -> np.ndarray:
        """The expected ns of each op of a plan's columns."""
        return self.ns[kind_codes, layers]

    @cached_property
    def uniform(self) -> bool:
        """Whether every activation has one size and each kind one price at every index."""
        if self.chain.equal_width is None:
            return False
        body = self.ns[:, 1:]
        data = [code for code, kind in enumerate(OP_KINDS) if kind not in _COMPUTE]
        a0_alike = (self.ns[data, 0] == self.ns[data, 1]).all()  # a0 moves like the others
        return bool((body == body[:, :1]).all() and a0_alike)

    def uniform_chip(self) -> ChipConfig:
        """A uniform chain's prices as a chip's fixed latencies: what equal-size planners read."""
        assert self.uniform, "only a uniform chain has one price per op kind"
        changes = {
            field: _plain(self.ns[code, 1])
            for code, kind in enumerate(OP_KINDS)
            if (field := OP_LATENCY_FIELD[kind]) is not None
        }
        return self.chip.replace({**changes, **dict.fromkeys(BANDWIDTH_FIELDS)})


def _plain(value: np.generic) -> int | float:
    item = value.item()
    return (
        int(item) if isinstance(item, float) and math.isfinite(item) and item.is_integer() else item
    )
