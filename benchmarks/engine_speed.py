"""Engine speed against the limits of the tools it stands on: goal ratios 1 and 2.

Run: ``python benchmarks/engine_speed.py`` (about 30 seconds). Two tables; every
ratio is taken within this one process, each time the best of ``REPEATS``
runs, the contenders measured in turn inside each repeat so that a burst of
load on a shared machine hits both sides alike.

1. Engine overhead, timing only (no numpy math, every model rule enforced,
   full trace): simulated ops per second over the events per second of a
   bare SimPy loop doing one ``timeout`` per op. Goal: ratio >= 0.5. Two
   variants, both printed:

   - ``execute``: ``execute(plan, chip, None)`` on a plan built beforehand —
     the engine alone.
   - ``simulate``: ``simulate(spec, chip, layers=L, math=False)`` — the public
     path, which also builds the plan (the strategy's Python generator) and
     the result's summaries. The ``plan s`` column is ``make_plan`` alone,
     the main difference between the two.

2. Math overhead (width 512, L = 64, stride:k=5 and disk-offload). Goal:
   ratio <= 1.3. Two variants, both printed:

   - ``engine``: ``execute(plan, chip, network)`` against a plain numpy loop
     calling the same ``Network.forward``/``backward``/``loss`` in the same
     order, keeping the weight gradients as the run does (discarding them
     would let numpy reuse one hot 2 MB buffer and flatter the loop). Not
     timed on either side: building the network and the plan, and the
     gradient check.
   - ``whole``: the whole ``simulate(spec, chip, layers=64, width=512,
     math=True)`` call — parse, build the network, build the plan, run,
     plain backprop (``Network.reference_gradients``) and the bit-for-bit
     gradient comparison — against building the same network, the plain
     loop, and the same reference backprop. Only chipsim's side pays for
     the plan and the comparison; that is the price of the check.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from functools import partial

import numpy as np
import simpy
import turns
from turns import REPEATS

from chipsim import ChipConfig, Network, execute, make_plan, simulate
from chipsim.model.network import max_abs_difference


def best_seconds(works: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Best wall time of each piece of work, the pieces taking turns within each of
    ``REPEATS`` repeats, a garbage collection before each."""
    return turns.best_seconds(works, min_seconds=0.0, collect=True)


def bare_simpy(events: int) -> Callable[[], None]:
    """A SimPy run of one process doing ``events`` timeouts, one after the other."""

    def loop(env: simpy.Environment):
        for _ in range(events):
            yield env.timeout(20)

    def run() -> None:
        env = simpy.Environment()
        env.process(loop(env))
        env.run()

    return run


def engine_overhead() -> None:
    print("\n1. Engine overhead, timing only, against a bare SimPy loop (goal: ratio >= 0.5)")
    print(
        f"{'strategy':<13}{'L':>7}{'ops':>8}{'plan s':>8}{'execute op/s':>14}"
        f"{'simulate op/s':>15}{'SimPy ev/s':>12}{'ratio execute':>15}{'ratio simulate':>16}"
    )
    for spec, layers in (("sqrt-n", 20_000), ("stride:k=5", 20_000), ("disk-offload", 50_000)):
        chip = ChipConfig(buffer_slots=layers)
        plan = make_plan(spec, layers, chip)
        ops = len(plan)
        best = best_seconds(
            {
                "plan": partial(make_plan, spec, layers, chip),
                "execute": partial(execute, plan, chip, None),
                "simulate": partial(simulate, spec, chip, layers=layers, math=False),
                "simpy": bare_simpy(ops),
            }
        )
        events = ops / best["simpy"]
        on_execute, on_simulate = ops / best["execute"], ops / best["simulate"]
        print(
            f"{spec:<13}{layers:>7,}{ops:>8,}{best['plan']:>8.3f}{on_execute:>14,.0f}"
            f"{on_simulate:>15,.0f}{events:>12,.0f}{on_execute / events:>15.2f}"
            f"{on_simulate / events:>16.2f}"
        )


def plain_stride(network: Network, k: int) -> list:
    """The stride:k plan's math as a bare loop: same calls, same order, gradients kept."""
    kept = {0: network.input}
    activation = network.input
    for layer in range(1, network.layers + 1):
        activation = network.forward(layer, activation)
        if layer % k == 0:
            kept[layer] = activation
    _, upstream = network.loss(activation)
    gradients = [None] * network.layers
    for layer in range(network.layers, 0, -1):
        base = k * ((layer - 1) // k)
        activation = kept[base]
        for recompute in range(base + 1, layer):
            activation = network.forward(recompute, activation)
        upstream, gradients[layer - 1] = network.backward(layer, activation, upstream)
    return gradients


def plain_disk_offload(network: Network) -> list:
    """The disk-offload plan's math as a bare loop, gradients kept."""
    paged = [network.input]
    activation = network.input
    for layer in range(1, network.layers + 1):
        activation = network.forward(layer, activation)
        paged.append(activation)
    _, upstream = network.loss(activation)
    gradients = [None] * network.layers
    for layer in range(network.layers, 0, -1):
        upstream, gradients[layer - 1] = network.backward(layer, paged[layer - 1], upstream)
    return gradients


PLAIN: dict[str, Callable[[Network], list]] = {
    "stride:k=5": lambda network: plain_stride(network, 5),
    "disk-offload": plain_disk_offload,
}


def whole_plain(plain: Callable[[Network], list], layers: int, width: int) -> None:
    """What ``simulate`` computes, without a simulator: the network, the loop, plain backprop."""
    network = Network(layers, width, seed=0)
    plain(network)
    network.reference_gradients()


def math_overhead(layers: int = 64, width: int = 512) -> None:
    print(
        f"\n2. Math overhead (width {width}, L = {layers}) against a plain numpy loop "
        "(goal: ratio <= 1.3)"
    )
    print(
        f"{'strategy':<13}{'engine s':>9}{'loop s':>8}{'ratio engine':>13}"
        f"{'simulate s':>11}{'plain+ref s':>12}{'ratio whole':>12}"
    )
    chip = ChipConfig(buffer_slots=layers)
    network = Network(layers, width, seed=0)
    for spec, plain in PLAIN.items():
        plan = make_plan(spec, layers, chip)
        reference = network.reference_gradients()
        assert max_abs_difference(plain(network), reference) == 0.0, spec

        best = best_seconds(
            {
                "engine": partial(execute, plan, chip, network),
                "loop": partial(plain, network),
                "simulate": partial(simulate, spec, chip, layers=layers, width=width, math=True),
                "whole plain": partial(whole_plain, plain, layers, width),
            }
        )
        print(
            f"{spec:<13}{best['engine']:>9.4f}{best['loop']:>8.4f}"
            f"{best['engine'] / best['loop']:>13.2f}{best['simulate']:>11.4f}"
            f"{best['whole plain']:>12.4f}{best['simulate'] / best['whole plain']:>12.2f}"
        )
    gradients = network.reference_gradients()
    parts = best_seconds(
        {
            "network": partial(Network, layers, width, seed=0),
            "reference backprop": network.reference_gradients,
            "comparison": partial(max_abs_difference, gradients, gradients),
            "plan stride:k=5": partial(make_plan, "stride:k=5", layers, chip),
        }
    )
    print("   pieces of the whole call: " + ", ".join(f"{k} {v:.4f} s" for k, v in parts.items()))


def main() -> None:
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"simpy {simpy.__version__}, {platform.machine()}; best of {REPEATS}"
    )
    engine_overhead()
    math_overhead()


if __name__ == "__main__":
    main()
