"""Where the byte DP's compiled fill spends its time, function by function, with ``perf``.

Run (Linux, ``perf`` installed, the ``fast`` extra for numba)::

    NUMBA_CACHE_DIR=$(mktemp -d) perf record -D 20000 -o /tmp/byte_dp.perf \\
        python benchmarks/profile_byte_dp.py 25 5000
    perf report -i /tmp/byte_dp.perf --sort sym

``perf`` cannot name code that numba compiles at run time, so this script writes
``/tmp/perf-<pid>.map``, the file ``perf report`` reads for such code: each compiled
function's address (from its library), size (from the library's object code, via
``nm``) and name (``keep#0`` is keep's first compiled signature). The empty
``NUMBA_CACHE_DIR`` makes numba compile rather than load from its cache, where a
library may come without its object code; ``-D`` (in ms) skips the compiling.
Then the fill runs in a loop: the chain of ``byte_dp_vs_rotor.py`` at L layers and
500 units, ``repeats`` times.

This is how issue 21's session found keep's scalar loops (signed
indices make numba test each for wraparound, which stops LLVM vectorising).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's chipsim
from numba.core.registry import CPUDispatcher
from optimal_bytes_speed import cnn_chain

from chipsim.planners.byte_budget import bounds, cells, kernel
from chipsim.planners.byte_budget.recurrence import rounding


def perf_map_lines(dispatcher: CPUDispatcher) -> list[str]:
    """``address size name`` for each function each compiled overload defines."""
    lines = []
    for number, result in enumerate(dispatcher.overloads.values()):
        library = result.library
        with tempfile.NamedTemporaryFile(suffix=".o") as objects:
            objects.write(library._get_compiled_object())
            objects.flush()
            listing = subprocess.run(
                ["nm", "-S", "--defined-only", objects.name], capture_output=True, text=True
            ).stdout
        for fields in map(str.split, listing.splitlines()):
            if len(fields) == 4 and fields[2] in "tT":
                address = library.get_pointer_to_function(fields[3])
                wrapper = "(python)" if "cpython" in fields[3] else ""
                name = f"{dispatcher.__name__}#{number}{wrapper}"
                lines.append(f"{address:x} {int(fields[1], 16):x} {name}")
    return lines


def main(layers: int, repeats: int) -> None:
    sizes, prices, budget = cnn_chain(layers)
    units = rounding(sizes, budget, 500)
    args = (prices, units.activation_units, units.budget_units, True, "backward")
    kernel.fill_tables(*args)  # compiles
    dispatchers = [
        value
        for module in (kernel, cells, bounds)
        for value in vars(module).values()
        if isinstance(value, CPUDispatcher)
    ]
    try:
        lines = [line for dispatcher in dispatchers for line in perf_map_lines(dispatcher)]
    except RuntimeError:  # "no compiled object yet": loaded from numba's cache
        sys.exit("profile_byte_dp: run with an empty NUMBA_CACHE_DIR (see the docstring)")
    Path(f"/tmp/perf-{os.getpid()}.map").write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    for _ in range(repeats):
        kernel.fill_tables(*args)
    print(f"{(time.perf_counter() - start) / repeats * 1e3:.3f} ms a fill, L = {layers}")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
