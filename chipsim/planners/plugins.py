"""Third-party strategies: entry points of the ``chipsim.strategies`` group and ``module:function``.

A strategy is any function ``plan(network: Chain, chip: ChipConfig, *, ...) -> Plan``
whose keyword-only parameters are annotated ``int``, ``float``, ``str`` or
``tuple[int, ...]`` (``chipsim.model.specs`` converts the spec's text by those hints).
A package publishes one under a name with an entry point::

    [project.entry-points."chipsim.strategies"]
    greedy = "mypkg.greedy:plan"

or a user names it directly: ``--strategy mypkg.greedy:plan:k=3``. Nothing
here runs at start-up: entry points are looked up only when a spec names a
strategy that is not built in, and each function is loaded once. Every
failure is a one-line ``StrategyError`` naming the spec and what went wrong,
a ``sys.exit`` inside a plugin too. While a plugin is imported or plans, what
it prints goes to stderr: stdout carries chipsim's answer (``--json``) alone.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import sys
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

from ..errors import ChipsimError, StrategyError
from ..sim.plan import Plan

GROUP = "chipsim.strategies"
PlanFunction = Callable[..., Plan]
_KINDS = (int, float, str, tuple)

_loaded: dict[str, PlanFunction] = {}
_hashes: dict[str, str | None] = {}  # each loaded strategy's module file, hashed as it loaded


def entry_points() -> dict[str, EntryPoint]:
    """The entry points of the ``chipsim.strategies`` group on the current path, by name."""
    from importlib import metadata  # ~20 ms: only when a spec names no built-in

    return {point.name: point for point in metadata.entry_points(group=GROUP)}


def installed() -> dict[str, PlanFunction]:
    """Every entry-point strategy that loads (to list what is valid); broken ones left out."""
    found = {}
    for name in entry_points():
        try:
            found[name] = by_entry_point(name)
        except StrategyError:
            continue
    return found


def is_entry_point(name: str) -> bool:
    """Whether ``name`` is an entry-point strategy (loaded already, or on the current path)."""
    return name in _loaded or name in entry_points()


def by_entry_point(name: str) -> PlanFunction:
    """The strategy the entry point ``name`` names, loaded and checked once."""
    if name not in _loaded:
        point = entry_points()[name]
        try:
            with _guarded():
                function = point.load()
        except Exception as error:  # a plugin's import may raise anything
            raise StrategyError(
                f"strategy {name}: entry point {point.value} cannot be loaded ({_line(error)})"
            ) from None
        _loaded[name] = checked(name, function)
        _hashes[name] = _file_sha256(function)
    return _loaded[name]


def split_reference(text: str) -> tuple[str, str] | None:
    """``pkg.mod:fn[:params]`` → ("pkg.mod:fn", "params"); None if ``text`` is not of that form."""
    module, _, rest = text.strip().partition(":")
    function, _, params = rest.partition(":")
    names = [*module.split("."), function.strip()]
    if not all(part.isidentifier() for part in names):
        return None
    return f"{module}:{function.strip()}", params


def by_reference(reference: str) -> PlanFunction:
    """The function ``module:function`` names, imported and checked once."""
    if reference not in _loaded:
        module_name, _, attribute = reference.partition(":")
        try:
            with _guarded():
                module = importlib.import_module(module_name)
        except Exception as error:  # ImportError, or whatever the module raises on import
            raise StrategyError(
                f"strategy {reference}: module {module_name!r} cannot be imported ({_line(error)})"
            ) from None
        if not hasattr(module, attribute):
            raise StrategyError(
                f"strategy {reference}: module {module_name} has no attribute {attribute!r}"
            )
        _loaded[reference] = checked(reference, getattr(module, attribute))
        _hashes[reference] = _file_sha256(_loaded[reference])
    return _loaded[reference]


def checked(name: str, function: object) -> PlanFunction:
    """``function`` if it is a strategy (callable on (network, chip), parameters typed)."""
    if not callable(function):
        raise StrategyError(
            f"strategy {name} is not callable (it is a {type(function).__name__}); "
            "a strategy is a function plan(network, chip, *, params) -> Plan"
        )
    try:
        signature = inspect.signature(function)
        hints = typing.get_type_hints(function)
    except (TypeError, ValueError, NameError) as error:
        raise StrategyError(
            f"strategy {name}: its signature cannot be read ({_line(error)})"
        ) from None
    _check_positionals(name, signature)
    for key, parameter in signature.parameters.items():
        if parameter.kind is parameter.KEYWORD_ONLY and not _is_supported(hints.get(key)):
            raise StrategyError(
                f"strategy {name}: parameter {key} must be annotated int, float, str or "
                f"tuple[int, ...], got {hints.get(key, 'no annotation')}"
            )
    return typing.cast(PlanFunction, function)


def call(name: str, function: PlanFunction, *args: Any, **params: Any) -> Plan:
    """Run a third-party strategy: a chipsim error passes through, anything else it raises
    becomes one StrategyError line naming the strategy (never a traceback)."""
    try:
        with _guarded():
            plan = function(*args, **params)
    except ChipsimError:
        raise
    except Exception as error:
        kind = "" if isinstance(error, PluginExit) else f"{type(error).__name__}: "
        raise StrategyError(f"strategy {name} failed: {kind}{_line(error)}") from None
    return returned_plan(name, plan)


def module_sha256(name: str) -> str | None:
    """SHA-256 of the module file of the loaded strategy ``name``, read as it was loaded
    (None if it has no readable file): how a resumed sweep tells whether a plugin changed."""
    return _hashes.get(name)


def _file_sha256(function: object) -> str | None:
    try:
        return hashlib.sha256(Path(inspect.getfile(function)).read_bytes()).hexdigest()
    except (TypeError, OSError):  # a built-in or a module made in memory
        return None


class PluginExit(Exception):
    """A plugin called ``sys.exit``: chipsim goes on, and says so."""


@contextmanager
def _guarded() -> Iterator[None]:
    """Run plugin code with its prints on stderr and its ``sys.exit`` turned into
    ``PluginExit`` (an Exception, so the caller's one-line error names the plugin)."""
    try:
        with redirect_stdout(sys.stderr):
            yield
    except SystemExit as exit_:
        raise PluginExit(f"it called sys.exit({exit_.code!r})") from None


def returned_plan(name: str, plan: object) -> Plan:
    """``plan`` if a strategy returned a Plan, else a StrategyError naming what it returned."""
    if not isinstance(plan, Plan):
        raise StrategyError(
            f"strategy {name} returned a {type(plan).__name__}, not a chipsim.sim.plan.Plan"
        )
    return plan


def _check_positionals(name: str, signature: inspect.Signature) -> None:
    kinds = [p.kind for p in signature.parameters.values()]
    positional = sum(
        k in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for k in kinds
    )
    if positional < 2 and inspect.Parameter.VAR_POSITIONAL not in kinds:
        raise StrategyError(
            f"strategy {name} must take (network, chip) positionally, "
            f"as in plan(network, chip, *, params); its signature is {signature}"
        )


def _is_supported(hint: object) -> bool:
    options = typing.get_args(hint) if typing.get_origin(hint) is not tuple else (hint,)
    return any(
        option in _KINDS or typing.get_origin(option) in _KINDS for option in options or (hint,)
    )


def _line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
