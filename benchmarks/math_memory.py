"""Peak memory of a run with math, over the bytes of the network's float64 weights.

Run: ``python benchmarks/math_memory.py [WIDTH LAYERS]`` (default 512 64) from
the repository root. Each line is one call traced by ``tracemalloc`` (numpy
reports its arrays to it) in this process, one after the other:

- ``simulate``: the whole ``simulate(spec, chip, layers=L, width=s)`` call,
  network built inside it, gradients checked layer by layer as the run
  produces them (``chipsim.model.network.GradientCheck``).
- ``keep + reference``: what ``simulate`` did before issue 13, for the same
  plan: build the network, ``execute`` keeping every layer's gradients, then
  ``reference_gradients()`` (all of plain backprop's) and one comparison.
- ``execute, kept``: ``execute(plan, chip, network)`` as the API runs it by
  default, every gradient kept (network built inside the traced call too).

Goal: ``simulate`` at most 2× the weights plus a constant.
"""

from __future__ import annotations

import sys
import tracemalloc
from collections.abc import Callable
from functools import partial

from chipsim import ChipConfig, Network, execute, make_plan, simulate
from chipsim.model.network import max_abs_difference

SPECS = ("stride:k=5", "disk-offload")


def peak_bytes(work: Callable[[], object]) -> int:
    """The most memory ``work()`` held at once, as traced by tracemalloc."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def keep_and_reference(spec: str, chip: ChipConfig, layers: int, width: int) -> float:
    network = Network(layers, width, 0)
    gradients = execute(make_plan(spec, layers, chip), chip, network).gradients
    return max_abs_difference(gradients, network.reference_gradients())


def execute_kept(spec: str, chip: ChipConfig, layers: int, width: int) -> object:
    return execute(make_plan(spec, layers, chip), chip, Network(layers, width, 0)).gradients


def main(width: int = 512, layers: int = 64) -> None:
    chip = ChipConfig(buffer_slots=layers)
    probe = Network(layers, width, 0)
    weight_bytes = sum(w.nbytes for w in probe.weights) + sum(b.nbytes for b in probe.biases)
    del probe
    print(f"width {width}, L = {layers}: float64 weights and biases {weight_bytes / 1e6:.1f} MB")
    print("| strategy | call | peak MB | ÷ weights |")
    print("| --- | --- | ---: | ---: |")
    for spec in SPECS:
        calls = {
            "simulate": partial(simulate, spec, chip, layers=layers, width=width),
            "keep + reference": partial(keep_and_reference, spec, chip, layers, width),
            "execute, kept": partial(execute_kept, spec, chip, layers, width),
        }
        for name, work in calls.items():
            peak = peak_bytes(work)
            print(f"| {spec} | {name} | {peak / 1e6:.1f} | {peak / weight_bytes:.2f} |")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:3]))
