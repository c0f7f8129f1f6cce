"""The cost model: what each op costs on a chip for a network, op kind by stage.

One table, ``ns[price code, l]``, where the chip's fixed latencies, its port
bandwidths and the network's stage sizes meet: ``fwd l``/``bwd l`` pay stage
l's multiply-adds at ``compute_macs_per_ns``, a load or store of a(l) its
bytes at the port's bandwidth, each plus the kind's fixed latency (a
distribution's mean: this is the *expected* cost planners and predictions
use; runs draw the fixed part, ``chipsim.sim.draws``). Columns a kind cannot
take (``fwd 0``) hold 0. Whole-ns tables are int64, so traces stay exact.
A price code is an op kind's code, or ``RECORDED_BWD`` (``chipsim.model.ops``):
a ``bwd`` of a recorded stage pays its gradient work (``macs_bwd``) alone,
any other ``bwd`` recomputes the stage first (``macs_fwd + macs_bwd``).

Energy is priced beside it, ``energy_nj[kind code, l]``: the kind's
per-access nJ plus its bytes (loads, stores) or multiply-adds (fwd, bwd) at
the port's pJ per unit. Static power is energy per ns of the run
(``static_nj_per_ns``); ``objective_table`` folds it into a per-op cost for
planners, which is exact for serial runs (the makespan is the sum of ops).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from functools import cached_property
from typing import Any, Protocol, Self

import numpy as np

from ..errors import ConfigError
from .chip_fields import BANDWIDTH_FIELDS
from .ops import KIND_CODE, OP_KINDS, OP_LATENCY_FIELD, PRICE_CODES, RECORDED_BWD
from .stages import Chain
from .training import Training

_COMPUTE = ("fwd", "bwd")
_FWD, _BWD = KIND_CODE["fwd"], KIND_CODE["bwd"]
_COMPUTE_CODES = [_FWD, _BWD, RECORDED_BWD]
#: The op kind each price code prices: the kinds, then a ``bwd`` of a recorded stage.
PRICE_KINDS: tuple[str, ...] = (*OP_KINDS, "bwd")
#: How often each price code reads a stage's weights: a forward once, a recorded
#: ``bwd`` once (the input gradient), a ``bwd`` that recomputes its stage first twice.
WEIGHT_PASSES = np.zeros((PRICE_CODES, 1), dtype=np.int64)
WEIGHT_PASSES[[_FWD, _BWD, RECORDED_BWD], 0] = (1, 2, 1)

#: The chip's per-access energy field of each kind (None: no such term).
ACCESS_ENERGY_FIELD: dict[str, str | None] = {
    "fwd": None,
    "bwd": None,
    "storemem": "storemem_nj",
    "loadmem": "loadmem_nj",
    "storedisk": "storedisk_nj",
    "loaddisk": "loaddisk_nj",
    "free": None,
}

#: What planners may minimise (``objective_table``).
PLAN_OBJECTIVES: tuple[str, ...] = ("time", "energy", "weighted")


class PricedChip(Protocol):
    """What the cost model reads of a chip (``ChipConfig`` is one): its rates, fixed
    latencies and energy fields. A protocol, so that the chip's own conveniences
    (``ChipConfig.resolved``) can ask this model without an import cycle."""

    compute_pj_per_mac: int | float | None
    mem_pj_per_byte: int | float | None
    disk_pj_per_byte: int | float | None
    static_mw: int | float | None
    flash_bytes_per_ns: int | float | None
    flash_pj_per_byte: int | float | None
    training: Training

    def rate(self, kind: str) -> int | float | None: ...

    def op_latency_ns(self, kind: str) -> int | float: ...

    def replace(self, changes: Mapping[str, Any]) -> Self: ...


class Costs:
    """Expected ns of every (op kind, index) of ``chain`` on ``chip``."""

    def __init__(self, chip: PricedChip, chain: Chain) -> None:
        self.chip, self.chain = chip, chain

    @property
    def transfer_ns(self) -> np.ndarray:
        """(kind, index) → what the op pays for its bytes or multiply-adds (float64)."""
        return self.priced_transfer_ns[: len(OP_KINDS)]

    @property
    def ns(self) -> np.ndarray:
        """(kind, index) → expected ns: fixed latency (mean) plus transfer."""
        return self.priced_ns[: len(OP_KINDS)]

    @property
    def energy_nj(self) -> np.ndarray:
        """(kind, index) → dynamic nJ of one op."""
        return self.priced_energy_nj[: len(OP_KINDS)]

    @cached_property
    def priced_transfer_ns(self) -> np.ndarray:
        """(price code, index) → what the op pays for its bytes or multiply-adds (float64),
        or a stage's measured ``fwd_ns``/``bwd_ns`` where its table gives them."""
        table = np.zeros((PRICE_CODES, self.chain.layers + 1))
        for code, kind in enumerate(PRICE_KINDS):
            rate = self.chip.rate(kind)
            if rate is not None:
                with np.errstate(over="ignore"):  # an infinite price is refused in one line
                    table[code] = self.work(kind, recorded=code == RECORDED_BWD) / rate
        if self.chip.flash_bytes_per_ns is not None:
            table += self.flash_bytes / self.chip.flash_bytes_per_ns
        self._measured(table)
        return table

    @cached_property
    def flash_bytes(self) -> np.ndarray:
        """(price code, index) → bytes the op reads from flash: its stage's weights, once
        a pass (``WEIGHT_PASSES``), where they live there (frozen, ``weights_in =
        "flash"``). Weights in memory are read as the multiply-adds run, at their price."""
        training = self.chip.training
        if training.weights_in != "flash":
            return np.zeros((PRICE_CODES, self.chain.layers + 1), dtype=np.int64)
        frozen = np.where(training.trained(self.chain), 0, training.weight_bytes(self.chain))
        return WEIGHT_PASSES * frozen

    def _measured(self, table: np.ndarray) -> None:
        """Stages with a profile's times: fwd costs ``fwd_ns``, a recorded bwd ``bwd_ns``
        and a bwd that recomputes first both (each MAC-priced where not measured)."""
        measured_fwd, measured_bwd = (
            self.chain.measured_ns("fwd_ns"),
            self.chain.measured_ns("bwd_ns"),
        )
        if measured_fwd is None and measured_bwd is None:
            return
        forward = _where_measured(measured_fwd, table[_FWD])
        gradient = _where_measured(measured_bwd, table[RECORDED_BWD])
        table[_FWD], table[_BWD], table[RECORDED_BWD] = forward, forward + gradient, gradient

    @cached_property
    def gradient_macs(self) -> np.ndarray:
        """Each stage's gradient work: ``macs_bwd`` where it trains, half of it (the input
        gradient, no weight gradient) where it is frozen (``chipsim.model.training``)."""
        macs = self.chain.macs_bwd
        return np.where(self.chip.training.trained(self.chain), macs, macs // 2)

    def work(self, kind: str, *, recorded: bool = False) -> np.ndarray:
        """Multiply-adds (fwd, bwd) or bytes (loads, stores) of each index; 0 for ``free``.
        A ``bwd`` recomputes its stage's forward first unless the stage was ``recorded``."""
        chain = self.chain
        if kind == "fwd":
            return chain.macs_fwd
        if kind == "bwd":
            return self.gradient_macs if recorded else chain.macs_fwd + self.gradient_macs
        if OP_LATENCY_FIELD[kind] is None:
            return np.zeros(chain.layers + 1, dtype=np.int64)
        return chain.activation_bytes

    @cached_property
    def priced_ns(self) -> np.ndarray:
        """(price code, index) → expected ns: fixed latency (mean) plus transfer."""
        fixed = np.array([self.chip.op_latency_ns(kind) for kind in PRICE_KINDS], dtype=float)
        table = fixed[:, None] + self.priced_transfer_ns
        table[_COMPUTE_CODES, 0] = 0  # there is no stage 0
        if not np.isfinite(table).all():
            slow = ", ".join(f for f in BANDWIDTH_FIELDS if getattr(self.chip, f))
            raise ConfigError(
                f"on {self.chain.name} an op takes more than {np.finfo(float).max:g} ns: "
                f"{slow} too small"
            )
        if bool((table == np.floor(table)).all()) and table.max() < 2**53:
            return table.astype(np.int64)
        return table

    @cached_property
    def priced_energy_nj(self) -> np.ndarray:
        """(price code, index) → dynamic nJ of one op: per access plus work × pJ per unit
        / 1000."""
        table = np.zeros((PRICE_CODES, self.chain.layers + 1))
        for code, kind in enumerate(PRICE_KINDS):
            access, per_unit = ACCESS_ENERGY_FIELD[kind], self._pj_per_unit(kind)
            if access is not None and getattr(self.chip, access) is not None:
                table[code] += getattr(self.chip, access)
            if per_unit:
                table[code] += self.work(kind, recorded=code == RECORDED_BWD) * per_unit / 1000
        if self.chip.flash_pj_per_byte:
            table += self.flash_bytes * self.chip.flash_pj_per_byte / 1000
        table[_COMPUTE_CODES, 0] = 0  # there is no stage 0
        return table

    def _pj_per_unit(self, kind: str) -> int | float | None:
        """pJ per multiply-add (fwd, bwd) or per byte on the kind's port; None for free."""
        chip = self.chip
        if kind in _COMPUTE:
            if chip.compute_pj_per_mac and not self.chain.macs_fwd.any():
                raise ConfigError(
                    f"chip field compute_pj_per_mac ({chip.compute_pj_per_mac}) prices "
                    f"multiply-adds, but network {self.chain.name} declares none; give the "
                    "stages' macs_fwd or drop the field"
                )
            return chip.compute_pj_per_mac
        if OP_LATENCY_FIELD[kind] is None:
            return None
        return chip.disk_pj_per_byte if kind.endswith("disk") else chip.mem_pj_per_byte

    @property
    def static_nj_per_ns(self) -> float:
        """Static power as nJ per ns of run time (mW / 1000); 0 when the chip sets none."""
        return (self.chip.static_mw or 0) / 1000

    def objective_table(self, objective: str, ns_per_nj: float = 0.0) -> np.ndarray:
        """(kind, index) → what one op costs a planner minimising ``objective``.

        ``time``: expected ns. ``energy``: dynamic nJ plus static power over
        the op's expected ns. ``weighted``: ns + ``ns_per_nj`` × that energy.
        Every DP prices plans through this one table.
        """
        return self.priced_objective_table(objective, ns_per_nj)[: len(OP_KINDS)]

    def priced_objective_table(self, objective: str, ns_per_nj: float = 0.0) -> np.ndarray:
        """``objective_table`` by price code: a recorded stage's ``bwd`` in the last row."""
        if objective not in PLAN_OBJECTIVES:
            raise ConfigError(
                f"objective must be one of {', '.join(PLAN_OBJECTIVES)}, got {objective!r}"
            )
        if objective == "time":
            return self.priced_ns.astype(float)
        energy = self.priced_energy_nj + self.static_nj_per_ns * self.priced_ns
        return energy if objective == "energy" else self.priced_ns + ns_per_nj * energy

    def transfer_fraction(
        self, kind: str, layers: np.ndarray, *, recorded: bool = False
    ) -> tuple[int, Fraction]:
        """(how many, their summed transfer ns as an exact fraction) of ops of ``kind`` on
        ``layers``: what break-even solving adds up without rounding."""
        rate = self.chip.rate(kind)
        if rate is None or not len(layers):
            return len(layers), Fraction(0)
        counts = np.bincount(layers, minlength=self.chain.layers + 1).astype(object)
        work = int(np.dot(counts, self.work(kind, recorded=recorded).astype(object)))
        return len(layers), Fraction(work) / Fraction(rate)

    def of_ops(self, kind_codes: np.ndarray, layers: np.ndarray) -> np.ndarray:
        """The expected ns of each op of a plan's columns (its ``price_codes``)."""
        return self.priced_ns[kind_codes, layers]

    @cached_property
    def uniform(self) -> bool:
        """Whether every activation has one size and each kind one price at every index."""
        return self.uniform_in(self.ns)

    def uniform_in(self, table: np.ndarray) -> bool:
        """Whether every activation has one size and ``table`` one price per kind."""
        if self.chain.equal_width is None:
            return False
        body = table[:, 1:]
        data = [code for code, kind in enumerate(OP_KINDS) if kind not in _COMPUTE]
        a0_alike = (table[data, 0] == table[data, 1]).all()  # a0 moves like the others
        return bool((body == body[:, :1]).all() and a0_alike)

    def uniform_chip(self, table: np.ndarray | None = None) -> PricedChip:
        """A uniform chain's prices (``ns``, or ``table``) as a chip's fixed latencies:
        what equal-size planners read."""
        table = self.ns if table is None else table
        assert self.uniform_in(table), "only a uniform chain has one price per op kind"
        changes = {
            field: _plain(table[code, 1])
            for code, kind in enumerate(OP_KINDS)
            if (field := OP_LATENCY_FIELD[kind]) is not None
        }
        priced = (*BANDWIDTH_FIELDS, "flash_bytes_per_ns")  # now in the fixed latencies
        return self.chip.replace({**changes, **dict.fromkeys(priced)})


def _plain(value: np.generic) -> int | float:
    item = value.item()
    return (
        int(item) if isinstance(item, float) and math.isfinite(item) and item.is_integer() else item
    )


def _where_measured(measured: np.ndarray | None, priced: np.ndarray) -> np.ndarray:
    """A profile's times where a stage has them, the MAC price elsewhere."""
    return priced if measured is None else np.where(np.isnan(measured), priced, measured)
