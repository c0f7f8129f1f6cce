"""What chance decides in one run: each op's duration (jitter) and disk read retries (faults).

Replication ``i`` of seed ``s`` draws from ``SeedSequence(s, spawn_key=(i,))``,
the i-th child ``SeedSequence(s).spawn`` makes, so ``chipsim run --seed s``
is replication 0 of ``--replications N``. Within a replication, jitter and
faults have child streams of their own (``spawn_key=(i, 0)`` and
``(i, 1)``): adding jitter does not move the fault pattern. A chip with
neither draws nothing, and its durations are its fixed latencies, exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import DiskReadError
from ..formatting import exact_text, time_text
from ..model.chip import ChipConfig
from ..model.costs import PRICE_KINDS, Costs
from ..model.latency import Distribution
from ..model.ops import KIND_CODE, OP_LATENCY_FIELD
from ..model.stages import Chain
from .plan import Plan
from .plan_memory import BLOCK_OPS
from .trace_rows import Durations

_LOADDISK = KIND_CODE["loaddisk"]


class Prices:
    """Each op kind's expected ns at each index on one chip for one network, and the
    kinds whose latency is a distribution: what a run's draws start from.

    ``table[price code, l]`` is ``Costs.priced_ns``; when every stage is priced
    alike (an equal-width MLP) it keeps only indices 0 and 1, which is all
    of it: a long run holds 16 numbers a kind rather than 8 bytes an index.
    """

    def __init__(self, chip: ChipConfig, chain: Chain) -> None:
        costs = Costs(chip, chain)
        self.jittered = [
            (code, latency)
            for code, kind in enumerate(PRICE_KINDS)
            if (field := OP_LATENCY_FIELD[kind]) is not None
            and isinstance(latency := getattr(chip, field), Distribution)
        ]
        self.transfer_ns = costs.priced_transfer_ns if self.jittered else None
        table = costs.priced_ns
        bits = table.view(np.int64)  # int64 or float64: alike means bit for bit
        alike = table.shape[1] > 2 and all((row[1:] == row[1]).all() for row in bits)
        self.table = table[:, :2].copy() if alike else table
        self.alike = alike

    def of_ops(self, codes: np.ndarray, layers: np.ndarray) -> np.ndarray:
        """The price of each op (price code, layer): ``Costs.of_ops``."""
        return self.table[codes, np.minimum(layers, 1) if self.alike else layers]


class OpDurations:
    """Each op's fixed duration, priced a slice at a time.

    ``durations[lo:hi]`` is ``prices.of_ops(price_codes, layer_numbers)[lo:hi]``
    in ``dtype``, with no column the plan's length: a run without jitter or
    faults reads its durations a block at a time (``chipsim.sim.trace_rows``).
    """

    def __init__(self, prices: Prices, plan: Plan, dtype: np.dtype | type) -> None:
        self.prices, self.plan, self.dtype = prices, plan, np.dtype(dtype)

    def __len__(self) -> int:
        return len(self.plan)

    def __getitem__(self, rows: slice) -> np.ndarray:
        codes, layers = self.plan.price_codes[rows], self.plan.layer_numbers[rows]
        return self.prices.of_ops(codes, layers).astype(self.dtype, copy=False)

    def whole(self) -> np.ndarray:
        return self[:]


@dataclass(frozen=True)
class Draws:
    """One run's durations, one per trace row, and the rows each plan op takes.

    ``attempts[i]`` is how many reads plan op i took (1 unless it is a
    faulty ``loaddisk``); ``failed_op`` is the first op whose every read
    failed (the run stops there), or None. ``durations`` is an array, or
    an ``OpDurations`` when every op took its fixed price.
    """

    durations: np.ndarray | OpDurations
    attempts: np.ndarray
    failed_op: int | None

    @property
    def durations_ns(self) -> np.ndarray:
        """The durations as one array."""
        durations = self.durations
        return durations.whole() if isinstance(durations, OpDurations) else durations


def draw(
    plan: Plan, chip: ChipConfig, network: Chain | int, seed: int, replication: int = 0
) -> Draws:
    """The durations and retries of running ``plan`` on ``chip`` for ``network``.

    ``network`` may be a width: the course's equal-width MLP at that width.
    """
    return Sampler(plan, chip, network, seed).draw(replication)


class Sampler:
    """Draws one plan's timing on one chip, replication after replication.

    What every replication shares (each op's expected cost, which ops
    jitter, where the disk reads are) is worked out once; each op's expected
    cost stays a lookup in the price table until a draw needs it as a column.
    ``prices``, the chip's ``Prices`` for ``network``, spares pricing it again.
    """

    def __init__(
        self,
        plan: Plan,
        chip: ChipConfig,
        network: Chain | int,
        seed: int,
        prices: Prices | None = None,
    ) -> None:
        self.plan, self.chip, self.seed = plan, chip, seed
        if prices is None:
            chain = network if isinstance(network, Chain) else _equal_width(plan, chip, network)
            prices = Prices(chip, chain)
        self.jittered, self.transfer_ns = prices.jittered, prices.transfer_ns
        exact = not self.jittered and prices.table.dtype == np.int64
        if exact:  # whole ns stay int64 while no sum can overflow, even with every retry
            rows = len(plan) * (1 + chip.max_retries * (chip.disk_fault_rate > 0))
            exact = _largest(OpDurations(prices, plan, np.int64)) * rows < 2**62
        self.fixed = OpDurations(prices, plan, np.int64 if exact else np.float64)
        self.reads = np.flatnonzero(plan.kind_codes == _LOADDISK)
        self.one_each = np.broadcast_to(np.int64(1), (len(plan),))  # read-only, no memory

    @cached_property
    def base_ns(self) -> np.ndarray:
        """Each op's expected cost as one column: what jitter and retries start from."""
        return self.fixed.whole()

    def draw(self, replication: int = 0) -> Draws:
        attempts, failed_op = self._read_attempts(replication)
        if attempts is None and not self.jittered:
            return Draws(self.fixed, self.one_each, failed_op)
        plan = self.plan
        if attempts is None:
            rows, durations = plan.price_codes, self.base_ns.copy()
        else:
            rows, durations = (
                np.repeat(plan.price_codes, attempts),
                np.repeat(self.base_ns, attempts),
            )
        if self.jittered:
            rng = _stream(self.seed, replication, 0)
            layers = (
                plan.layer_numbers if attempts is None else np.repeat(plan.layer_numbers, attempts)
            )
            for code, latency in self.jittered:
                where = np.flatnonzero(rows == code)
                transfer = self.transfer_ns[code, layers[where]]
                durations[where] = latency.draw(rng, where.size) + transfer
        return Draws(durations, self.one_each if attempts is None else attempts, failed_op)

    def _read_attempts(self, replication: int) -> tuple[np.ndarray | None, int | None]:
        """Reads per op (None: one each) and the first read that failed every try.

        Each read fails independently with ``disk_fault_rate``; failures
        before the first success are geometric, capped at ``max_retries``.
        """
        rate, reads = self.chip.disk_fault_rate, self.reads
        if rate == 0:
            return None, None
        failures = _stream(self.seed, replication, 1).geometric(1 - rate, reads.size) - 1
        attempts = self.one_each.copy()
        attempts[reads] = 1 + np.minimum(failures, self.chip.max_retries)
        exhausted = np.flatnonzero(failures > self.chip.max_retries)
        return attempts, int(reads[exhausted[0]]) if exhausted.size else None


def _largest(prices: OpDurations) -> int:
    """The largest price any op pays (0 for no ops), a block at a time."""
    blocks = (prices[lo : lo + BLOCK_OPS] for lo in range(0, len(prices), BLOCK_OPS))
    return max((int(block.max()) for block in blocks), default=0)


def _stream(seed: int, replication: int, purpose: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, purpose)))


def _equal_width(plan: Plan, chip: ChipConfig, width: int) -> Chain:
    from ..model.networks import course_chain

    return course_chain(plan.layers, width, dtype_bytes=chip.dtype_bytes)


def read_failure(
    plan: Plan, config: ChipConfig, draws: Draws, times: Durations | tuple[np.ndarray, np.ndarray]
) -> DiskReadError:
    """The error of a run whose disk read of op ``draws.failed_op`` failed past its
    retries, naming the op, when its last read ended and what to change."""
    index = draws.failed_op
    assert index is not None
    op, phase = plan.op(index), plan.phase_of(index)
    position = index if phase == "forward" else index - plan.forward_ops
    rows = int(draws.attempts[: index + 1].sum())
    ends = times[1][:rows] if isinstance(times, tuple) else np.cumsum(times[:rows])
    at = ends[-1].item()
    reads = "its only read" if config.max_retries == 0 else f"all {config.max_retries + 1} reads"
    return DiskReadError(
        f"{plan.strategy}: `{op}` (op {position} of the {phase} phase) failed {reads}, "
        f"the last ending at {exact_text(time_text(at), at, 'ns')} "
        f"(disk_fault_rate={config.disk_fault_rate}, max_retries={config.max_retries}); "
        "raise max_retries or lower disk_fault_rate"
    )
