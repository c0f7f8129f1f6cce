"""What rounding sizes to memory units costs: the byte DP against the byte-exact optimum.

Run: ``python benchmarks/optimal_bytes_gap.py [CASES]`` (default 200).

Random heterogeneous chains of 2 to 6 stages (sizes 1..1000 bytes, integer
prices 1..20, budgets from a tenth to all of a1..a(L)), each solved exactly
by the exhaustive search of ``tests/exhaustive_bytes.py`` and by
``solve_bytes`` at a few unit counts. The gap is (DP - exact) / exact in
percent of the backward-phase cost, over the cases where some size was
rounded. The DP is never below the exact optimum (asserted).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # this checkout's chipsim and test oracle
from exhaustive_bytes import optimal_cost  # noqa: E402

from chipsim.planners.byte_budget.recurrence import rounding, solve_bytes  # noqa: E402

UNITS = (4, 8, 16, 64, 500)


def main(cases: int) -> None:
    rng = np.random.default_rng(2026)
    gaps: dict[int, list[float]] = {units: [] for units in UNITS}
    for _ in range(cases):
        layers = int(rng.integers(2, 7))
        sizes = rng.integers(1, 1001, layers + 1)
        prices = rng.integers(1, 21, (7, layers + 1)).astype(float)
        prices[6] = 0.0
        budget = int(rng.uniform(0.1, 1.0) * sizes[1:].sum())
        exact = optimal_cost(sizes, prices, budget)
        for units in UNITS:
            unit = rounding(sizes, budget, units).unit_bytes
            if not (sizes % unit).any():
                continue  # nothing rounded
            value = solve_bytes(sizes, prices, budget, units=units).value
            assert value >= exact, (sizes, prices, budget, units)
            gaps[units].append(100.0 * (value - exact) / exact)
    print(f"{cases} random chains, L = 2..6, backward objective")
    print(
        f"{'units':>5} {'rounded cases':>13} {'with a gap':>10} {'mean gap %':>10} {'max gap %':>9}"
    )
    for units, values in gaps.items():
        array = np.array(values)
        print(
            f"{units:>5} {len(array):>13} {int((array > 0).sum()):>10} "
            f"{array.mean():>10.2f} {array.max():>9.2f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
