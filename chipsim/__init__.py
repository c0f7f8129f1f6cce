"""chipsim: recompute, keep or page activations on a memory-starved training chip.

A discrete-event simulator (SimPy) of the chip in SPEC.md: strategies emit
plans of ops, one engine runs any plan with real numpy math and timing.
"""

from .analysis import BreakEven, Outcome, breakeven, compare, run_strategy
from .chip import Chip, ChipConfig
from .engine import Execution, execute
from .errors import (
    ChipsimError,
    ConfigError,
    DoesNotFit,
    GradientMismatch,
    ModelViolation,
    NoBreakEven,
    StrategyError,
)
from .network import Network
from .ops import OP_KINDS, Op
from .plan import Plan
from .run import PhaseSummary, RunResult, simulate
from .scenario import Scenario, load_scenario
from .strategies import STRATEGIES, make_plan, parse_spec
from .trace import Trace

__all__ = [
    "OP_KINDS",
    "STRATEGIES",
    "BreakEven",
    "Chip",
    "ChipConfig",
    "ChipsimError",
    "ConfigError",
    "DoesNotFit",
    "Execution",
    "GradientMismatch",
    "ModelViolation",
    "Network",
    "NoBreakEven",
    "Op",
    "Outcome",
    "PhaseSummary",
    "Plan",
    "RunResult",
    "Scenario",
    "StrategyError",
    "Trace",
    "breakeven",
    "compare",
    "execute",
    "load_scenario",
    "make_plan",
    "parse_spec",
    "run_strategy",
    "simulate",
]
