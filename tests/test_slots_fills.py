"""The equal-size DP's two fills: exact integer keys and floats give bitwise the same tables."""

from __future__ import annotations

import numpy as np
import pytest
from exhaustive import optimal_latency

from chipsim import ChipConfig
from chipsim.model.chip import LATENCY_FIELDS
from chipsim.planners.equal_size import floats as slots_floats
from chipsim.planners.equal_size import keys as slots_keys
from chipsim.planners.equal_size import recurrence as optimal_slots
from chipsim.planners.equal_size.floats import _fill_f, _fill_t, _Table
from chipsim.planners.equal_size.schedule import NO_STORE, Schedule
from chipsim.planners.equal_size.slot_costs import SlotCosts

TABLES = ("t_choice", "t_split", "f_choice", "f_split", "t_value", "f_value")


def random_chip(rng: np.random.Generator, slots: int, denominator: int = 1) -> ChipConfig:
    """Latencies that are whole multiples of 1/denominator ns, cheap or dear disk alike."""
    latencies = {name: int(rng.integers(0, 40)) / denominator for name in LATENCY_FIELDS}
    return ChipConfig(buffer_slots=slots, **latencies)


def both_fills(
    layers: int, chip: ChipConfig, objective: str, use_disk: bool, slots: int | None = None
) -> tuple[Schedule, Schedule]:
    costs = SlotCosts.of(chip, objective, use_disk)
    keys = slots_keys.Keys.of(costs, layers)
    assert keys is not None, chip  # these costs are dyadic and small: keys must fit
    slots = chip.buffer_slots if slots is None else slots
    return slots_keys.fill(layers, slots, costs, keys, objective), slots_floats.fill(
        layers, slots, costs, objective
    )


def assert_same_tables(keyed: Schedule, floated: Schedule) -> None:
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
    """T entries have at most 4n² ops and F entries 4n² + 4 (slots_keys' induction)."""
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
    costs = SlotCosts.of(chip, "total", True)
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
    assert slots_keys.Keys.of(SlotCosts.of(chip, "backward", True), 1000) is None


def test_short_chains_whose_float_sums_would_round_fill_in_floats() -> None:
    """Few layers leave room in an int64 for latencies floats cannot hold exactly: the
    keys must refuse them, or the two fills would break ties differently."""
    chip = ChipConfig(
        buffer_slots=1,
        fwd_ns=0.125,
        bwd_ns=559577865198551.4,
        loadmem_ns=507082039285591.6,
        storemem_ns=346448781947352.4,
        loaddisk_ns=542411959720254.4,
        storedisk_ns=232090211304083.12,
    )
    assert slots_keys.Keys.of(SlotCosts.of(chip, "backward", True), 2) is None


@pytest.mark.parametrize("layers", [2, 4, 6, 9, 30])
def test_keys_and_floats_agree_on_costs_just_within_the_keys_bounds(layers: int) -> None:
    """Eighths of a ns scaled up until the keys are about to refuse them."""
    rng = np.random.default_rng(layers)
    for _ in range(20):
        eighths = {name: int(rng.integers(0, 2**20)) for name in LATENCY_FIELDS}
        scale = 1.0
        while within_bounds(layers, eighths, scale * 2):
            scale *= 2
        chip = ChipConfig(buffer_slots=3, **{k: v * scale / 8 for k, v in eighths.items()})
        assert_same_tables(*both_fills(layers, chip, "total", True))


def within_bounds(layers: int, eighths: dict[str, int], scale: float) -> bool:
    latencies = {name: value * scale / 8 for name, value in eighths.items()}
    if max(latencies.values()) > 1e15:  # the most a chip accepts
        return False
    costs = SlotCosts.of(ChipConfig(buffer_slots=3, **latencies), "total", True)
    return slots_keys.Keys.of(costs, layers) is not None


@pytest.mark.parametrize("objective", ["backward", "total"])
def test_the_float_fill_is_optimal_for_costs_that_are_not_dyadic(objective: str) -> None:
    """Tenths of a ns go to the float fill; exhaustive search finds nothing faster."""
    rng = np.random.default_rng(len(objective))
    checked = 0
    for _ in range(12):
        layers, slots = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        chip = random_chip(rng, slots, denominator=10)
        costs = SlotCosts.of(chip, objective, True)
        if slots_keys.Keys.of(costs, layers) is not None:
            continue  # every cost a whole ns this time: not the float fill's case
        value = optimal_slots._fill(layers, chip, slots, objective=objective, use_disk=True).value
        # Summed in another order, tenths round differently: equal to the last few ulps.
        assert value == pytest.approx(optimal_latency(layers, chip, objective), rel=1e-12)
        checked += 1
    assert checked >= 10
