"""Engine speed against the limits of the tools it stands on.

Run: ``python benchmarks/engine_speed.py`` (about a minute). Three tables:

1. Engine overhead: simulated ops per second of a timing-only run
   (``execute(plan, chip, None)``: every rule enforced, full trace) against
   events per second of a bare SimPy loop doing one timeout per op, same
   process. Goal: ratio >= 0.5.
2. Math overhead: a run with math (width 512, L = 64) against a plain numpy
   loop calling the same layer functions in the same order with no
   simulator, keeping the weight gradients as the run does (discarding them
   would let numpy reuse one hot 2 MB buffer and flatter the loop).
   Goal: ratio <= 1.3.
3. Scaling: timing-only ``simulate`` wall time, time per op and peak traced
   memory per op for L = 10 … 100,000. Goal: sqrt-n at L = 100,000 under 30 s.

Times are the best of a few repeats; ratios come from the same process.
"""

from __future__ import annotations

import gc
import platform
import time
import tracemalloc
from collections.abc import Callable

import simpy

from chipsim import ChipConfig, Network, execute, make_plan, simulate


def best_seconds(work: Callable[[], object], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def bare_simpy_events_per_second(events: int) -> float:
    def loop(env: simpy.Environment):
        for _ in range(events):
            yield env.timeout(20)

    def run() -> None:
        env = simpy.Environment()
        env.process(loop(env))
        env.run()

    return events / best_seconds(run)


def engine_overhead() -> None:
    print("\n1. Engine overhead (timing only) against bare SimPy, same process")
    print(f"{'strategy':<14}{'L':>7}{'ops':>9}{'chipsim ops/s':>15}{'simpy ev/s':>13}{'ratio':>7}")
    for spec, layers in (("sqrt-n", 20_000), ("stride:k=5", 20_000), ("disk-offload", 50_000)):
        chip = ChipConfig(buffer_slots=layers)
        plan = make_plan(spec, layers, chip)
        ops_per_second = len(plan) / best_seconds(lambda: execute(plan, chip, None))  # noqa: B023
        events_per_second = bare_simpy_events_per_second(len(plan))
        ratio = ops_per_second / events_per_second
        print(
            f"{spec:<14}{layers:>7}{len(plan):>9}{ops_per_second:>15,.0f}"
            f"{events_per_second:>13,.0f}{ratio:>7.2f}"
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


def math_overhead() -> None:
    print("\n2. Math overhead (width 512, L = 64) against a plain numpy loop, same process")
    print(f"{'strategy':<14}{'chipsim s':>11}{'plain s':>10}{'ratio':>7}")
    network = Network(64, 512, seed=0)
    chip = ChipConfig(buffer_slots=64)
    for spec, plain in (
        ("stride:k=5", lambda: plain_stride(network, 5)),
        ("disk-offload", lambda: plain_disk_offload(network)),
    ):
        plan = make_plan(spec, 64, chip)
        engine = best_seconds(lambda: execute(plan, chip, network), repeats=5)  # noqa: B023
        bare = best_seconds(plain, repeats=5)
        print(f"{spec:<14}{engine:>11.4f}{bare:>10.4f}{engine / bare:>7.2f}")


def scaling() -> None:
    print("\n3. Scaling, timing only (simulate with math=False; slots = L)")
    print(f"{'strategy':<14}{'L':>8}{'ops':>10}{'seconds':>9}{'us/op':>7}{'peak B/op':>10}")
    cases = {
        "sqrt-n": (10, 100, 1_000, 10_000, 100_000),
        "stride:k=5": (10, 100, 1_000, 10_000, 100_000),
        "disk-offload": (10, 100, 1_000, 10_000, 100_000),
        "full-store": (10, 100, 1_000, 10_000, 100_000),
        "optimal": (10, 100, 1_000),
    }
    for spec, sizes in cases.items():
        for layers in sizes:
            chip = ChipConfig(buffer_slots=min(layers, 10) if spec == "optimal" else layers)
            seconds = best_seconds(
                lambda: simulate(spec, chip, layers=layers, math=False),  # noqa: B023
                repeats=1 if layers >= 10_000 else 3,
            )
            tracemalloc.start()
            result = simulate(spec, chip, layers=layers, math=False)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            ops = len(result.trace)
            print(
                f"{spec:<14}{layers:>8}{ops:>10}{seconds:>9.3f}"
                f"{1e6 * seconds / ops:>7.2f}{peak / ops:>10.0f}"
            )


def main() -> None:
    print(f"python {platform.python_version()}, simpy {simpy.__version__}, {platform.machine()}")
    engine_overhead()
    math_overhead()
    scaling()


if __name__ == "__main__":
    main()
