"""Revolve's plan emitted run by run is the plan emitted op by op, column for column."""

from __future__ import annotations

import numpy as np
import pytest
from binomial_reference import plan as reference_plan

from chipsim.planners.binomial import plan


def assert_same_plan(layers: int, slots: int) -> None:
    ours, theirs = plan("revolve", layers, slots), reference_plan("revolve", layers, slots)
    assert ours.forward_ops == theirs.forward_ops
    assert np.array_equal(ours.kind_codes, theirs.kind_codes)
    assert np.array_equal(ours.layer_numbers, theirs.layer_numbers)
    assert ours.kind_codes.dtype == theirs.kind_codes.dtype
    assert ours.layer_numbers.dtype == theirs.layer_numbers.dtype
    assert not ours.prefetch.any()


@pytest.mark.parametrize("slots", [1, 2, 3, 5, 10])
def test_every_small_chain_plans_the_same(slots: int) -> None:
    for layers in range(1, 120):
        assert_same_plan(layers, slots)


@pytest.mark.parametrize(("layers", "slots"), [(5000, 4), (20_000, 10), (70_001, 25)])
def test_long_chains_plan_the_same(layers: int, slots: int) -> None:
    assert_same_plan(layers, slots)
