"""The one-memory DP against rotor's compiled solver on the same chains: issue 21, target 1,
for the DP that issue 20 made (recording choices); and its fill checked against Python's.

Run: ``PYTHONPATH=. python benchmarks/one_memory_vs_rotor.py [--quick]`` (needs the
``bench`` extra for rockmate and the ``fast`` extra for numba; ``--quick`` skips L = 200).

Rotor (Beaumont et al. 2019, rockmate's ``csolver``, loaded as
``byte_dp_vs_rotor.load_rotor`` does) chooses per stage to record its forward (F_all,
keeping x̄) or checkpoint its output (F_ck), with no disk: the one-memory DP's problem
without the disk. The chains are ``one_memory_optimal.chain``'s at L stages (CNN-shaped,
each stage keeping twice its output as saved tensors), the memory an eighth of the
activations beside what is resident, cut into the given units. Rotor's chain, stage i
(0-based) being chipsim's layer i+1, in the same units:

- times: ``fw`` = the fwd price, ``bw`` = the recorded bwd price (rotor re-runs F_all
  before a backward it did not record; chipsim's unrecorded ``bwd`` prices both);
- sizes: ``cw`` = a(i), ``cbw`` = a(i+1) + the stage's saved tensors (x̄); no
  temporaries (``fwd_tmp``, ``bwd_tmp``, ``ff_fwd_tmp`` 0: the chains have no workspace);
- budget: chipsim's room plus the largest adjacent pair a(l-1) + a(l), as rotor counts
  the op in flight's tensors in its budget and chipsim in each op's need.

So both solve a problem of the same size and shape, not the same numbers. Each side
fills its whole table for one budget from Python inputs (chipsim: T and F, what
``solve`` fills; rotor: a fresh ``RkTable`` and ``get_opt``), best of five
turns or more (``turns.best_seconds``). chipsim is timed without the disk
(rotor's problem) and with it (twice the places: four times the candidates). Before
timing, at L = 25 with 125 units, the compiled tables are checked equal, entry for
entry, to the same loops run as Python (numba hidden from a subprocess).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's chipsim
sys.path.insert(0, str(Path(__file__).resolve().parent))
from byte_dp_vs_rotor import load_rotor
from one_memory_optimal import chain
from turns import best_seconds, described

from chipsim import ChipConfig
from chipsim.model.costs import Costs
from chipsim.model.training_memory import checkpoint_room
from chipsim.planners import one_memory
from chipsim.planners.one_memory import forward, kernel

CASES = ((25, 500), (50, 500), (100, 500), (200, 500), (50, 125), (50, 250), (50, 1000))


def problem(layers: int, units: int) -> tuple[one_memory.Needs, np.ndarray]:
    """The needs (in ``units``) and prices of ``chain(layers)`` in an eighth of its
    activations beside what is resident."""
    network = chain(layers)
    rates = {"compute_macs_per_ns": 100, "mem_bytes_per_ns": 50, "disk_bytes_per_ns": 2}
    budget = int(network.activation_bytes[1:].sum()) // 8
    rest = 10**15 - checkpoint_room(network, 10**15, ChipConfig(memory_bytes=1).training)
    chip = ChipConfig(memory_bytes=budget + rest, **rates)
    needs = one_memory.needs_of(network, chip.memory_bytes, chip.training, units)
    return needs, Costs(chip, network).priced_objective_table("time")


def rotor_chain(needs: one_memory.Needs, prices: np.ndarray) -> types.SimpleNamespace:
    """Rotor's chain for chipsim's layers (see the docstring): one option per stage."""
    layers = len(needs.activation) - 1
    fwd = [float(price) for price in prices[kernel.FWD, 1:]]
    bwd = [float(price) for price in prices[kernel.RECORDED_BWD, 1:]]
    sizes = [int(unit) for unit in needs.activation] + [0]
    kept = [int(needs.activation[i] + needs.saved[i]) for i in range(1, layers + 1)]
    return types.SimpleNamespace(
        ln=layers,
        nb_sol=[1] * (layers + 1),
        fw=[[price] for price in fwd] + [[0.0]],
        bw=[[price] for price in bwd] + [[0.0]],
        cw=sizes,
        cbw=[[0]] + [[size] for size in kept] + [[0]],
        fwd_tmp=[[0]] * (layers + 1),
        bwd_tmp=[[0]] * (layers + 1),
        ff_fwd_tmp=[0] * (layers + 1),
        ff_fw=[*fwd, 0.0],
    )


def fill(needs: one_memory.Needs, prices: np.ndarray, use_disk: bool) -> list[np.ndarray]:
    """Every array of T and F, as ``solve`` fills them."""
    t_tab = kernel.fill_t(needs.columns(), prices, 0, use_disk, needs.room_units)
    return [*t_tab, *forward.fill_f(t_tab, needs.columns(), prices, 0, use_disk, False)]


def check_equal() -> None:
    """The compiled tables equal those of the same loops run as Python (numba hidden from
    a subprocess), every entry of every table."""
    script = (
        "import sys; sys.modules['numba'] = None\n"
        "import numpy as np, one_memory_vs_rotor as b\n"
        "assert not b.kernel.COMPILED\n"
        "np.savez(sys.argv[1], *b.fill(*b.problem(25, 125), True))\n"
    )
    here = Path(__file__).resolve().parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here), str(here.parent)])}
    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "python.npz"
        subprocess.run([sys.executable, "-c", script, str(saved)], check=True, env=env)
        python = np.load(saved)
        compiled = fill(*problem(25, 125), True)
        for index, array in enumerate(compiled):
            assert np.array_equal(array, python[f"arr_{index}"]), "tables differ from Python's"


def case_seconds(rotor: types.ModuleType, layers: int, units: int) -> tuple[float, ...]:
    """Rotor's, and chipsim's without and with the disk, seconds on one case."""
    needs, prices = problem(layers, units)
    theirs = rotor_chain(needs, prices)
    mmax = needs.room_units + int((needs.activation[:-1] + needs.activation[1:]).max())
    fill(needs, prices, True)  # compiled once, before timing
    best = best_seconds({
        "rotor": lambda: rotor.RkTable(theirs, mmax).get_opt(mmax),
        "no disk": lambda: fill(needs, prices, False),
        "disk": lambda: fill(needs, prices, True),
    })  # fmt: skip
    return best["rotor"], best["no disk"], best["disk"]


def main(quick: bool) -> None:
    rotor = load_rotor()
    check_equal()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {described()}, "
          f"load {os.getloadavg()[0]:.2f}; tables as Python's (L = 25, 125 units)")  # fmt: skip
    print("| L | units | rotor s | chipsim, no disk s | ÷ rotor | chipsim, disk s | ÷ rotor |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for layers, units in CASES:
        if quick and layers > 100:
            continue
        rotor_s, alone, paged = case_seconds(rotor, layers, units)
        print(f"| {layers} | {units} | {rotor_s:.4f} | {alone:.4f} | **{alone / rotor_s:.2f}** "
              f"| {paged:.4f} | {paged / rotor_s:.2f} |")  # fmt: skip
    print(f"load at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main("--quick" in sys.argv[1:])
