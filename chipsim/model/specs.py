"""Specs: ``name[:key=value[,key=value]]`` text naming a registered function and its parameters.

Strategies (``stride:k=5``) and networks (``mlp:widths=784,512,10``) are both
chosen by a spec; this is the one parser. Parameters are the keyword-only
arguments of the registered function; each value is converted by its type
hint: ``int`` (a whole number), ``float``, ``tuple[int, ...]`` (whole numbers
separated by commas, so ``widths=784,512,10`` is one value) or text. A
default makes a parameter optional. Errors name the noun ("strategy",
"network"), the parameter and what would be valid.
"""

from __future__ import annotations

import inspect
import math
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, did_you_mean
from ..limits import MAX_DIGITS
from ..limits import text_shown as shown_text

Value = int | float | str | tuple[int, ...]


@dataclass(frozen=True)
class Spec:
    """A parsed spec: a registered name and its parameter values, in signature order."""

    name: str
    params: tuple[tuple[str, Value], ...] = ()

    def __str__(self) -> str:
        if not self.params:
            return self.name
        return self.name + ":" + ",".join(f"{key}={_text(value)}" for key, value in self.params)


def parameters(function: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    """The keyword-only parameters of a registered function."""
    signature = inspect.signature(function)
    return {key: p for key, p in signature.parameters.items() if p.kind is p.KEYWORD_ONLY}


def value_kind(function: Callable[..., Any], key: str) -> type:
    """int, float, tuple or str: how a parameter's text is read."""
    hint = typing.get_type_hints(function)[key]
    options = (hint,) if typing.get_origin(hint) is tuple else typing.get_args(hint) or (hint,)
    for kind in (tuple, int, float):  # tuple first: tuple[int, ...]'s arguments hold int
        if kind in options or any(typing.get_origin(option) is kind for option in options):
            return kind
    return str


_PLACEHOLDER = {int: "N", float: "X", tuple: "N,N,...", str: "TEXT"}


def describe(name: str, function: Callable[..., Any]) -> str:
    """``stride:k=N[,prefetch=N]`` style usage."""
    params = parameters(function)
    if not params:
        return name
    usage = {key: f"{key}={_PLACEHOLDER[value_kind(function, key)]}" for key in params}
    required = [usage[key] for key, p in params.items() if p.default is p.empty]
    optional = [usage[key] for key, p in params.items() if p.default is not p.empty]
    if not required:
        return f"{name}[:{','.join(optional)}]"
    return f"{name}:{','.join(required)}" + "".join(f"[,{part}]" for part in optional)


def parse(
    text: str,
    registry: Mapping[str, Callable[..., Any]],
    noun: str,
    error: type[Exception] = ConfigError,
    plural: str | None = None,
) -> Spec:
    """Parse ``text`` against ``registry``; errors (of class ``error``) list what is valid."""
    name, _, rest = text.strip().partition(":")
    if name not in registry:
        raise error(
            f"unknown {noun} {shown_text(name)}; valid {plural or noun + 's'} are "
            + ", ".join(describe(n, f) for n, f in registry.items())
            + did_you_mean(name, registry)
        )
    return parse_params(name, registry[name], rest, noun, error)


def parse_params(
    name: str,
    function: Callable[..., Any],
    rest: str,
    noun: str,
    error: type[Exception] = ConfigError,
) -> Spec:
    """The Spec of ``name`` (already resolved to ``function``) with the parameter text ``rest``."""
    allowed = parameters(function)
    values: dict[str, Value] = {}
    items = _positional(_items(rest, noun, name, error), allowed)
    for key, raw in items:
        if key not in allowed:
            valid = ", ".join(allowed) or "none"
            raise error(
                f"{noun} {name} has no parameter {shown_text(key)}; valid parameters: {valid}"
                + did_you_mean(key, allowed)
            )
        if raw is None:
            raise error(f"{noun} {name}: parameter {key} needs a value, as in {key}=5")
        if key in values:
            raise error(f"{noun} {name}: parameter {key} is given twice")
        values[key] = _convert(raw, value_kind(function, key), f"{noun} {name}: {key}", error)
    missing = [k for k, p in allowed.items() if p.default is p.empty and k not in values]
    if missing:
        raise error(f"{noun} {name} needs {', '.join(missing)} (for example {name}:{missing[0]}=5)")
    return Spec(name, tuple((key, values[key]) for key in allowed if key in values))


def without_defaults(spec: Spec, function: Callable[..., Any]) -> Spec:
    """``spec`` without the parameters it gives at their default value, so one choice has
    one text (``stride:k=2,prefetch=0`` is ``stride:k=2``): what a run's id is made of."""
    allowed = parameters(function)
    kept = tuple(
        (key, value)
        for key, value in spec.params
        if allowed[key].default is allowed[key].empty or value != allowed[key].default
    )
    return Spec(spec.name, kept)


def _items(rest: str, noun: str, name: str, error: type[Exception]) -> list[tuple[str, str | None]]:
    """``k=5,widths=1,2,3`` → [("k", "5"), ("widths", "1,2,3")]: a part without ``=``
    continues the list value before it."""
    items: list[tuple[str, str | None]] = []
    if _CONTROL.search(rest):
        raise error(f"{noun} {name}: its parameters contain a control character: {rest!r}")
    for part in (piece.strip() for piece in rest.split(",")) if rest.strip() else ():
        if not part:
            raise error(f"{noun} {name}: an empty item in {rest!r}; separate values by one comma")
        key, eq, raw = part.partition("=")
        if eq:
            items.append((key.strip(), raw.strip()))
        elif items and items[-1][1] is not None and _INTEGER.fullmatch(part):
            items[-1] = (items[-1][0], f"{items[-1][1]},{part}")
        else:
            items.append((key.strip(), None))
    return items


def _positional(
    items: list[tuple[str, str | None]], allowed: dict[str, inspect.Parameter]
) -> list[tuple[str, str | None]]:
    """``stride:5`` is ``stride:k=5``: a first item without ``=`` is the value of the one
    required parameter (or of the only parameter, when none is required)."""
    if not items or items[0][1] is not None or items[0][0] in allowed:
        return items
    required = [key for key, p in allowed.items() if p.default is p.empty]
    single = required if required else list(allowed)
    if len(single) != 1:
        return items
    return [(single[0], items[0][0]), *items[1:]]


#: Numbers as people write them: ASCII digits, no ``_`` separators, no ``0x`` prefixes.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def number(raw: str, kind: type, where: str, error: type[Exception] = ConfigError) -> int | float:
    """``raw`` as an int or float: plain ASCII digits, at most ``MAX_DIGITS`` of them. An
    int may be written as an integral float in exponent form (``40e9``), not ``1.5e0``."""
    expected = "a whole number" if kind is int else "a number"
    text = raw.strip()
    if len(text) > MAX_DIGITS + 8:
        raise error(
            f"{where} must be {expected} of at most {MAX_DIGITS} digits, got {shown_text(text)}"
        )
    if kind is int and _INTEGER.fullmatch(text):
        return int(text)
    if not _FLOAT.fullmatch(text) or (kind is int and not _is_integral(float(text))):
        raise error(f"{where} must be {expected}, got {shown_text(raw)}")
    value = float(text)
    if not math.isfinite(value):
        raise error(f"{where} must be a finite number, got {shown_text(raw)}")
    return int(value) if kind is int else value


def _is_integral(value: float) -> bool:
    return math.isfinite(value) and value.is_integer() and abs(value) <= 2**53


def _convert(raw: str, kind: type, where: str, error: type[Exception]) -> Value:
    if kind is str:
        return raw
    if kind is tuple:
        parts = raw.split(",")
        if not all(_INTEGER.fullmatch(part.strip()) for part in parts) or len(raw) > 10**4:
            raise error(f"{where} must be whole numbers separated by commas, got {shown_text(raw)}")
        return tuple(number(part, int, where, error) for part in parts)  # type: ignore[misc]
    return number(raw, kind, where, error)


def _text(value: Value) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
