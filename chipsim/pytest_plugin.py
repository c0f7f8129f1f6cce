"""chipsim's pytest plugin (entry point ``pytest11``): fixtures and readable op-count diffs.

Every pytest run in an environment with chipsim installed loads this module,
so it imports nothing heavy (no pandas, numpy or simpy) until a fixture runs.

- ``chip_sim(scenario=None, *, strategy="stride:k=5", layers=None, width=None,
  seed=None, replications=None, **chip_fields)`` runs a simulation and returns
  its ``RunResult``; ``None`` keeps the scenario's value, ``chip_fields`` set
  ChipConfig fields, ``replications=N`` adds ``result.replications``.
- ``course_chip``: the course scenario's ``ChipConfig``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

import pytest


@pytest.fixture
def chip_sim() -> Callable[..., Any]:
    """Run a strategy on a scenario (default: the course) and return the RunResult."""

    def run(
        scenario: Any = None,
        *,
        strategy: str = "stride:k=5",
        layers: int | None = None,
        width: int | None = None,
        seed: int | None = None,
        replications: int | None = None,
        **chip_fields: Any,
    ) -> Any:
        __tracebackhide__ = True
        from .errors import ConfigError, StrategyError
        from .study.analysis import run_strategy
        from .study.presets import find_scenario
        from .study.scenario import Scenario

        problem = None
        try:
            if scenario is None:
                base = Scenario()
            elif isinstance(scenario, Scenario):
                base = scenario
            elif isinstance(scenario, str | os.PathLike):
                base = find_scenario(scenario)  # a path, or a preset's name
            else:
                raise ConfigError(
                    "scenario must be None, a Scenario, a path to a .toml file or a preset's "
                    f"name, got {scenario!r}"
                )
            chosen = base.with_overrides(layers=layers, width=width, seed=seed, chip=chip_fields)
            return run_strategy(chosen, strategy, replications=replications)
        except (ConfigError, StrategyError) as error:
            problem = str(error)
        pytest.fail(f"chip_sim: {problem}", pytrace=False)  # outside except: no chained traceback

    return run


@pytest.fixture
def course_chip() -> Any:
    """The course scenario's chip (fwd 20 ns, loadmem 10 ns, 2 slots, …)."""
    from .study.scenario import Scenario

    return Scenario().chip


def pytest_assertrepr_compare(config: pytest.Config, op: str, left: Any, right: Any) -> Any:
    """A per-op diff for ``OpCounts == mapping``, in either order."""
    ops = sys.modules.get("chipsim.model.ops")  # not imported yet: no OpCounts can exist
    if op != "==" or ops is None or not (isinstance(left, Mapping) and isinstance(right, Mapping)):
        return None
    if not (isinstance(left, ops.OpCounts) or isinstance(right, ops.OpCounts)):
        return None
    from .testing import explain_difference

    return explain_difference(left, right)
