"""The one-memory DP against exhaustive search on more random chains than the suite runs.

Run: ``PYTHONPATH=.:tests python benchmarks/one_memory_exhaustive.py STAGES CASES [SEED]
[--no-disk]``. For each random chain of tests/test_one_memory_optimal.py (both update
rules, every stage trained or the last STAGES-1), it compares the DP's least backward
cost with the cheapest persistent plan (tests/exhaustive_memory.py) and with the
cheapest plan of any form, and prints how many agree, how many fit, and how often and
by how much a free-form plan is cheaper. Chains of 6 stages with the disk take
minutes each.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
from exhaustive_memory import optimal_cost
from test_one_memory_optimal import dp_value, problem, random_case

from chipsim.model.costs import Costs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stages", type=int)
    parser.add_argument("cases", type=int)
    parser.add_argument("seed", type=int, nargs="?", default=0)
    parser.add_argument("--no-disk", action="store_true")
    args = parser.parse_args()
    rng, disk = np.random.default_rng(args.seed), not args.no_disk
    agree = fits = cheaper = 0
    worst, start = 0.0, time.perf_counter()
    for case in range(args.cases):
        update = ("per_step", "per_stage")[case % 2]
        train = ("all", f"last:{max(args.stages - 1, 1)}")[case % 3 == 2]
        chain, chip = random_case(rng, args.stages, update, train)
        prices = Costs(chip, chain).priced_objective_table("time")
        persistent = problem(chain, chip, disk)
        value = dp_value(chain, chip, disk, "backward")
        agree += value == optimal_cost(persistent, prices, "backward")
        if value is not None:
            fits += 1
            free = optimal_cost(dataclasses.replace(persistent, persistent=False), prices,
                                "backward")  # fmt: skip
            if free < value:
                cheaper, worst = cheaper + 1, max(worst, value / free - 1)
    print(
        f"{args.stages} stages, disk {'on' if disk else 'off'}, seed {args.seed}: the DP equals "
        f"the cheapest persistent plan on {agree} of {args.cases} chains ({fits} fit); a "
        f"free-form plan is cheaper on {cheaper}, by at most {worst:.1%} "
        f"({time.perf_counter() - start:.0f} s)"
    )


if __name__ == "__main__":
    main()
