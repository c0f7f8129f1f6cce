"""Asserting simulated timing in your own tests: chipsim's pytest plugin at work.

With chipsim installed, pytest finds the fixtures ``chip_sim`` and
``course_chip`` by itself. Run: ``pytest examples/``.
"""

from chipsim import find_scenario
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


def test_the_mcu_trains_mobilenets_classifier_in_its_256_kib(chip_sim):
    mcu = find_scenario("mcu-train")  # a preset, by name: 256 KiB, frozen weights in flash
    head = "mobilenetv2:width_mult=0.35,resolution=112,dtype_bytes=1,classes=10,saves=deployed"
    result = chip_sim(mcu.with_overrides(network=head), strategy="optimal", train="last:1")
    assert_fits(result, memory=256 * 1024)  # 232,330 B at its peak, the forward of block2_1
    assert_ops(result, bwd=1)  # backprop ends at the classifier: the rest is frozen


def test_paging_on_the_mkr1000_costs_less_energy_than_recomputing(chip_sim):
    paging = chip_sim("mkr1000", strategy="disk-offload")
    recomputing = chip_sim("mkr1000", strategy="stride:k=5")
    assert paging.energy_nj < recomputing.energy_nj
    assert_energy(paging, paging.energy_nj)  # the whole run's nJ, static power included
