"""Jitter, faults and replications: seeded, exact where counted, right in distribution."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from chipsim import ChipConfig, ConfigError, DiskReadError, Distribution, make_plan, simulate
from chipsim.sim.draws import draw

LOGNORMAL = {"dist": "lognormal", "median": 50, "sigma": 0.5}
JITTERY = ChipConfig(loaddisk_ns=LOGNORMAL, fwd_ns={"dist": "uniform", "low": 15, "high": 25})
FAULTY = ChipConfig(disk_fault_rate=0.3, max_retries=20)


# Determinism and the seed contract.


@pytest.mark.parametrize("chip", [JITTERY, FAULTY, JITTERY.replace({"disk_fault_rate": 0.2})])
def test_the_same_seed_gives_the_same_trace_and_another_seed_another(chip: ChipConfig) -> None:
    def frame(seed: int):
        return simulate("disk-offload", chip, seed=seed, math=False).frame

    assert frame(3).equals(frame(3))
    assert not frame(3).equals(frame(4))


def test_replication_i_draws_from_the_ith_child_of_the_seed_sequence() -> None:
    """As documented: child i of SeedSequence(seed).spawn; its children: jitter, then faults."""
    chip = ChipConfig(loaddisk_ns={"dist": "exponential", "mean": 40}, disk_fault_rate=0.25)
    plan = make_plan("disk-offload", 6, chip)
    children = np.random.SeedSequence(9).spawn(3)
    for replication, child in enumerate(children):
        jitter, faults = (np.random.default_rng(s) for s in child.spawn(2))
        failures = faults.geometric(1 - 0.25, 6) - 1
        drawn = draw(plan, chip, 16, seed=9, replication=replication)
        reads = np.flatnonzero(plan.kind_codes == 5)
        assert drawn.attempts[reads].tolist() == (1 + failures).tolist()
        loaddisk_rows = np.repeat(plan.kind_codes, drawn.attempts) == 5
        expected = jitter.exponential(40, int(loaddisk_rows.sum()))
        assert drawn.durations_ns[loaddisk_rows].tolist() == expected.tolist()


def test_adding_jitter_does_not_move_the_fault_pattern() -> None:
    plain = simulate("disk-offload", FAULTY, seed=5, math=False).trace
    jittered = simulate(
        "disk-offload", FAULTY.replace({"loaddisk_ns": LOGNORMAL}), seed=5, math=False
    ).trace
    assert plain.attempt.tolist() == jittered.attempt.tolist()


def test_the_first_replication_is_the_run_itself() -> None:
    single = simulate("disk-offload", JITTERY, seed=2, math=False)
    many = simulate("disk-offload", JITTERY, seed=2, math=False, replications=5)
    assert single.frame.equals(many.frame)
    assert many.replications.backward_latency_ns[0] == single.backward.latency_ns
    assert len(set(many.replications.backward_latency_ns.tolist())) == 5


def test_a_chip_without_chance_gives_every_replication_the_same_exact_latency() -> None:
    result = simulate("stride:k=5", ChipConfig(), replications=4)
    assert result.replications.summary() == dict.fromkeys(
        ("mean", "min", "p50", "p95", "p99", "max"), 500.0
    )
    assert result.trace.start_ns.dtype == np.int64


# Distributions.


def lognormal_quantile(p: float) -> float:
    return 50 * math.exp(0.5 * NormalDist().inv_cdf(p))


def lognormal_density(x: float) -> float:
    z = math.log(x / 50) / 0.5
    return math.exp(-z * z / 2) / (x * 0.5 * math.sqrt(2 * math.pi))


def test_percentiles_match_the_distribution_within_their_sampling_error() -> None:
    """L = 1 disk-offload: the backward latency is one lognormal draw.

    A sample p-quantile of N draws has standard error sqrt(p(1-p)/N) / f(q_p);
    the mean, sigma_X / sqrt(N). Five standard errors: a fluke is ~1e-6.
    """
    n = 20_000
    chip = ChipConfig(loaddisk_ns=LOGNORMAL, bwd_ns=0)
    stats = simulate("disk-offload", chip, layers=1, math=False, replications=n)
    summary = stats.replications.summary()
    for name, p in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
        exact = lognormal_quantile(p)
        error = math.sqrt(p * (1 - p) / n) / lognormal_density(exact)
        assert abs(summary[name] - exact) < 5 * error, (name, summary[name], exact)
    mean = Distribution.from_mapping("loaddisk_ns", LOGNORMAL).mean_ns
    assert mean == 50 * math.exp(0.125)
    sd = mean * math.sqrt(math.exp(0.25) - 1)
    assert abs(summary["mean"] - mean) < 5 * sd / math.sqrt(n)
    assert summary["min"] <= summary["p50"] <= summary["p95"] <= summary["p99"] <= summary["max"]


@pytest.mark.parametrize(
    ("table", "mean"),
    [
        ({"dist": "uniform", "low": 10, "high": 30}, 20),
        ({"dist": "exponential", "mean": 7}, 7),
        ({"dist": "lognormal", "median": 8, "sigma": 0}, 8),
    ],
)
def test_planners_see_a_distribution_as_its_mean(table: dict, mean: float) -> None:
    chip = ChipConfig(fwd_ns=table)
    assert chip.op_latency_ns("fwd") == mean
    plan = make_plan("stride:k=5", 10, chip.resolved(16))
    assert plan.latency_ns(chip.resolved(16), "backward") == 20 * mean + 10 * 10


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"dist": "gamma", "k": 2}, "loaddisk_ns: dist must be one of lognormal, uniform, "),
        (
            {"dist": "lognormal", "median": 50},
            'no sigma; a lognormal latency is {dist = "lognormal"',
        ),
        ({"dist": "uniform", "low": 5, "high": 2}, "low must be <= high, got low=5, high=2"),
        ({"dist": "exponential", "mean": -1}, "mean must be finite and >= 0, got -1"),
        ({"dist": "lognormal", "median": 0, "sigma": 1}, "median must be > 0 ns, got 0"),
        ({"dist": "exponential", "mean": "7"}, "mean must be a number, got '7'"),
    ],
)
def test_bad_distributions_are_one_line_errors(table: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        ChipConfig(loaddisk_ns=table)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


# Faults.


def test_retries_are_counted_as_disk_loads_and_priced_exactly() -> None:
    chip = ChipConfig(disk_fault_rate=0.4, max_retries=30, loaddisk_ns=100, bwd_ns=3)
    result = simulate("disk-offload", chip, seed=1)
    trace = result.trace
    retries = int((trace.attempt > 1).sum())
    faults = np.random.default_rng(np.random.SeedSequence(1, spawn_key=(0, 1)))
    assert retries == int((faults.geometric(0.6, 10) - 1).sum()) > 0
    assert result.backward.ops == {"loaddisk": 10 + retries, "bwd": 10}
    assert result.backward.latency_ns == (10 + retries) * 100 + 10 * 3
    assert result.max_abs_grad_diff == 0.0  # a retried read returns the same activation
    frame = result.frame
    retried = frame[frame["attempt"] > 1]
    assert (retried["op"] == "loaddisk").all()
    for row in retried.itertuples():  # each retry follows the attempt before it
        before = frame.loc[row.Index - 1]
        assert (before.op, before.layer, before.attempt) == ("loaddisk", row.layer, row.attempt - 1)
        assert before.end_ns == row.start_ns


def test_the_retry_rate_is_the_fault_rate_over_many_reads() -> None:
    result = simulate(
        "disk-offload", FAULTY, layers=20_000, math=False, seed=4
    )  # expected failures per read: p / (1 - p)
    per_read = (result.trace.attempt > 1).sum() / 20_000
    p = FAULTY.disk_fault_rate
    sd = math.sqrt(p) / (1 - p) / math.sqrt(20_000)
    assert abs(per_read - p / (1 - p)) < 5 * sd


def test_a_read_failing_past_its_retries_fails_the_run_naming_the_op() -> None:
    chip = ChipConfig(disk_fault_rate=0.9, max_retries=1)
    with pytest.raises(DiskReadError) as error:
        simulate("disk-offload", chip, seed=0)
    message = str(error.value)
    assert message.startswith("disk-offload: `loaddisk ")
    assert "failed all 2 reads" in message
    assert message.endswith(
        "(disk_fault_rate=0.9, max_retries=1); raise max_retries or lower disk_fault_rate"
    )
    assert error.value.exit_code == 4


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"disk_fault_rate": 1}, "chip field disk_fault_rate must be >= 0 and < 1, got 1"),
        ({"disk_fault_rate": -0.1}, "chip field disk_fault_rate must be >= 0 and < 1"),
        ({"max_retries": -1}, "chip field max_retries must be a whole number >= 0, got -1"),
        ({"mode": "parallel"}, "chip field mode must be one of serial, overlapped, got 'parallel'"),
        ({"staging_slots": 1.5}, "chip field staging_slots must be a whole number >= 0"),
    ],
)
def test_bad_timing_fields_are_one_line_errors(fields: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ChipConfig(**fields)
