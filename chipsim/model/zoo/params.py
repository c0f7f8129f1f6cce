"""The zoo builders' model parameters, declared once: name, type and default, in spec order.

Specs read a builder's keyword-only parameters, their type hints and defaults
from its signature (``chipsim.model.specs``). Most of them are shared (every
builder takes ``batch``, ``dtype_bytes`` and ``saves``; image networks take
``resolution`` and ``classes``), so a builder lists its parameters as ``Param``s
and ``builder`` makes that list its signature: one declaration of each shared
parameter, and each builder's order (the order specs list and print) kept.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from inspect import Parameter, Signature
from types import SimpleNamespace
from typing import Any, NamedTuple

from ..stages import Chain


class Param(NamedTuple):
    """One keyword-only model parameter; ``hint`` says how a spec's text is read."""

    name: str
    hint: Any  # int, float, str, or int | None (None: the builder picks the default)
    default: Any


BATCH = Param("batch", int, 1)
DTYPE_BYTES = Param("dtype_bytes", int, 4)
SAVES = Param("saves", str, "pytorch")
#: An ImageNet network's input side and class count.
RESOLUTION = Param("resolution", int, 224)
CLASSES = Param("classes", int, 1000)


#: A builder's body: the parameter values (as attributes) → the network.
Build = Callable[[SimpleNamespace], Chain]


def builder(*params: Param) -> Callable[[Build], Callable[..., Chain]]:
    """Make ``build(values)`` a builder taking ``params`` as keyword-only arguments, in
    this order, with their types and defaults; ``build`` reads them as ``values.name``."""
    signature = Signature([_keyword(p) for p in params], return_annotation=Chain)

    def decorate(build: Build) -> Callable[..., Chain]:
        @functools.wraps(build)
        def network(*args: Any, **values: Any) -> Chain:
            try:
                bound = signature.bind(*args, **values)
            except TypeError as error:  # named as Python names a def's: "vgg16() got ..."
                raise TypeError(f"{build.__name__}() {error}") from None
            bound.apply_defaults()
            return build(SimpleNamespace(**bound.arguments))

        network.__signature__ = signature  # type: ignore[attr-defined]
        network.__annotations__ = {p.name: p.hint for p in params} | {"return": Chain}
        return network

    return decorate


def _keyword(p: Param) -> Parameter:
    return Parameter(p.name, Parameter.KEYWORD_ONLY, default=p.default, annotation=p.hint)
