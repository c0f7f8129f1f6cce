"""Pieces every strategy shares: the forward sweep and parameter checks."""

from __future__ import annotations

from collections.abc import Container, Iterator

from ..errors import StrategyError
from ..ops import Op


def forward_sweep(layers: int, keep: Container[int], store: str = "storemem") -> Iterator[Op]:
    """``loadmem 0``, ``fwd 1..L``, with a ``store`` op for each a(l), l in ``keep``, once computed.

    a0 starts in inputs, so every forward phase begins by loading it.
    """
    yield Op("loadmem", 0)
    if 0 in keep:
        yield Op(store, 0)
    for layer in range(1, layers + 1):
        yield Op("fwd", layer)
        if layer in keep:
            yield Op(store, layer)


def require_positive(strategy: str, name: str, value: int) -> None:
    if value < 1:
        raise StrategyError(f"{strategy}: {name} must be a whole number >= 1, got {value}")
