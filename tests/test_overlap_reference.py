"""Overlapped timing in one pass equals the per-op SimPy model it replaced, to the bit."""

from __future__ import annotations

import numpy as np
from conftest import ALL_STRATEGIES
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from overlap_reference import reference_schedule

from chipsim import ChipConfig, DoesNotFit, make_plan
from chipsim.chip import Chip
from chipsim.overlap import schedule

SPECS = (
    *ALL_STRATEGIES,
    "disk-offload:prefetch=3",
    "stride:k=4,prefetch=2",
    "stride:k=2,prefetch=3",
)


@settings(max_examples=300, deadline=None)
@given(
    spec=st.sampled_from(SPECS),
    layers=st.integers(1, 24),
    staging_slots=st.integers(0, 4),
    seed=st.integers(0, 2**32 - 1),
    floats=st.booleans(),
    retries=st.booleans(),
)
def test_one_pass_schedule_equals_the_simpy_model(
    spec: str, layers: int, staging_slots: int, seed: int, floats: bool, retries: bool
) -> None:
    """Random durations per trace row (ints, or floats with rounding to show), some ops
    retried: the same start and end of every row, of the same dtype."""
    chip = ChipConfig(buffer_slots=64, staging_slots=staging_slots, mode="overlapped")
    plan = make_plan(spec, layers, chip)
    try:
        plan.check_fits(chip, None)
    except DoesNotFit:
        assume(False)
    rng = np.random.default_rng(seed)
    attempts = rng.integers(1, 4, len(plan)) if retries else np.ones(len(plan), dtype=np.int64)
    rows = int(attempts.sum())
    durations = rng.uniform(0, 50, rows) if floats else rng.integers(0, 50, rows)
    expected = reference_schedule(Chip(chip), plan, attempts, durations)
    start, end = schedule(Chip(chip), plan, attempts, durations)
    for mine, theirs in zip((start, end), expected, strict=True):
        assert mine.dtype == theirs.dtype
        assert np.array_equal(mine, theirs)
