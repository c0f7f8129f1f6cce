"""Comparisons and break-even points."""

from __future__ import annotations

from fractions import Fraction

import pytest

from chipsim import ConfigError, DoesNotFit, NoBreakEven, Scenario, breakeven, compare
from chipsim.study import analysis


def test_compare_reports_refusals_instead_of_raising() -> None:
    outcomes = compare(Scenario(), ["full-store", "stride:k=5", "disk-offload"])
    assert [o.strategy for o in outcomes] == ["full-store", "stride:k=5", "disk-offload"]
    assert outcomes[0].result is None and outcomes[0].refusal.slots_needed == 9
    assert outcomes[1].result.backward.latency_ns == 500
    assert outcomes[2].result.backward.latency_ns == 1000


def test_break_even_moves_with_the_stride() -> None:
    scenario = Scenario().with_overrides(chip={"buffer_slots": 3})
    point = breakeven(scenario, "loaddisk_ns", "disk-offload", "stride:k=3")
    # k=3, L=10: q=3, r=1 → 3·3 + 0 = 9 recomputations; 9·20 + 10·10 = 280 = 10·x
    assert point.value == 28
    assert point.latency_ns == 280


def test_break_even_on_a_parameter_both_pay_differently() -> None:
    point = breakeven(Scenario(), "fwd_ns", "stride:k=5", "disk-offload")
    # stride: 20·f + 100 = disk-offload: 1000 → f = 45
    assert point.value == 45
    assert point.to_dict() == {
        "param": "fwd_ns",
        "value": 45.0,
        "strategy": "stride:k=5",
        "against": "disk-offload",
        "phase": "backward",
        "latency_ns": 1000,
    }


def test_a_non_integer_break_even_is_exact_and_confirmed_by_simulation() -> None:
    scenario = Scenario().with_overrides(chip={"fwd_ns": 21})
    point = breakeven(scenario, "loaddisk_ns", "disk-offload", "stride:k=5")
    assert point.value == Fraction(20 * 21 + 100, 10)  # 52
    scenario = Scenario().with_overrides(layers=9)
    point = breakeven(scenario, "loaddisk_ns", "disk-offload", "stride:k=5")
    # L=9, k=5: q=1, r=4 → 10 + 6 = 16 fwd; 16·20 + 9·10 = 410 = 9·x
    assert point.value == Fraction(410, 9)
    assert point.latency_ns == pytest.approx(410)


def test_parallel_latencies_never_tie() -> None:
    with pytest.raises(NoBreakEven, match="stride:k=5 and stride:k=4 never tie: both backward"):
        breakeven(Scenario(), "loaddisk_ns", "stride:k=5", "stride:k=4")
    with pytest.raises(NoBreakEven, match="always tie"):
        breakeven(Scenario(), "loaddisk_ns", "stride:k=5", "stride:k=5")


def test_a_crossing_below_zero_is_no_break_even() -> None:
    # stride:k=5 costs 20·f + 100, disk-offload at 5 ns a load 50: they meet at f = -2.5.
    scenario = Scenario().with_overrides(chip={"loaddisk_ns": 5})
    with pytest.raises(NoBreakEven) as error:
        breakeven(scenario, "fwd_ns", "stride:k=5", "disk-offload")
    assert str(error.value) == (
        "stride:k=5 and disk-offload never tie for fwd_ns >= 0 (the lines cross at -2.5 ns)"
    )


def test_only_latency_fields_can_be_solved_for() -> None:
    with pytest.raises(ConfigError, match="cannot solve for 'buffer_slots'; choose a latency"):
        breakeven(Scenario(), "buffer_slots", "disk-offload", "stride:k=5")


# Gap to optimal: exact on the course, the optimum planned once, or not at all.


def test_gap_to_optimal_on_the_course_chip() -> None:
    outcomes = compare(Scenario(), ["optimal", "stride:k=5", "full-store"])
    gaps = [outcome.gap_to_optimal_pct for outcome in outcomes]
    assert outcomes[0].result.backward.latency_ns == 260
    assert gaps == [0.0, 100 * (500 - 260) / 260, None]
    assert outcomes[2].refusal.slots_needed == 9


def test_the_optimum_is_taken_from_the_optimal_run_when_it_is_compared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[Scenario] = []
    planned = analysis.optimal_backward_ns
    monkeypatch.setattr(analysis, "optimal_backward_ns", lambda s: calls.append(s) or planned(s))
    for spelling in ("optimal", "optimal:objective=backward"):
        outcomes = compare(Scenario(), ["stride:k=5", spelling], math=False)
        assert [o.gap_to_optimal_pct for o in outcomes] == [100 * (500 - 260) / 260, 0.0]
    assert calls == []
    outcomes = compare(Scenario(), ["stride:k=5", "optimal:objective=total"], math=False)
    assert outcomes[0].gap_to_optimal_pct == 100 * (500 - 260) / 260
    assert calls == [Scenario()]  # planned once, as the total objective's run is no optimum


def test_compare_survives_an_optimum_too_large_to_plan() -> None:
    # Beyond the exact planner, optimal plans periodically and gaps are measured against it.
    scenario = Scenario().with_overrides(layers=20_000)
    outcomes = compare(scenario, ["disk-offload", "optimal", "stride:k=5"], math=False)
    disk, best, stride = outcomes
    assert disk.result.backward.latency_ns == 20_000 * 100
    approximate = best.result.backward.latency_ns
    assert approximate < 20_000 * 100
    assert disk.gap_to_optimal_pct == 100 * (20_000 * 100 - approximate) / approximate
    assert best.gap_to_optimal_pct == 0.0
    assert disk.gap_reference == best.gap_reference == "approximate optimum"
    assert isinstance(stride.refusal, DoesNotFit) and stride.refusal.slots_needed == 4000
    outcomes = compare(scenario, ["disk-offload"], math=False)  # the optimum planned alone
    assert [o.gap_to_optimal_pct for o in outcomes] == [disk.gap_to_optimal_pct]
