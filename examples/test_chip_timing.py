"""Asserting simulated timing in your own tests: chipsim's pytest plugin at work.

With chipsim installed, pytest finds the fixtures ``chip_sim`` and
``course_chip`` by itself. Run: ``pytest examples/``.
"""

from chipsim.testing import assert_energy, assert_fits, assert_latency, assert_ops


def test_the_course_method_takes_500_ns_to_backprop(chip_sim):
    result = chip_sim(strategy="stride:k=5")  # the course chip and network
    assert_latency(result, 500)  # backward phase, exactly
    assert_ops(result, fwd=20, loadmem=10)  # only the kinds named are checked
    assert_fits(result, slots=2)


def test_the_best_plan_keeps_backprop_under_300_ns(chip_sim):
    result = chip_sim(strategy="optimal")
    assert result.backward.latency_ns < 300
    assert_latency(result, 500, rel=0.5)  # within 50% of the course method


def test_paging_every_activation_ties_at_50_ns(chip_sim, course_chip):
    assert course_chip.loaddisk_ns == 100  # the course scenario's chosen disk
    result = chip_sim(strategy="disk-offload", loaddisk_ns=50)
    assert result.backward.ops == {"loaddisk": 10, "bwd": 10}  # nothing else ran
    assert_latency(result, 500)


def test_mobilenet_trains_in_the_mcu_budget_by_paging_two_activations(chip_sim):
    result = chip_sim("mcu-train", strategy="optimal")  # a preset, by name
    assert_fits(result, bytes=80 * 1024)  # 78,208 of the 81,920 bytes
    assert_ops(result, fwd=0, loaddisk=2)  # nothing recomputed
    assert_latency(result, 145.5e6, rel=0.001)  # 145.5 ms


def test_paging_on_the_mkr1000_costs_less_energy_than_recomputing(chip_sim):
    paging = chip_sim("mkr1000", strategy="disk-offload")
    recomputing = chip_sim("mkr1000", strategy="stride:k=5")
    assert paging.energy_nj < recomputing.energy_nj
    assert_energy(paging, paging.energy_nj)  # the whole run's nJ, static power included
