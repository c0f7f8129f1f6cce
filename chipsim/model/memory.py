"""How much memory a math run needs, estimated before anything is allocated.

A run with math holds, all at once, as float64: the network's weights and
biases, the gradients of the layer being checked, the run's and plain
backprop's (two copies of the largest layer's parameters: gradients are
compared layer by layer as they are produced, then dropped), and at most
three copies of the activations (the reference's, the buffer's and the
disk's). ``--width 20000`` at L = 10 would need 38.4 GB; such a run is
refused with the estimate and the hint ``--no-math`` (timing only) instead
of ending in a MemoryError.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ConfigError
from ..formatting import bytes_text
from .stages import Chain

FLOAT_BYTES = 8


def math_run_bytes(chain: Chain) -> int:
    """Peak bytes of a math run's arrays on ``chain`` (see the module docstring): its
    parameters, two copies of its largest stage's, three of its activations a0..a(L)."""
    elements = int(chain.activation_elements.sum())
    return FLOAT_BYTES * (chain.params + 2 * chain.largest_stage_params + 3 * elements)


def available_bytes() -> int:
    """Memory the system can give without swapping: /proc/meminfo's MemAvailable, else
    the physical memory (``os.sysconf``)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def check_math_memory(chain: Chain, available: int | None = None) -> None:
    """Raise ConfigError when a math run on ``chain`` would need more memory than is
    ``available`` (default: ``available_bytes()``)."""
    needed = math_run_bytes(chain)
    free = available_bytes() if available is None else available
    if needed > free:
        raise ConfigError(
            f"a math run of {chain.name} needs about {bytes_text(needed)} "
            f"(float64 weights, a layer's gradients and activations), more than the "
            f"{bytes_text(free)} available; use --no-math to simulate timing only"
        )
