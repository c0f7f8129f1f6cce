"""Strategies (policy): each turns (network, chip) into a Plan; this module names them.

A strategy spec is ``name[:key=value[,key=value]]``, e.g. ``stride:k=5`` or
``optimal:objective=total``; it is parsed here and nowhere else. Parameters
are the keyword-only arguments of each strategy's ``plan`` function: whole
numbers where annotated ``int``, text otherwise; a default makes one optional.
Besides the built-ins, a name may be an installed ``chipsim.strategies``
entry point, and a spec may name a function, ``package.module:function[:params]``
(``chipsim.strategies.plugins``; docs/strategies.md); both parse, describe
and plan like the built-ins, and built-in names win.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ConfigError, StrategyError
from ..model import specs
from ..model.chip import ChipConfig
from ..model.network import Network
from ..model.networks import course_chain
from ..model.specs import Spec
from ..model.stages import Chain
from ..sim.plan import Plan
from . import deadline, disk_offload, full_store, optimal, plugins, revolve, sqrt_n, stride, work

PlanFunction = Callable[..., Plan]

STRATEGIES: dict[str, PlanFunction] = {
    "full-store": full_store.plan,
    "stride": stride.plan,
    "sqrt-n": sqrt_n.plan,
    "disk-offload": disk_offload.plan,
    "revolve": revolve.plan,
    "optimal": optimal.plan,
}

#: Strategy name → ``slots_needed(layers, **params)``, the buffer slots its plan needs from
#: its closed form: checked before a plan is built, so a plan that cannot fit is refused
#: at once (building full-store at L = 10⁷ takes minutes and gigabytes). ``revolve`` and
#: ``optimal`` plan for the chip's slots and need no check.
SLOTS_NEEDED: dict[str, Callable[..., int]] = {
    "full-store": full_store.slots_needed,
    "stride": stride.slots_needed,
    "sqrt-n": sqrt_n.slots_needed,
    "disk-offload": disk_offload.slots_needed,
}

#: What ``chipsim compare`` runs when no strategy is named.
DEFAULT_COMPARISON: tuple[str, ...] = (
    "full-store",
    "stride:k=5",
    "sqrt-n",
    "disk-offload",
    "revolve",
    "optimal",
)


#: A parsed strategy spec: a registered name and its parameter values.
StrategySpec = Spec


def function(name: str) -> PlanFunction:
    """The plan function of a parsed spec's name: built-in, entry point or ``module:function``."""
    if name in STRATEGIES:
        return STRATEGIES[name]
    if plugins.is_entry_point(name):
        return plugins.by_entry_point(name)
    return plugins.by_reference(name)


def parameters(name: str) -> dict[str, inspect.Parameter]:
    """The keyword-only parameters a strategy takes."""
    return specs.parameters(function(name))


def describe(name: str) -> str:
    """``stride:k=N`` style usage for a strategy name."""
    return specs.describe(name, function(name))


def parse_spec(text: str) -> StrategySpec:
    """Parse ``name[:key=value[,...]]`` or ``module:function[:...]``; errors list what is valid."""
    name, _, rest = text.strip().partition(":")
    if name not in STRATEGIES:
        if plugins.is_entry_point(name):
            return specs.parse_params(name, plugins.by_entry_point(name), rest, *_NOUN)
        reference = plugins.split_reference(text)
        if reference is not None:
            name, rest = reference
            return specs.parse_params(name, plugins.by_reference(name), rest, *_NOUN)
        return specs.parse(text, {**STRATEGIES, **plugins.installed()}, *_NOUN, "strategies")
    return specs.parse(text, STRATEGIES, *_NOUN, "strategies")


_NOUN = ("strategy", StrategyError)


def make_plan(spec: str | StrategySpec, network: Chain | int, chip: ChipConfig) -> Plan:
    """The plan a strategy spec gives for ``network`` on ``chip``.

    ``network`` may be a layer count: the course's equal-width MLP, priced
    by the chip's fixed latencies alone (a chip that prices bandwidth needs
    the network itself). The plan is made even if it does not fit the chip
    (``Plan.check_fits``; ``check_slots`` refuses sooner, from a closed form).
    """
    parsed = parse_spec(spec) if isinstance(spec, str) else spec
    if not isinstance(network, Chain):
        if chip.uses_bandwidth:
            raise ConfigError("the chip prices bytes and multiply-adds: give the network")
        Network.check_size(network, 1, 0)
        network = course_chain(network, 1, dtype_bytes=chip.dtype_bytes)
    plan_function, params = function(parsed.name), dict(parsed.params)
    if parsed.name in STRATEGIES:
        work.check_plan(parsed.name, str(parsed), params, network, chip)
        plan = plan_function(network, chip, **params)
    else:
        label = parsed.name
        plan = deadline.call_within(
            label, plugins.call, label, plan_function, network, chip, **params
        )
        if plan.layers != network.layers:  # its ops would index past the network's stages
            raise StrategyError(
                f"strategy {label} returned a plan for {plan.layers} layers; "
                f"the network has {network.layers}"
            )
    plan = plan.up_to(chip.training.lowest_trained(network))
    sizes = network.activation_bytes if network.equal_width is None else None
    return dataclasses.replace(plan, strategy=str(parsed), activation_bytes=sizes)


def check_slots(
    name: str, label: str, layers: int, chip: ChipConfig, params: Mapping[str, Any]
) -> None:
    """Raise ``DoesNotFit`` (for spec ``label``) when strategy ``name`` cannot fit ``chip``'s
    slots, from its closed form (``SLOTS_NEEDED``), before its plan is built."""
    needed = SLOTS_NEEDED.get(name)
    if needed is None or chip.buffer_slots is None:
        return
    budget = chip.budget(None)  # counts slots: the closed forms count activations
    budget.refuse_over(label, needed(layers, **params) * budget.slot_bytes)
