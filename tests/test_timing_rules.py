"""Timing rules pinned by hand: retry limits, priced jitter, exact ints, and overlap's waits.

Each test works its expected times out by hand in its docstring. Plans built
by hand (``Plan.build``) isolate one rule of ``chipsim.sim.overlap`` at a time:
the staging register wait, the port queue, the forward/backward barrier and
the write-after-write wait are each the only thing holding some op back, so
the expected rows are computed from the rule, never from ``dependencies()``.

Fault patterns come from the documented stream (``chipsim.sim.draws``): the
failures before each disk read's success, in plan order of the reads, are
``default_rng(SeedSequence(seed, spawn_key=(0, 1))).geometric(1 - rate, n) - 1``.
Seed 8 at rate 0.5, found by scanning seeds 0, 1, 2, … of that stream, is the
first whose three reads fail [1, 2, 0] times: with max_retries = 2 the second
read fails exactly max_retries times, with max_retries = 1 it fails for good
after the first read needed one retry. Each test asserts the pattern, so it
explains itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from chipsim import ChipConfig, DiskReadError, Op, Plan, execute, make_plan
from chipsim.model.chip import LATENCY_FIELDS
from chipsim.model.ops import OP_KINDS
from chipsim.sim.plan import PHASES
from chipsim.sim.trace import Trace

Row = tuple[str, int, bool, int, int | float, int | float]


def rows(trace: Trace, phase: str | None = None) -> list[Row]:
    """(op, layer, prefetch, attempt, start_ns, end_ns) of every row, or of one phase's."""
    keep = np.ones(len(trace), dtype=bool)
    if phase is not None:
        keep = trace.phase == PHASES.index(phase)
    columns = (
        trace.op[keep].tolist(),
        trace.layer[keep].tolist(),
        trace.prefetch[keep].tolist(),
        trace.attempt[keep].tolist(),
        trace.start_ns[keep].tolist(),
        trace.end_ns[keep].tolist(),
    )
    return [
        (OP_KINDS[op], layer, prefetch, attempt, start, end)
        for op, layer, prefetch, attempt, start, end in zip(*columns, strict=True)
    ]


def failures(seed: int, rate: float, reads: int) -> list[int]:
    """The documented fault stream: failed reads before each read's success."""
    stream = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, 1)))
    return (stream.geometric(1 - rate, reads) - 1).tolist()


#: disk-offload's forward phase at L = 3 on a chip with loadmem 10, fwd 20 and
#: free stores: loadmem 0 [0, 10], storedisk 0 at 10, fwd 1 [10, 30],
#: storedisk 1 at 30, fwd 2 [30, 50], storedisk 2 at 50, fwd 3 [50, 70].
DISK_OFFLOAD_FORWARD_L3: list[Row] = [
    ("loadmem", 0, False, 1, 0, 10),
    ("storedisk", 0, False, 1, 10, 10),
    ("fwd", 1, False, 1, 10, 30),
    ("storedisk", 1, False, 1, 30, 30),
    ("fwd", 2, False, 1, 30, 50),
    ("storedisk", 2, False, 1, 50, 50),
    ("fwd", 3, False, 1, 50, 70),
]


# Retries: the limit, and where a failed run says it stopped.


def test_a_read_failing_exactly_max_retries_times_succeeds_on_its_last_try() -> None:
    """max_retries = 2 allows 3 reads: 2 failures then a success is not a failed run.

    Seed 8 at rate 0.5 (the first seed whose three reads fail [1, 2, 0] times)
    makes disk-offload's second read, ``loaddisk 1``, fail exactly
    max_retries = 2 times. Serial, loaddisk 100 ns, bwd 0 ns: the forward
    phase is 10 + 3·20 = 70 ns; then 2 + 3 + 1 = 6 read attempts of 100 ns
    each, back to back, 600 ns of backward phase.
    """
    assert failures(8, 0.5, 3) == [1, 2, 0]
    chip = ChipConfig(disk_fault_rate=0.5, max_retries=2)
    trace = execute(make_plan("disk-offload", 3, chip), chip, None, seed=8).trace
    assert rows(trace, "backward") == [
        ("loaddisk", 2, False, 1, 70, 170),
        ("loaddisk", 2, False, 2, 170, 270),
        ("bwd", 3, False, 1, 270, 270),
        ("loaddisk", 1, False, 1, 270, 370),
        ("loaddisk", 1, False, 2, 370, 470),
        ("loaddisk", 1, False, 3, 470, 570),  # attempt max_retries + 1: it succeeds
        ("bwd", 2, False, 1, 570, 570),
        ("loaddisk", 0, False, 1, 570, 670),
        ("bwd", 1, False, 1, 670, 670),
    ]
    assert trace.latency_ns("backward") == 600


@pytest.mark.parametrize("mode", ["serial", "overlapped"])
def test_a_read_failing_past_its_retries_names_when_its_last_attempt_ended(mode: str) -> None:
    """The message's time is the end of the failing op's last attempt row, not of row ``index``.

    Seed 8 at rate 0.5: failures [1, 2, 0]. With max_retries = 1, ``loaddisk 2``
    succeeds on its second read and ``loaddisk 1`` (op 2 of the backward
    phase) fails both of its reads. loaddisk 100 ns, bwd 5 ns; without
    prefetches both modes run the backward rows back to back after the 70 ns
    forward phase: loaddisk 2 [70, 170] and [170, 270], bwd 3 [270, 275],
    loaddisk 1 [275, 375] and [375, 475]: the last read ends at 475 ns. (Row
    9, the op's plan index, is ``bwd 3``, which ends at 275.)
    """
    assert failures(8, 0.5, 3) == [1, 2, 0]
    chip = ChipConfig(disk_fault_rate=0.5, max_retries=1, bwd_ns=5, mode=mode)
    plan = make_plan("disk-offload", 3, chip)
    with pytest.raises(DiskReadError) as error:
        execute(plan, chip, None, seed=8)
    assert str(error.value) == (
        "disk-offload: `loaddisk 1` (op 2 of the backward phase) failed all 2 reads, "
        "the last ending at 475 ns (disk_fault_rate=0.5, max_retries=1); "
        "raise max_retries or lower disk_fault_rate"
    )


#: The chip of the retried-prefetch tests: reads 20 ns, backward steps 30 ns, and
#: seed 8's faults (three reads of 2, 3 and 1 attempts; none fails for good).
RETRYING = ChipConfig(
    loaddisk_ns=20, bwd_ns=30, mode="overlapped", disk_fault_rate=0.5, max_retries=2
)


def test_a_retried_prefetchs_consumer_waits_for_its_last_attempt() -> None:
    """disk-offload:prefetch=1, L = 3, one staging register.

    Seed 8 at rate 0.5: failures [1, 2, 0]. The forward phase ends at 70.
    Backward, by hand:

    - ``loaddisk 2``: 2 attempts, [70, 90] and [90, 110];
    - ``bwd 3`` waits for it: [110, 140];
    - ``loaddisk 1`` (prefetch) may go when ``bwd 3`` starts (110), takes the
      one staging register, and reads three times in a row on the disk
      port: [110, 130], [130, 150], [150, 170];
    - ``bwd 2`` has its gradient at 140 but its input only at the end of
      the last attempt: [170, 200]; taking a1 frees the staging register;
    - ``loaddisk 0`` (prefetch) may go when ``bwd 2`` starts: [170, 190];
    - ``bwd 1`` waits for its gradient (200): [200, 230].

    Backward 160 ns, against 6·20 + 3·30 = 210 serial.
    """
    assert failures(8, 0.5, 3) == [1, 2, 0]
    chip = RETRYING.replace({"staging_slots": 1})
    plan = make_plan("disk-offload:prefetch=1", 3, chip)
    trace = execute(plan, chip, None, seed=8).trace
    assert rows(trace) == [
        *DISK_OFFLOAD_FORWARD_L3,
        ("loaddisk", 2, False, 1, 70, 90),
        ("loaddisk", 2, False, 2, 90, 110),
        ("bwd", 3, False, 1, 110, 140),
        ("loaddisk", 1, True, 1, 110, 130),
        ("loaddisk", 1, True, 2, 130, 150),
        ("loaddisk", 1, True, 3, 150, 170),
        ("bwd", 2, False, 1, 170, 200),
        ("loaddisk", 0, True, 1, 170, 190),
        ("bwd", 1, False, 1, 200, 230),
    ]
    assert trace.latency_ns("backward") == 160
    serial = execute(plan, chip.replace({"mode": "serial"}), None, seed=8).trace
    assert serial.latency_ns("backward") == 210


def test_a_retried_prefetch_holds_the_disk_port_through_every_attempt() -> None:
    """disk-offload:prefetch=2, L = 3, two staging registers: the next read queues behind retries.

    Same seed and chip: failures [1, 2, 0]. ``loaddisk 2`` [70, 90], [90, 110];
    ``bwd 3`` [110, 140]. Both prefetches are issued behind ``bwd 3`` and
    each has a register at 110, but the disk port is ``loaddisk 1``'s for
    all three of its attempts ([110, 130], [130, 150], [150, 170]): the
    attempts are consecutive rows and ``loaddisk 0`` goes only after, [170,
    190], not in a gap between attempts. ``bwd 2`` [170, 200] waits for a1,
    ``bwd 1`` [200, 230] for its gradient.
    """
    assert failures(8, 0.5, 3) == [1, 2, 0]
    chip = RETRYING.replace({"staging_slots": 2})
    trace = execute(make_plan("disk-offload:prefetch=2", 3, chip), chip, None, seed=8).trace
    assert rows(trace, "backward") == [
        ("loaddisk", 2, False, 1, 70, 90),
        ("loaddisk", 2, False, 2, 90, 110),
        ("bwd", 3, False, 1, 110, 140),
        ("loaddisk", 1, True, 1, 110, 130),
        ("loaddisk", 1, True, 2, 130, 150),
        ("loaddisk", 1, True, 3, 150, 170),
        ("loaddisk", 0, True, 1, 170, 190),
        ("bwd", 2, False, 1, 170, 200),
        ("bwd", 1, False, 1, 200, 230),
    ]


# Bandwidth terms: jittered latencies pay them too, and whole ones stay exact.


def test_a_jittered_latency_still_pays_for_its_bytes_and_multiply_adds() -> None:
    """Degenerate uniform draws (low = high) make the jitter exact: 10 ns a read, 5 ns a fwd.

    Width 8, 4-byte values: an activation is 32 bytes, a layer 64 MACs. At 2
    bytes/ns of disk a read or store also pays 32 / 2 = 16 ns; at 16 MACs/ns a
    fwd pays 64 / 16 = 4 ns, a bwd 3·64 / 16 = 12 ns. disk-offload, L = 2,
    serial: forward loadmem 0 10, storedisk 0 16, fwd 1 5 + 4 = 9,
    storedisk 1 16, fwd 2 9: 60 ns; backward (loaddisk 10 + 16 = 26,
    bwd 12) twice: 76 ns.
    """
    chip = ChipConfig(
        loaddisk_ns={"dist": "uniform", "low": 10, "high": 10},
        fwd_ns={"dist": "uniform", "low": 5, "high": 5},
        disk_bytes_per_ns=2,
        compute_macs_per_ns=16,
    )
    plan = make_plan("disk-offload", 2, chip.resolved(8))
    trace = execute(plan, chip, None, width=8).trace
    assert trace.start_ns.dtype == np.float64  # a drawn latency is a float
    assert rows(trace) == [
        ("loadmem", 0, False, 1, 0, 10),
        ("storedisk", 0, False, 1, 10, 26),
        ("fwd", 1, False, 1, 26, 35),
        ("storedisk", 1, False, 1, 35, 51),
        ("fwd", 2, False, 1, 51, 60),
        ("loaddisk", 1, False, 1, 60, 86),
        ("bwd", 2, False, 1, 86, 98),
        ("loaddisk", 0, False, 1, 98, 124),
        ("bwd", 1, False, 1, 124, 136),
    ]


def test_whole_bandwidth_terms_keep_latencies_and_traces_exact_integers() -> None:
    """Width 16, 4-byte values: 64 bytes an activation, 256 MACs a layer.

    At 2 bytes/ns of memory, 4 of disk and 8 MACs/ns every term is whole:
    loadmem 10 + 32, storemem 0 + 32, loaddisk 100 + 16, storedisk 0 + 16,
    fwd 20 + 32, bwd 0 + 96. They stay Python ints (not 42.0), and a run's
    times stay int64: stride:k=5 backward is 20·52 + 10·42 + 10·96 = 2420.
    """
    chip = ChipConfig(mem_bytes_per_ns=2, disk_bytes_per_ns=4, compute_macs_per_ns=8)
    resolved = chip.resolved(16).as_dict()
    latencies = {name: resolved[name] for name in LATENCY_FIELDS}
    assert latencies == {
        "fwd_ns": 52,
        "bwd_ns": 96,
        "loadmem_ns": 42,
        "storemem_ns": 32,
        "loaddisk_ns": 116,
        "storedisk_ns": 16,
    }
    assert {type(value) for value in latencies.values()} == {int}
    assert {type(chip.transfer_ns(kind, 16)) for kind in OP_KINDS} == {int}
    trace = execute(make_plan("stride:k=5", 10, chip.resolved(16)), chip, None, width=16).trace
    assert trace.start_ns.dtype == trace.end_ns.dtype == np.int64
    assert trace.latency_ns("backward") == 2420


def test_a_fractional_bandwidth_term_makes_the_trace_float() -> None:
    """At 3 bytes/ns of disk a 64-byte read pays 64/3 ns: loaddisk 100 + 21.33… is a float."""
    chip = ChipConfig(disk_bytes_per_ns=3)
    assert chip.resolved(16).loaddisk_ns == 100 + 64 / 3
    assert type(chip.resolved(16).fwd_ns) is int  # untouched terms stay exact
    trace = execute(make_plan("disk-offload", 2, chip.resolved(16)), chip, None, width=16).trace
    assert trace.start_ns.dtype == np.float64


# Overlap: each wait, alone in holding an op back.


def test_a_prefetch_waits_for_its_staging_register_even_when_placed_early() -> None:
    """One staging register; the second prefetch is placed before the first value is taken.

    L = 2; loadmem 50, loaddisk 30, fwd 20, bwd 10, stores 0 ns. Forward:
    loadmem 0 [0, 50], storedisk 0 at 50, fwd 1 [50, 70], storemem 1 at 70,
    fwd 2 [70, 90]. Backward (plan order; staging in use 1, 0, 0, 1, 0):

    - ``loadmem 1`` (prefetch) takes the register at 90: [90, 140];
    - ``bwd 2`` takes a1 from staging when it arrives: [140, 150], and
      hands the register back at 140;
    - ``storedisk 2`` reads the working register (a2, untouched by staged
      ops) and needs nothing else: [90, 90];
    - ``loaddisk 0`` (prefetch) may go once ``storedisk 2`` starts (90), and
      a0 has been on disk since 50, but the one register is a1's until 140:
      [140, 170], not [90, 120];
    - ``bwd 1`` waits for a0: [170, 180].
    """
    forward = [Op("loadmem", 0), Op("storedisk", 0), Op("fwd", 1), Op("storemem", 1), Op("fwd", 2)]
    backward = [
        Op("loadmem", 1, prefetch=True),
        Op("bwd", 2),
        Op("storedisk", 2),
        Op("loaddisk", 0, prefetch=True),
        Op("bwd", 1),
    ]
    plan = Plan.build("hand", 2, forward, backward)
    assert plan.staging_in_use().tolist() == [0] * 5 + [1, 0, 0, 1, 0]
    chip = ChipConfig(loadmem_ns=50, loaddisk_ns=30, bwd_ns=10, staging_slots=1, mode="overlapped")
    trace = execute(plan, chip, None).trace
    assert rows(trace) == [
        ("loadmem", 0, False, 1, 0, 50),
        ("storedisk", 0, False, 1, 50, 50),
        ("fwd", 1, False, 1, 50, 70),
        ("storemem", 1, False, 1, 70, 70),
        ("fwd", 2, False, 1, 70, 90),
        ("loadmem", 1, True, 1, 90, 140),
        ("bwd", 2, False, 1, 140, 150),
        ("storedisk", 2, False, 1, 90, 90),
        ("loaddisk", 0, True, 1, 140, 170),
        ("bwd", 1, False, 1, 170, 180),
    ]
    assert trace.latency_ns("backward") == 90  # serial: 50 + 10 + 0 + 30 + 10 = 100


def test_a_port_runs_its_ops_in_plan_order_even_when_a_later_one_is_ready_first() -> None:
    """The disk port is a queue: ``storedisk 2``, ready at 60, waits for the prefetch before it.

    L = 2; loadmem 10, fwd 20, loaddisk 30, storedisk 5, bwd 10 ns. Forward:
    loadmem 0 [0, 10], storedisk 0 [10, 15], fwd 1 [15, 35], storedisk 1
    [35, 40], fwd 2 [40, 60]. Backward (one staging register):

    - ``loaddisk 1`` (prefetch) [60, 90]; ``bwd 2`` takes a1 [90, 100];
    - ``storemem 2`` (buffer port, reads a2): [60, 60];
    - ``loaddisk 0`` (prefetch) may go at 60 but gets the register when
      ``bwd 2`` starts: [90, 120];
    - ``storedisk 2`` has had a2 since 60 and the disk port was idle before
      90, yet it is behind ``loaddisk 0`` on the port: [120, 125];
    - ``bwd 1`` waits for a0: [120, 130].
    """
    forward = [Op("loadmem", 0), Op("storedisk", 0), Op("fwd", 1), Op("storedisk", 1), Op("fwd", 2)]
    backward = [
        Op("loaddisk", 1, prefetch=True),
        Op("bwd", 2),
        Op("storemem", 2),
        Op("loaddisk", 0, prefetch=True),
        Op("storedisk", 2),
        Op("bwd", 1),
    ]
    plan = Plan.build("hand", 2, forward, backward)
    chip = ChipConfig(loaddisk_ns=30, storedisk_ns=5, bwd_ns=10, staging_slots=1, mode="overlapped")
    trace = execute(plan, chip, None).trace
    assert rows(trace, "backward") == [
        ("loaddisk", 1, True, 1, 60, 90),
        ("bwd", 2, False, 1, 90, 100),
        ("storemem", 2, False, 1, 60, 60),
        ("loaddisk", 0, True, 1, 90, 120),
        ("storedisk", 2, False, 1, 120, 125),
        ("bwd", 1, False, 1, 120, 130),
    ]
    assert trace.latency_ns("backward") == 70  # serial: 30 + 10 + 0 + 30 + 5 + 10 = 85


def test_nothing_of_the_backward_phase_starts_before_the_forward_phase_ends() -> None:
    """A prefetch opening the backward phase waits for the loss, not just for its data.

    L = 2; loadmem 10, fwd 20, loaddisk 30, bwd 10 ns. Forward: loadmem 0
    [0, 10], storedisk 0 at 10, fwd 1 [10, 30], storedisk 1 at 30, fwd 2
    [30, 50]. ``loaddisk 1`` (prefetch) has its data (30), the disk port (30)
    and the op before it started (fwd 2, at 30), yet starts at 50, when the
    forward phase ends: [50, 80]. ``bwd 2`` reads the loss gradient, which no
    op writes, and a1 from staging: [80, 90]. Then ``loaddisk 0`` (prefetch,
    once bwd 2 starts) [80, 110] and ``bwd 1`` [110, 120].
    """
    forward = [Op("loadmem", 0), Op("storedisk", 0), Op("fwd", 1), Op("storedisk", 1), Op("fwd", 2)]
    backward = [
        Op("loaddisk", 1, prefetch=True),
        Op("bwd", 2),
        Op("loaddisk", 0, prefetch=True),
        Op("bwd", 1),
    ]
    plan = Plan.build("hand", 2, forward, backward)
    chip = ChipConfig(loaddisk_ns=30, bwd_ns=10, staging_slots=1, mode="overlapped")
    trace = execute(plan, chip, None).trace
    assert rows(trace, "backward") == [
        ("loaddisk", 1, True, 1, 50, 80),
        ("bwd", 2, False, 1, 80, 90),
        ("loaddisk", 0, True, 1, 80, 110),
        ("bwd", 1, False, 1, 110, 120),
    ]
    assert trace.latency_ns("forward") == 50
    assert trace.latency_ns("backward") == 70


def test_a_write_waits_for_the_write_before_it_to_the_same_register() -> None:
    """Two loads into the working register with no read between: the second waits for the first.

    L = 1; loadmem 10, loaddisk 30, fwd 20, bwd 5 ns. Forward: loadmem 0
    [0, 10], storedisk 0 at 10, ``loaddisk 0`` [10, 40] on the disk port,
    then ``loadmem 0`` on the buffer port, free since 10, must not land
    before the disk read does (the later write in plan order is the one the
    register must keep): it waits for 40, [40, 50]; fwd 1 [50, 70].
    Backward: loadmem 0 [70, 80], bwd 1 [80, 85].
    """
    forward = [
        Op("loadmem", 0),
        Op("storedisk", 0),
        Op("loaddisk", 0),
        Op("loadmem", 0),
        Op("fwd", 1),
    ]
    plan = Plan.build("hand", 1, forward, [Op("loadmem", 0), Op("bwd", 1)])
    chip = ChipConfig(loaddisk_ns=30, bwd_ns=5, mode="overlapped")
    trace = execute(plan, chip, None).trace
    assert rows(trace) == [
        ("loadmem", 0, False, 1, 0, 10),
        ("storedisk", 0, False, 1, 10, 10),
        ("loaddisk", 0, False, 1, 10, 40),
        ("loadmem", 0, False, 1, 40, 50),
        ("fwd", 1, False, 1, 50, 70),
        ("loadmem", 0, False, 1, 70, 80),
        ("bwd", 1, False, 1, 80, 85),
    ]
    serial = execute(plan, chip.replace({"mode": "serial"}), None).trace
    assert serial.end_ns.tolist() == trace.end_ns.tolist()  # every op waits for the one before


# Never slower than serial, with chance.


def random_distribution(rng: np.random.Generator) -> dict[str, object]:
    family = ("lognormal", "uniform", "exponential")[int(rng.integers(3))]
    if family == "lognormal":
        return {"dist": family, "median": float(rng.uniform(1, 40)), "sigma": 0.6}
    if family == "uniform":
        low = float(rng.uniform(0, 30))
        return {"dist": family, "low": low, "high": low + float(rng.uniform(0, 30))}
    return {"dist": family, "mean": float(rng.uniform(1, 40))}


@pytest.mark.parametrize("strategy", ["stride:k=3,prefetch=1", "disk-offload:prefetch=2"])
def test_overlapped_is_never_slower_than_serial_under_the_same_jitter_and_faults(
    strategy: str,
) -> None:
    """Same seed, same draws (durations and retries): every row starts no later overlapped.

    Every latency is a random distribution (float draws) and disk reads fail
    at a random rate up to 0.5 with room for 60 retries, so no run fails;
    both modes get the same rows, and overlap may only move rows earlier.
    """
    rng = np.random.default_rng(23)
    retries = 0
    for seed in range(12):
        chip = ChipConfig(
            **{name: random_distribution(rng) for name in LATENCY_FIELDS},
            buffer_slots=64,
            staging_slots=2,
            disk_fault_rate=float(rng.uniform(0, 0.5)),
            max_retries=60,
        )
        layers = int(rng.integers(2, 12))
        plan = make_plan(strategy, layers, chip.resolved(1))
        serial = execute(plan, chip, None, seed=seed).trace
        overlapped = execute(plan, chip.replace({"mode": "overlapped"}), None, seed=seed).trace
        assert overlapped.attempt.tolist() == serial.attempt.tolist()
        for phase in ("forward", "backward"):
            assert overlapped.latency_ns(phase) <= serial.latency_ns(phase), (seed, phase)
        assert (overlapped.start_ns <= serial.start_ns).all(), seed
        retries += int((serial.attempt > 1).sum())
    assert retries > 0 if "disk" in strategy else retries == 0  # stride reads no disk
