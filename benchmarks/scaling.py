"""Scaling of a timing-only run with L: wall time, peak memory, cost per op (goal ratio 3).

Run: ``python benchmarks/scaling.py`` (about a minute; ``--out DIR`` to write
elsewhere). For L = 10, 100, 1,000, 10,000 and 100,000 and each of sqrt-n,
stride:k=5, disk-offload and full-store, on a chip with ``buffer_slots = L``
so that every plan fits, it measures ``simulate(spec, chip, layers=L,
math=False)`` — plan building, the engine (every model rule enforced, full
trace) and the result's summaries:

- seconds: best of a few runs (wall clock, ``time.perf_counter``);
- peak bytes: the peak of memory traced by ``tracemalloc`` during one more
  run, over what was allocated before it (plan building included);
- retained bytes: what the finished result (plan + trace) still holds;

and divides each by the number of ops. It checks every run's op counts and
buffer slots against the strategy module's ``closed_form`` and against the
closed forms written out here (stride: backward fwd = q·k(k-1)/2 + r(r-1)/2
with L = q·k + r; sqrt-n: backward fwd = L - S with S segments), and exits
non-zero on any mismatch. Goal: sqrt-n at L = 100,000 under 30 s, time and
memory per op flat in L.

Writes ``reports/perf/scaling.csv`` (one row per run) and
``reports/perf/scaling.png`` (log-log: seconds and peak bytes against L, and
µs and bytes per op against L), drawn with matplotlib's Agg canvas.
"""

from __future__ import annotations

import argparse
import csv
import gc
import importlib
import math
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import simpy
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from chipsim import ChipConfig, RunResult, parse_spec, simulate
from chipsim.outputs.axis_units import unit_axis

STRATEGIES: tuple[str, ...] = ("sqrt-n", "stride:k=5", "disk-offload", "full-store")
SIZES: tuple[int, ...] = (10, 100, 1_000, 10_000, 100_000)
GOAL_SECONDS = 30.0  # sqrt-n at L = 100,000
OUT = Path(__file__).resolve().parents[1] / "reports" / "perf"
PALETTE = colormaps["tab10"].colors
PLAIN_NUMBER = FuncFormatter(lambda value, _: f"{value:g}")
FIELDS: tuple[str, ...] = (
    "strategy",
    "layers",
    "ops",
    "backward_fwd",
    "seconds",
    "us_per_op",
    "peak_bytes",
    "peak_bytes_per_op",
    "retained_bytes",
    "retained_bytes_per_op",
)


def repeats(layers: int) -> int:
    return 7 if layers <= 1_000 else 3


def best_seconds(spec: str, chip: ChipConfig, layers: int) -> float:
    best = math.inf
    for _ in range(repeats(layers)):
        gc.collect()
        start = time.perf_counter()
        simulate(spec, chip, layers=layers, math=False)
        best = min(best, time.perf_counter() - start)
    return best


def traced_run(spec: str, chip: ChipConfig, layers: int) -> tuple[RunResult, int, int]:
    """One run under tracemalloc: (result, peak bytes during it, bytes its result retains)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    result = simulate(spec, chip, layers=layers, math=False)
    after, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, peak - before, after - before


def expected_counts(spec: str, layers: int) -> dict[str, dict[str, int]]:
    """The strategy module's closed form, with the key formulas also written out here."""
    parsed = parse_spec(spec)
    module = importlib.import_module(f"chipsim.strategies.{parsed.name.replace('-', '_')}")
    closed = module.closed_form(layers, **dict(parsed.params))
    by_hand = {
        "sqrt-n": lambda: layers - math.ceil(layers / (math.isqrt(layers - 1) + 1)),
        "stride": lambda: stride_backward_fwd(layers, dict(parsed.params)["k"]),
        "disk-offload": lambda: 0,
        "full-store": lambda: 0,
    }[parsed.name]()
    if closed["backward"].get("fwd", 0) != by_hand:
        sys.exit(
            f"closed form of {spec} at L={layers}: backward fwd {closed['backward'].get('fwd', 0)}"
            f" in the module, {by_hand} written out here"
        )
    return closed


def stride_backward_fwd(layers: int, k: int) -> int:
    q, r = divmod(layers, k)
    return q * k * (k - 1) // 2 + r * (r - 1) // 2


def check(spec: str, layers: int, result: RunResult) -> None:
    """Exit loudly unless op counts and slots are what the closed forms say."""
    closed = expected_counts(spec, layers)
    problems = []
    for phase in ("forward", "backward"):
        ran = result.phase(phase).ops
        if ran != closed[phase]:
            problems.append(f"{phase}: ran {ran!r}, closed form {closed[phase]}")
    total = sum(sum(closed[phase].values()) for phase in ("forward", "backward"))
    if total != len(result.trace):
        problems.append(f"{len(result.trace)} ops in the trace, {total} in the closed form")
    needed = closed["buffer_slots"]["needed"]
    if result.plan.buffer_slots_needed != needed:
        problems.append(f"slots needed {result.plan.buffer_slots_needed}, closed form {needed}")
    if problems:
        sys.exit(f"MISMATCH {spec} L={layers}: " + "; ".join(problems))


def measure() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    print(
        f"{'strategy':<13}{'L':>8}{'ops':>9}{'bwd fwd':>9}{'seconds':>9}{'us/op':>7}"
        f"{'peak B':>12}{'peak B/op':>10}{'kept B/op':>10}"
    )
    for spec in STRATEGIES:
        for layers in SIZES:
            chip = ChipConfig(buffer_slots=layers)
            seconds = best_seconds(spec, chip, layers)
            result, peak, retained = traced_run(spec, chip, layers)
            check(spec, layers, result)
            ops = len(result.trace)
            row = {
                "strategy": spec,
                "layers": layers,
                "ops": ops,
                "backward_fwd": result.backward.ops["fwd"],
                "seconds": round(seconds, 6),
                "us_per_op": round(1e6 * seconds / ops, 3),
                "peak_bytes": peak,
                "peak_bytes_per_op": round(peak / ops, 1),
                "retained_bytes": retained,
                "retained_bytes_per_op": round(retained / ops, 1),
            }
            rows.append(row)
            print(
                f"{spec:<13}{layers:>8,}{ops:>9,}{row['backward_fwd']:>9,}{seconds:>9.4f}"
                f"{row['us_per_op']:>7.2f}{peak:>12,}{row['peak_bytes_per_op']:>10.1f}"
                f"{row['retained_bytes_per_op']:>10.1f}"
            )
    return rows


def write_csv(rows: list[dict[str, object]], path: Path) -> None:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def number(text: str) -> int | float:
    return int(text) if text.isdigit() else float(text)


def read_csv(path: Path) -> list[dict[str, object]]:
    with path.open(newline="") as file:
        return [
            {key: number(value) if key != "strategy" else value for key, value in row.items()}
            for row in csv.DictReader(file)
        ]


def draw(rows: list[dict[str, object]], path: Path, machine: str) -> None:
    figure = Figure(figsize=(11, 8), layout="constrained")
    FigureCanvasAgg(figure)
    (seconds, peak), (per_op, bytes_per_op) = figure.subplots(2, 2, sharex=True)
    panels = (
        (seconds, "seconds", "wall time (s)", "Wall time of simulate(..., math=False)"),
        (peak, "peak_bytes", "peak traced memory (bytes)", "Peak memory during the run"),
        (per_op, "us_per_op", "time per op (µs)", "Time per simulated op"),
        (bytes_per_op, "peak_bytes_per_op", "bytes per op", "Memory per op"),
    )
    markers = dict(zip(STRATEGIES, "osD^", strict=True))
    colours = dict(zip(STRATEGIES, PALETTE, strict=False))
    for axes, field, label, title in panels:
        for spec in STRATEGIES:
            mine = [row for row in rows if row["strategy"] == spec]
            layers = [row["layers"] for row in mine]
            style = {"marker": markers[spec], "color": colours[spec]}
            axes.plot(layers, [row[field] for row in mine], label=spec, **style)
            if axes is bytes_per_op:
                kept = [row["retained_bytes_per_op"] for row in mine]
                axes.plot(layers, kept, linestyle="--", markersize=4, **style)
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_ylabel(label)
        axes.set_title(title)
        axes.grid(True, which="both", alpha=0.25)
    unit_axis(peak, "y", "bytes", "peak traced memory")  # 64 KiB … 32 MiB, not 10⁵ … 10⁷
    for axes in (per_op, bytes_per_op):
        axes.set_xlabel("layers L (ops ≈ 4–6 × L)")
        axes.yaxis.set_major_formatter(PLAIN_NUMBER)
        axes.yaxis.set_minor_formatter(PLAIN_NUMBER)
    seconds.axhline(GOAL_SECONDS, color="grey", linestyle="--", linewidth=1)
    seconds.annotate(
        "goal: sqrt-n at L = 100,000 under 30 s",
        (SIZES[0], GOAL_SECONDS),
        xytext=(0, -12),
        textcoords="offset points",
        color="grey",
        fontsize=8,
    )
    seconds.legend(title="strategy (buffer_slots = L)", loc="center left")
    bytes_per_op.legend(
        handles=[
            Line2D([], [], color="black", label="peak during the run (tracemalloc)"),
            Line2D([], [], color="black", linestyle="--", label="kept by the result: plan + trace"),
        ],
        loc="upper right",
    )
    figure.suptitle(
        f"chipsim timing-only scaling (small L: fixed costs dominate) — {machine}", fontsize=10
    )
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder (default: {OUT})")
    parser.add_argument(
        "--plot-only", action="store_true", help="redraw the PNG from the CSV in --out"
    )
    args = parser.parse_args()
    out = args.out
    machine = (
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"simpy {simpy.__version__}, {platform.machine()}"
    )
    print(machine)
    if args.plot_only:
        rows = read_csv(out / "scaling.csv")
    else:
        rows = measure()
        out.mkdir(parents=True, exist_ok=True)
        write_csv(rows, out / "scaling.csv")
    draw(rows, out / "scaling.png", machine)
    print(f"closed forms: all {len(rows)} runs match" if not args.plot_only else "redrawn")
    print(f"wrote {out / 'scaling.csv'} and {out / 'scaling.png'}")
    goal = next(r for r in rows if r["strategy"] == "sqrt-n" and r["layers"] == SIZES[-1])
    verdict = "PASS" if goal["seconds"] < GOAL_SECONDS else "FAIL"
    print(f"goal 3: sqrt-n at L = {SIZES[-1]:,} in {goal['seconds']:.2f} s (< 30 s): {verdict}")
    large = [r for r in rows if r["layers"] >= 1_000]
    for field, unit in (("us_per_op", "µs/op"), ("peak_bytes_per_op", "peak B/op")):
        values = [r[field] for r in large]
        print(f"   L >= 1,000: {min(values)}–{max(values)} {unit}")


if __name__ == "__main__":
    main()
