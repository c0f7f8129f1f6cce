"""How much memory a math run needs, estimated before anything is allocated.

A run with math holds, all at once, as float64: the network's weights and
biases, the run's weight gradients and plain backprop's reference gradients
(3·L·(s² + s) numbers), and at most three copies of the activations (the
reference's, the buffer's and the disk's: 3·(L + 1)·s). ``--width 20000``
at L = 10 would need 96 GB; such a run is refused with the estimate and the
hint ``--no-math`` (timing only) instead of ending in a MemoryError.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from pathlib import Path

from .errors import ConfigError

FLOAT_BYTES = 8


def math_run_bytes(layers: int, width: int) -> int:
    """Peak bytes of a math run's arrays for L layers of width s (see the module docstring)."""
    return FLOAT_BYTES * (3 * layers * (width * width + width) + 3 * (layers + 1) * width)


def math_run_bytes_of(widths: Sequence[int]) -> int:
    """The same for a network whose a(l) has ``widths[l]`` numbers (l = 0..L): layer l's
    weights are widths[l]·widths[l-1], its bias widths[l]."""
    parameters = sum(out * (inp + 1) for inp, out in itertools.pairwise(widths))
    return FLOAT_BYTES * (3 * parameters + 3 * sum(widths))


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


def check_math_memory(layers: int, width: int, available: int | None = None) -> None:
    """Raise ConfigError when a math run would need more memory than is ``available``
    (default: ``available_bytes()``)."""
    needed = math_run_bytes(layers, width)
    free = available_bytes() if available is None else available
    if needed > free:
        raise ConfigError(
            f"a math run with L={layers}, width {width} needs about {size(needed)} "
            f"(float64 weights, gradients and reference gradients), more than the "
            f"{size(free)} available; use --no-math to simulate timing only"
        )


def size(count: int) -> str:
    """Bytes for people, in powers of 1000: 96.0 GB, 6.9 EB."""
    value, unit = float(count), "B"
    for unit in ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"):
        if value < 1000 or unit == "YB":
            break
        value /= 1000
    return f"{count} B" if unit == "B" else f"{value:.1f} {unit}"
