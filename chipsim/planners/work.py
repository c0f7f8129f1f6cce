"""Work estimated before it is done: a plan's ops from its strategy's closed form, and
the time and memory to build and run it, refused beyond ``chipsim.limits``.

Every command builds its plans through ``make_plan``, which asks ``check_plan``
first: a strategy whose closed form gives its op count (full-store, stride,
sqrt-n, disk-offload, revolve; ``optimal`` by its planner's cost and about 4·L
ops) is refused at once, with the estimate and the limit, instead of running
for minutes and ending in a MemoryError. A run then checks the built plan's
exact op count (``check_run``) and its replications (``check_replications``)
before simulating. Third-party strategies have no closed form: their time is
bounded by ``--plan-timeout`` instead, their plan by ``check_run``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, PlanTooLarge
from ..formatting import bytes_text, time_text
from ..limits import (
    BYTES_PER_OP,
    MAX_FIGURE_OPS,
    MAX_PLAN_OPS,
    MAX_REPLICATIONS,
    MAX_WORK_BYTES,
    MAX_WORK_SECONDS,
    SECONDS_PER_OP,
    SECONDS_PER_PERIODIC_LAYER,
    SECONDS_PER_REPLICATION,
)
from ..model.chip import ChipConfig
from ..model.stages import Chain
from . import disk_offload, full_store, revolve, sqrt_n, stride


@dataclass(frozen=True)
class Estimate:
    """Ops, seconds and peak bytes of some work, from closed forms and measured costs."""

    ops: int
    seconds: float
    peak_bytes: int

    @classmethod
    def of(cls, ops: int, doing: str, extra_seconds: float = 0.0) -> Estimate:
        """``ops`` ops built into a plan and then ``doing`` (plan, serial, math, overlapped)."""
        seconds = ops * (SECONDS_PER_OP["plan"] + SECONDS_PER_OP[doing] * (doing != "plan"))
        peak = ops * (BYTES_PER_OP["plan"] + BYTES_PER_OP[doing] * (doing != "plan"))
        return cls(ops, seconds + extra_seconds, peak)

    def too_large(self) -> bool:
        return (
            self.ops > MAX_PLAN_OPS
            or self.seconds > MAX_WORK_SECONDS
            or self.peak_bytes > MAX_WORK_BYTES
        )

    def __str__(self) -> str:
        return (
            f"about {self.ops:.3g} ops, {_seconds(self.seconds)} and {bytes_text(self.peak_bytes)}"
        )


LIMITS = (
    f"the limits are {MAX_PLAN_OPS:.0e} ops, {MAX_WORK_SECONDS} s and "
    f"{bytes_text(MAX_WORK_BYTES)} (chipsim.limits)"
)


def _seconds(value: float) -> str:
    """Seconds for people, in the units every message uses (``chipsim.formatting``)."""
    return time_text(value * 1e9)


def plan_ops(name: str, params: Mapping[str, Any], chain: Chain, chip: ChipConfig) -> int | None:
    """Ops in both phases of a built-in strategy's plan, from its closed form (an
    estimate for revolve and optimal); None for a strategy without one (a plugin)."""
    layers = chain.layers
    if any(params.get(key, 1) < 1 for key in ("k", "segment", "slots")):
        return None  # the planner refuses it, naming the parameter
    forms = {
        "full-store": lambda: full_store.closed_form(layers),
        "stride": lambda: stride.closed_form(layers, params.get("k", 1)),
        "sqrt-n": lambda: sqrt_n.closed_form(layers, params.get("segment")),
        "disk-offload": lambda: disk_offload.closed_form(layers),
    }
    if name in forms:
        form = forms[name]()
        return sum(sum(form[phase].values()) for phase in ("forward", "backward"))
    if name == "revolve":
        slots = params.get("slots") or _chip_slots(chain, chip)
        return 5 * layers + revolve.backward_recomputations(layers, max(slots, 1))
    if name == "optimal":
        return 4 * layers
    return None


def _chip_slots(chain: Chain, chip: ChipConfig) -> int:
    """The slots revolve plans for; 1 when the chip's buffer cannot say (it refuses later)."""
    if chip.buffer_slots is not None and chain.equal_width is not None:
        return max(chip.buffer_slots, 1)  # without building the chain's size arrays
    try:
        return max(chip.slots_for(chain), 1)
    except ConfigError:
        return 1


def planning_seconds(name: str, chain: Chain, chip: ChipConfig) -> float:
    """Seconds a planner itself takes beyond building its ops: ``optimal`` past its exact
    reach on equal sizes (the byte planner refuses its own, ``MAX_BYTE_PLANNING_STEPS``)."""
    if name != "optimal" or chain.equal_width is None:
        return 0.0
    from .periodic import is_exact

    slots = _chip_slots(chain, chip)
    return 0.0 if is_exact(chain.layers, slots) else SECONDS_PER_PERIODIC_LAYER * chain.layers


def check_plan(
    name: str, label: str, params: Mapping[str, Any], chain: Chain, chip: ChipConfig
) -> None:
    """Refuse (PlanTooLarge, naming ``label``) a plan whose estimate passes the limits."""
    ops = plan_ops(name, params, chain, chip)
    if ops is None:
        return
    estimate = Estimate.of(ops, "plan", planning_seconds(name, chain, chip))
    if estimate.too_large():
        raise PlanTooLarge(
            f"{label} on {chain.layers} layers would take {estimate} to plan; {LIMITS}"
        )


def doing(chip: ChipConfig, math: bool) -> str:
    """How a run simulates its ops: overlapped, with the math, or serial timing only."""
    return "overlapped" if chip.mode == "overlapped" else "math" if math else "serial"


def check_run(label: str, ops: int, chip: ChipConfig, math: bool) -> None:
    """Refuse a run of a built plan of ``ops`` ops whose estimate passes the limits."""
    estimate = Estimate.of(ops, doing(chip, math))
    if estimate.too_large():
        raise PlanTooLarge(f"running {label} would take {estimate}; {LIMITS}")


def check_replications(replications: int, ops: int) -> None:
    """Refuse more than ``MAX_REPLICATIONS`` replications, or more than the time limit's worth."""
    if replications > MAX_REPLICATIONS:
        raise ConfigError(
            f"--replications {replications}: at most {MAX_REPLICATIONS} "
            "(chipsim.limits.MAX_REPLICATIONS): each one re-times every op of the plan, "
            "and the percentiles reported are stable long before"
        )
    seconds = replications * (SECONDS_PER_REPLICATION + ops * SECONDS_PER_OP["retimed"])
    if seconds > MAX_WORK_SECONDS:
        raise ConfigError(
            f"--replications {replications} of a {ops}-op plan would take about "
            f"{_seconds(seconds)}; the limit is {MAX_WORK_SECONDS} s (chipsim.limits): "
            "use fewer replications"
        )


def check_figure(
    name: str, label: str, params: Mapping[str, Any], chain: Chain, chip: ChipConfig
) -> None:
    """Refuse to draw a run whose plan has more than ``MAX_FIGURE_OPS`` ops (one bar each)."""
    ops = plan_ops(name, params, chain, chip)
    if ops is not None and ops > MAX_FIGURE_OPS:
        raise ConfigError(
            f"a figure of {label} on {chain.layers} layers would draw about {ops:.3g} ops; "
            f"the most is {MAX_FIGURE_OPS} (chipsim.limits.MAX_FIGURE_OPS): use fewer layers"
        )
