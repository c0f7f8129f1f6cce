"""chipsim: recompute, keep or page activations on a memory-starved training chip.

A discrete-event simulator (SimPy) of the chip in SPEC.md: strategies emit
plans of ops, one engine runs any plan with real numpy math and timing.

Names are loaded on first use (PEP 562), so ``import chipsim`` — and the
pytest plugin, which every pytest run in an environment with chipsim loads —
costs almost nothing until something is simulated.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name → the module that defines it.
_EXPORTS: dict[str, str] = {
    "BreakEven": "study.breakeven",
    "Outcome": "study.analysis",
    "breakeven": "study.breakeven",
    "compare": "study.analysis",
    "rank": "study.analysis",
    "run_strategy": "study.analysis",
    "ChipConfig": "model.chip",
    "Execution": "sim.engine",
    "execute": "sim.engine",
    "ChipsimError": "errors",
    "ConfigError": "errors",
    "DiskReadError": "errors",
    "DoesNotFit": "errors",
    "GradientMismatch": "errors",
    "ModelViolation": "errors",
    "NoBreakEven": "errors",
    "PlanError": "errors",
    "PlanTooLarge": "errors",
    "Refusal": "errors",
    "StrategyError": "errors",
    "Distribution": "model.latency",
    "Chip": "sim.machine",
    "Network": "model.network",
    "OP_KINDS": "model.ops",
    "Op": "model.ops",
    "OpCounts": "model.ops",
    "Plan": "sim.plan",
    "PhaseSummary": "study.run",
    "Replications": "study.run",
    "RunResult": "study.run",
    "simulate": "study.run",
    "Scenario": "study.scenario",
    "load_scenario": "study.scenario",
    "find_scenario": "study.presets",
    "preset_names": "study.presets",
    "STRATEGIES": "planners",
    "make_plan": "planners",
    "parse_spec": "planners",
    "Trace": "sim.trace",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'chipsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
