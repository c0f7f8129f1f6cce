"""How long the byte-budget optimal planner takes on a 50-stage heterogeneous chain.

Run: ``python benchmarks/optimal_bytes_speed.py [L ...]`` (default 50).

The chain is shaped like a CNN: activations shrink geometrically from
802,816 to 25,088 elements (ResNet-18's stem output and last block at batch
1: 64×112×112 and 512×7×7, He et al. 2016), float32, each stage's size
jittered by ±30 % (seeded). Prices look like latencies: compute in
proportion to a stage's bytes (a stand-in for its MACs) and transfers to
the bytes moved plus fixed per-op costs. The budget is an eighth of all
activations, cut into 500 memory units. Each figure is the best of 3; half
the stages are timed in the same process as a baseline (O(L³·M): 8× the
work at twice the stages).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's chipsim
from chipsim.model.ops import OP_KINDS
from chipsim.planners.byte_budget.recurrence import solve_bytes

REPEATS, UNITS = 3, 500


def cnn_chain(layers: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """(activation bytes, prices, budget bytes) of an L-stage CNN-shaped chain."""
    rng = np.random.default_rng(seed)
    elements = np.geomspace(802_816, 25_088, layers + 1) * rng.uniform(0.7, 1.3, layers + 1)
    sizes = 4 * elements.astype(np.int64)
    per_byte = {
        "fwd": 2e-3,
        "bwd": 6e-3,
        "storemem": 1e-4,
        "loadmem": 1e-4,
        "storedisk": 2e-3,
        "loaddisk": 2e-3,
        "free": 0.0,
    }
    fixed = {"storedisk": 5_000.0, "loaddisk": 5_000.0, "storemem": 50.0, "loadmem": 50.0}
    prices = np.array([per_byte[kind] * sizes + fixed.get(kind, 0.0) for kind in OP_KINDS])
    return sizes, prices, int(sizes.sum() // 8)


def best_seconds(layers: int) -> tuple[float, float]:
    sizes, prices, budget = cnn_chain(layers)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        schedule = solve_bytes(sizes, prices, budget, units=UNITS)
        schedule.ops()
        times.append(time.perf_counter() - start)
    return min(times), schedule.value


def main(sizes: list[int]) -> None:
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"load {os.getloadavg()[0]:.2f}, {UNITS} units, best of {REPEATS}"
    )
    print(f"{'L':>4} {'seconds':>8} {'vs L/2':>7} {'backward cost':>14}")
    for layers in sizes:
        half, _ = best_seconds(layers // 2)
        seconds, value = best_seconds(layers)
        print(f"{layers:>4} {seconds:>8.2f} {seconds / half:>7.1f} {value:>14.0f}")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [50])
