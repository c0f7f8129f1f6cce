"""Strategies (policy): each turns (layers, chip) into a Plan; this module names them.

A strategy spec is ``name[:key=value[,key=value]]``, e.g. ``stride:k=5`` or
``optimal:objective=total``; it is parsed here and nowhere else. Parameters
are the keyword-only arguments of each strategy's ``plan`` function: whole
numbers where annotated ``int``, text otherwise; a default makes one optional.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass

from ..chip import ChipConfig
from ..errors import StrategyError
from ..plan import Plan
from . import disk_offload, full_store, optimal, revolve, sqrt_n, stride

PlanFunction = Callable[..., Plan]

STRATEGIES: dict[str, PlanFunction] = {
    "full-store": full_store.plan,
    "stride": stride.plan,
    "sqrt-n": sqrt_n.plan,
    "disk-offload": disk_offload.plan,
    "revolve": revolve.plan,
    "optimal": optimal.plan,
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


@dataclass(frozen=True)
class StrategySpec:
    """A parsed spec: a registered name and its parameter values."""

    name: str
    params: tuple[tuple[str, int | str], ...] = ()

    def __str__(self) -> str:
        if not self.params:
            return self.name
        return self.name + ":" + ",".join(f"{key}={value}" for key, value in self.params)


def parameters(name: str) -> dict[str, inspect.Parameter]:
    """The keyword-only parameters a registered strategy takes."""
    signature = inspect.signature(STRATEGIES[name])
    return {key: p for key, p in signature.parameters.items() if p.kind is p.KEYWORD_ONLY}


def _takes_int(name: str, key: str) -> bool:
    hint = typing.get_type_hints(STRATEGIES[name])[key]
    return hint is int or int in typing.get_args(hint)


def describe(name: str) -> str:
    """``stride:k=N`` style usage for a registered name."""
    params = parameters(name)
    if not params:
        return name
    usage = {key: f"{key}={'N' if _takes_int(name, key) else 'TEXT'}" for key in params}
    required = [usage[key] for key, p in params.items() if p.default is p.empty]
    optional = [usage[key] for key, p in params.items() if p.default is not p.empty]
    if not required:
        return f"{name}[:{','.join(optional)}]"
    return f"{name}:{','.join(required)}" + "".join(f"[,{part}]" for part in optional)


def parse_spec(text: str) -> StrategySpec:
    """Parse ``name[:key=value[,key=value]]``; errors list what is valid."""
    name, _, rest = text.strip().partition(":")
    if name not in STRATEGIES:
        raise StrategyError(
            f"unknown strategy {name!r}; valid strategies are "
            + ", ".join(describe(n) for n in STRATEGIES)
        )
    allowed = parameters(name)
    values: dict[str, int | str] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))) if rest else ():
        key, eq, raw = item.partition("=")
        key = key.strip()
        if key not in allowed:
            valid = ", ".join(allowed) or "none"
            raise StrategyError(
                f"strategy {name} has no parameter {key!r}; valid parameters: {valid}"
            )
        if not eq:
            raise StrategyError(f"strategy {name}: parameter {key} needs a value, as in {key}=5")
        if key in values:
            raise StrategyError(f"strategy {name}: parameter {key} is given twice")
        values[key] = raw.strip()
        if _takes_int(name, key):
            try:
                values[key] = int(raw)
            except ValueError:
                raise StrategyError(
                    f"strategy {name}: {key} must be a whole number, got {raw.strip()!r}"
                ) from None
    missing = [k for k, p in allowed.items() if p.default is p.empty and k not in values]
    if missing:
        raise StrategyError(
            f"strategy {name} needs {', '.join(missing)} (for example {name}:{missing[0]}=5)"
        )
    ordered = tuple((key, values[key]) for key in allowed if key in values)
    return StrategySpec(name, ordered)


def make_plan(spec: str | StrategySpec, layers: int, chip: ChipConfig) -> Plan:
    """The plan a strategy spec gives for ``layers`` layers on ``chip``."""
    parsed = parse_spec(spec) if isinstance(spec, str) else spec
    plan = STRATEGIES[parsed.name](layers, chip, **dict(parsed.params))
    return dataclasses.replace(plan, strategy=str(parsed))
