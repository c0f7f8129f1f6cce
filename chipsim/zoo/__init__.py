"""The network zoo: stage tables of published architectures (timing only)."""

from __future__ import annotations

from collections.abc import Callable

from ..stages import Chain

ZOO: dict[str, Callable[..., Chain]] = {}
