"""Shared test helpers: the strategies every generic test runs against."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from chipsim import ChipConfig

#: Every property test: bounded by example counts, never by time (CI's limit is the
#: suite's, not a test's). Tests that want fewer say so with @settings(max_examples=...).
settings.register_profile(
    "chipsim", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("chipsim")

#: Every registered strategy, with a parameter choice where one is needed.
ALL_STRATEGIES = (
    "full-store",
    "stride:k=1",
    "stride:k=3",
    "stride:k=5",
    "stride:k=3,prefetch=1",
    "sqrt-n",
    "disk-offload",
    "disk-offload:prefetch=2",
    "revolve",
    "revolve:slots=2",
    "optimal",
    "optimal:objective=total",
)

#: A chip roomy enough for every strategy on the small networks tests use.
ROOMY = ChipConfig(buffer_slots=64, staging_slots=4)


@pytest.fixture(params=ALL_STRATEGIES)
def strategy(request: pytest.FixtureRequest) -> str:
    return request.param
