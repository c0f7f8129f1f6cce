"""Checks of the zoo's model parameters: one line naming the parameter and what is valid."""

from __future__ import annotations

import math
from typing import Any

from ...errors import ConfigError
from ...limits import MAX_DIMENSION, shown


def check_whole(
    network: str, field: str, value: Any, low: int, why: str = "", high: int = MAX_DIMENSION
) -> None:
    """Raise ConfigError unless ``value`` is a whole number from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        reason = f" ({why})" if why else ""
        raise ConfigError(
            f"network {network}: {field} must be a whole number >= {low}{reason}, got {value!r}"
        )
    if value > high:
        raise ConfigError(
            f"network {network}: {field} must be at most {high} (chipsim.limits), "
            f"got {shown(value)}"
        )


def check_positive(network: str, field: str, value: Any) -> None:
    """Raise ConfigError unless ``value`` is a finite number > 0."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"network {network}: {field} must be a number > 0, got {value!r}")
    if value > MAX_DIMENSION:
        raise ConfigError(
            f"network {network}: {field} must be at most {MAX_DIMENSION} (chipsim.limits), "
            f"got {value!r}"
        )


def check_common(network: str, batch: Any, dtype_bytes: Any) -> None:
    """Every builder's batch and dtype_bytes."""
    check_whole(network, "batch", batch, 1)
    check_whole(network, "dtype_bytes", dtype_bytes, 1)


def check_image(network: str, resolution: Any, classes: Any, downsampling: int) -> None:
    """An image network's input side and class count."""
    why = f"the network downsamples {downsampling}×"
    check_whole(network, "resolution", resolution, downsampling, why)
    check_whole(network, "classes", classes, 1)


def check_probability(network: str, field: str, value: Any) -> None:
    """Raise ConfigError unless ``value`` is a number in [0, 1) (a dropout rate)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not 0 <= value < 1:
        raise ConfigError(f"network {network}: {field} must be a number in [0, 1), got {value!r}")
