"""The equal-size DP's two fills: exact integer keys and floats give bitwise the same tables."""

from __future__ import annotations

import numpy as np
import pytest
from exhaustive import optimal_latency

from chipsim import ChipConfig
from chipsim.chip import LATENCY_FIELDS
from chipsim.strategies import optimal_keys, optimal_slots
from chipsim.strategies.optimal_slots import _Costs, _fill_f, _fill_floats, _fill_t, _Table
from chipsim.strategies.slots_schedule import NO_STORE

TABLES = ("t_choice", "t_split", "f_choice", "f_split", "t_value", "f_value")


def random_chip(rng: np.random.Generator, slots: int, denominator: int = 1) -> ChipConfig:
    """Latencies that are whole multiples of 1/denominator ns, cheap or dear disk alike."""
    latencies = {name: int(rng.integers(0, 40)) / denominator for name in LATENCY_FIELDS}
    return ChipConfig(buffer_slots=slots, **latencies)


def both_fills(
    layers: int, chip: ChipConfig, objective: str, use_disk: bool, slots: int | None = None
) -> tuple[optimal_slots.Schedule, optimal_slots.Schedule]:
    costs = _Costs.of(chip, objective, use_disk)
    keys = optimal_keys.Keys.of(costs, layers)
    assert keys is not None, chip  # these costs are dyadic and small: keys must fit
    slots = chip.buffer_slots if slots is None else slots
    return optimal_keys.fill(layers, slots, costs, keys, objective), _fill_floats(
        layers, slots, costs, objective
    )


def assert_same_tables(keyed: optimal_slots.Schedule, floated: optimal_slots.Schedule) -> None:
    for name in TABLES:
        first, second = getattr(keyed, name), getattr(floated, name)
        assert first.dtype == second.dtype and np.array_equal(first, second), name
    assert keyed.value == floated.value


@pytest.mark.parametrize("denominator", [1, 4])
@pytest.mark.parametrize("objective", ["backward", "total"])
@pytest.mark.parametrize("use_disk", [True, False])
def test_keys_and_floats_fill_bitwise_equal_tables(
    denominator: int, objective: str, use_disk: bool
) -> None:
    rng = np.random.default_rng([denominator, len(objective), use_disk])
    for _ in range(15):
        layers, slots = int(rng.integers(1, 40)), int(rng.integers(0, 7))
        chip = random_chip(rng, max(slots, 1), denominator)
        assert_same_tables(*both_fills(layers, chip, objective, use_disk, slots))


@pytest.mark.parametrize("loaddisk_ns", [5, 10, 35])  # disk cheaper than, as dear as, dearer
def test_keys_and_floats_agree_on_a_long_chain(loaddisk_ns: int) -> None:
    chip = ChipConfig(buffer_slots=10, loaddisk_ns=loaddisk_ns, storedisk_ns=3, bwd_ns=7)
    assert_same_tables(*both_fills(400, chip, "backward", True))


def test_ops_stay_within_the_bounds_the_keys_rely_on() -> None:
    """T entries have at most 4n² ops and F entries 4n² + 4 (optimal_keys' induction)."""
    rng = np.random.default_rng(2)
    for forward_ns in (0, 1):  # cheap forwards and dear loads: the plans with the most ops
        for _ in range(4):
            layers, slots = 60, int(rng.integers(1, 5))
            chip = ChipConfig(
                buffer_slots=slots,
                fwd_ns=forward_ns,
                bwd_ns=0,
                loadmem_ns=int(rng.integers(30, 90)),
                loaddisk_ns=int(rng.integers(30, 90)),
                storemem_ns=int(rng.integers(0, 3)),
                storedisk_ns=int(rng.integers(0, 3)),
            )
            t, F = float_tables(layers, chip)
            sizes = np.arange(layers + 1) ** 2 * 4
            assert (t.ops[:, :, 1:] <= sizes[1:]).all()
            assert (F.ops[:, :, 1:] <= sizes[1:] + 4).all()


def float_tables(layers: int, chip: ChipConfig) -> tuple[_Table, _Table]:
    """The float fill's tables with their op counts (which the Schedule leaves out)."""
    costs = _Costs.of(chip, "total", True)
    t, F = _Table(chip.buffer_slots, layers), _Table(chip.buffer_slots, layers)
    F.choice[:] = NO_STORE
    for n in range(1, layers + 1):
        _fill_t(t, n, costs)
        _fill_f(F, t, n, costs)
    return t, F


@pytest.mark.parametrize(
    "chip",
    [
        ChipConfig(fwd_ns=0.1),  # not a dyadic rational: sums would round
        ChipConfig(fwd_ns=2.0**-70),  # dyadic, but too fine for 64-bit keys
        ChipConfig(loadmem_ns=1e15),  # whole, but keys would overflow
    ],
)
def test_costs_keys_cannot_hold_exactly_fill_in_floats(chip: ChipConfig) -> None:
    assert optimal_keys.Keys.of(_Costs.of(chip, "backward", True), 1000) is None


@pytest.mark.parametrize("objective", ["backward", "total"])
def test_the_float_fill_is_optimal_for_costs_that_are_not_dyadic(objective: str) -> None:
    """Tenths of a ns go to the float fill; exhaustive search finds nothing faster."""
    rng = np.random.default_rng(len(objective))
    checked = 0
    for _ in range(12):
        layers, slots = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        chip = random_chip(rng, slots, denominator=10)
        costs = _Costs.of(chip, objective, True)
        if optimal_keys.Keys.of(costs, layers) is not None:
            continue  # every cost a whole ns this time: not the float fill's case
        value = optimal_slots._fill(layers, chip, slots, objective=objective, use_disk=True).value
        # Summed in another order, tenths round differently: equal to the last few ulps.
        assert value == pytest.approx(optimal_latency(layers, chip, objective), rel=1e-12)
        checked += 1
    assert checked >= 10
