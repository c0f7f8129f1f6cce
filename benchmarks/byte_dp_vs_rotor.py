"""The byte-budget DP against rotor's compiled solver, on the same chains: issue 21, target 1.

Run: ``PYTHONPATH=. python benchmarks/byte_dp_vs_rotor.py [--quick]`` (needs the ``bench``
extra for rockmate and the ``fast`` extra for numba).

Rotor's table solver is rockmate's C extension ``rockmate.solvers.rk_rotor.csolver``
(``RkTable(chain, mmax).get_opt(mmax)``). ``import rockmate`` fails with the registry's
rkgb 2.0.0 (rockmate's ``__init__`` imports ``rkgb.core``, which that release lacks), so
``load_rotor`` imports the extension file alone: empty stand-ins for the packages
``rockmate``, ``rockmate.solvers`` and ``rockmate.solvers.rk_rotor`` let its init import
its one Python dependency, ``csequence`` (plain classes).

The chains are ``optimal_bytes_speed.cnn_chain``'s (CNN-shaped, budget an eighth of all
activations). Rotor's chain, stage i (0-based) being chipsim's layer i+1:

- times: ``fw[i] = ff_fw[i]`` = fwd price of layer i+1, ``bw[i]`` = its bwd price; one
  option per stage (``nb_sol`` 1), as chipsim's bwd keeps nothing a forward recorded;
- sizes: ``cw[i]`` = a(i) in memory units; ``cbw[i+1]`` (x̄, what a recording forward
  keeps) = a(i+1), the stage's output alone; no temporaries (``fwd_tmp``, ``bwd_tmp``,
  ``ff_fwd_tmp`` 0); the loss stage costs nothing.
- budget: rotor counts every live tensor, chipsim only the buffer (registers and a0
  lie outside it). Rotor gets chipsim's budget plus the largest adjacent pair
  a(l-1) + a(l), what chipsim's registers hold, so both can keep the same
  checkpoints; each side cuts its own budget into the same number of units.

Both sides fill their whole table for one budget from Python inputs (chipsim:
``solve_bytes``'s fill, T and F; rotor: a fresh ``RkTable`` and ``get_opt``), taking
turns, best of five or of as many as take the slower side half a second
(``turns.best_seconds``). Before timing, chipsim's tables are checked equal, entry
for entry, to the numpy fill's (``tables.fill_t``/``fill_f``, the DP as it was).
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
import time
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's chipsim
from optimal_bytes_speed import cnn_chain
from turns import best_seconds, described

from chipsim.planners.byte_budget import tables
from chipsim.planners.byte_budget.kernel import fill_tables
from chipsim.planners.byte_budget.recurrence import rounding

CASES = ((25, 500), (50, 500), (100, 500), (200, 500), (50, 125), (50, 250), (50, 1000))
PACKAGES = ("rockmate", "rockmate.solvers", "rockmate.solvers.rk_rotor")


def load_rotor() -> types.ModuleType:
    """rockmate's compiled ``csolver``, without running rockmate's ``__init__``."""
    root = Path(importlib.util.find_spec("rockmate").origin).parent  # finds, does not import
    for name in PACKAGES:  # stand-ins, so the extension's init can import csequence
        stub = types.ModuleType(name)
        stub.__path__ = [str(root.joinpath(*name.split(".")[1:]))]
        sys.modules.setdefault(name, stub)
    library = next((root / "solvers" / "rk_rotor").glob("csolver*"))
    spec = importlib.util.spec_from_file_location("rockmate.solvers.rk_rotor.csolver", library)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rotor_chain(units: np.ndarray, prices: np.ndarray) -> types.SimpleNamespace:
    """Rotor's chain for chipsim's layers (see the docstring): one option per stage."""
    layers = len(units) - 1
    fwd = [float(price) for price in prices[tables.FWD, 1:]]
    bwd = [float(price) for price in prices[tables.BWD, 1:]]
    sizes = [int(unit) for unit in units] + [0]  # a(0..L), then the loss's output
    return types.SimpleNamespace(
        ln=layers,
        nb_sol=[1] * (layers + 1),
        fw=[[time] for time in fwd] + [[0.0]],
        bw=[[time] for time in bwd] + [[0.0]],
        cw=sizes,
        cbw=[[0]] + [[size] for size in sizes[1:]],
        fwd_tmp=[[0]] * (layers + 1),
        bwd_tmp=[[0]] * (layers + 1),
        ff_fwd_tmp=[0] * (layers + 1),
        ff_fw=[*fwd, 0.0],
    )


def sides(layers: int, units: int, rotor: types.ModuleType) -> tuple[dict, float]:
    """Each side's work for one case, chipsim's checked equal to the numpy fill first,
    and the numpy fill's seconds (once)."""
    sizes, prices, budget = cnn_chain(layers)
    ours = rounding(sizes, budget, units)
    registers = int((sizes[:-1] + sizes[1:]).max())
    theirs = rounding(sizes, budget + registers, units)
    chain, mmax = rotor_chain(theirs.activation_units, prices), theirs.budget_units
    args = (prices, ours.activation_units, ours.budget_units, True, "backward")
    numpy_seconds = check_equal(*args)
    works = {
        "chipsim": lambda: fill_tables(*args),
        "rotor": lambda: rotor.RkTable(chain, mmax).get_opt(mmax),
    }
    return works, numpy_seconds


def check_equal(prices, size, budget, use_disk, objective) -> float:
    """The compiled tables equal the numpy fill's, every entry of every table; the numpy
    fill's seconds."""
    compiled = fill_tables(prices, size, budget, use_disk, objective)
    start = time.perf_counter()
    t_tab = tables.fill_t(prices, size, budget, use_disk)
    reference = (t_tab, tables.fill_f(t_tab, prices, size, use_disk, objective))
    seconds = time.perf_counter() - start
    for ours, theirs in zip(compiled, reference, strict=True):
        for mine, old in zip(ours.columns(), theirs.columns(), strict=True):
            assert np.array_equal(mine, old), "tables differ from the numpy fill"
    return seconds


def main(quick: bool) -> None:
    rotor = load_rotor()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {described()}, "
        f"load {os.getloadavg()[0]:.2f}"
    )
    print("| L | units | chipsim s | rotor s | chipsim ÷ rotor | numpy fill s (once) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for layers, units in CASES:
        if quick and layers > 100:
            continue
        works, numpy_seconds = sides(layers, units, rotor)
        best = best_seconds(works)
        chipsim, theirs = best["chipsim"], best["rotor"]
        print(f"| {layers} | {units} | {chipsim:.4f} | {theirs:.4f} | **{chipsim / theirs:.2f}** "
              f"| {numpy_seconds:.3f} |")  # fmt: skip
    print(f"load at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main("--quick" in sys.argv[1:])
