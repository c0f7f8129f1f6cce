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
    "BreakEven": "analysis",
    "Outcome": "analysis",
    "breakeven": "analysis",
    "compare": "analysis",
    "rank": "analysis",
    "run_strategy": "analysis",
    "ChipConfig": "chip",
    "Execution": "engine",
    "execute": "engine",
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
    "Distribution": "latency",
    "Chip": "machine",
    "Network": "network",
    "OP_KINDS": "ops",
    "Op": "ops",
    "OpCounts": "ops",
    "Plan": "plan",
    "PhaseSummary": "run",
    "Replications": "run",
    "RunResult": "run",
    "simulate": "run",
    "Scenario": "scenario",
    "load_scenario": "scenario",
    "STRATEGIES": "strategies",
    "make_plan": "strategies",
    "parse_spec": "strategies",
    "Trace": "trace",
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
