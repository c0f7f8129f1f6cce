"""The zoo's saved and workspace bytes against what PyTorch keeps and allocates.

Run: ``PYTHONPATH=. python benchmarks/saved_tensors.py [NETWORK ...]`` from the
repository root, after ``pip install -e .[bench]`` (torch, torchvision). For
every stage of every zoo network at its defaults it prints the bytes
``torch.autograd.graph.saved_tensors_hooks`` sees during a recording forward
(``benchmarks/torch_stages.py`` says how each stage maps onto PyTorch modules
and what is measured), the zoo's ``saved_bytes`` and their difference, and
the CPU allocator's forward and backward workspace beside the zoo's.

This runs on CPU, so the zoo is built with ``saves=pytorch_cpu`` (dropout
keeps its mask in the activation dtype there; ``saves=pytorch`` is CUDA's
bool mask). Goal: every stage's saved bytes within 5 %, every network's total
within 2 %; the workspace columns are for reading (docs/networks.md says why
PyTorch on CPU allocates more than the zoo's rule). Exit status 1 if a goal
is missed. ``--markdown`` prints the tables docs/networks.md shows.
"""

from __future__ import annotations

import sys

import torch
from torch_stages import NETWORKS, measure_network

from chipsim.model.zoo import ZOO

STAGE_GOAL, TOTAL_GOAL = 0.05, 0.02
COLUMNS = ("stage", "torch saved", "zoo saved", "diff", "torch fwd ws", "zoo fwd ws")
COLUMNS += ("torch bwd ws", "zoo bwd ws")


def difference(measured: int, modelled: int) -> float:
    """Relative difference of the zoo's figure from PyTorch's (0 when both are 0)."""
    return (modelled - measured) / measured if measured else float(modelled != 0)


def rows(name: str) -> list[tuple]:
    """One row per stage: name, then the torch and zoo figures side by side."""
    stages = ZOO[name](saves="pytorch_cpu").stages
    table = []
    for stage, (label, row) in zip(stages, measure_network(name), strict=True):
        assert stage.name == label, (stage.name, label)
        measured = (row["saved"], row["fwd_ws"], row["bwd_ws"])
        modelled = (stage.saved_bytes, stage.fwd_workspace_bytes, stage.bwd_workspace_bytes)
        table.append((label, *measured, *modelled))
    return table


def _cells(row: tuple) -> list[str]:
    label, saved, fwd, bwd, zoo_saved, zoo_fwd, zoo_bwd = row
    diff = f"{difference(saved, zoo_saved):+.1%}"
    numbers = (saved, zoo_saved, diff, fwd, zoo_fwd, bwd, zoo_bwd)
    return [label, *(f"{n:,}" if isinstance(n, int) else n for n in numbers)]


def print_table(name: str, table: list[tuple], markdown: bool) -> bool:
    """Print one network's table; whether it meets both goals."""
    saved, zoo = sum(r[1] for r in table), sum(r[4] for r in table)
    total = ("total", saved, 0, 0, zoo, 0, 0)
    lines = [_cells(r) for r in table] + [_cells(total)[:4] + [""] * 4]
    print(f"\n{name}\n")
    if markdown:
        print("| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS))
    for cells in lines:
        print("| " + " | ".join(cells) + " |" if markdown else "  ".join(f"{c:>14}" for c in cells))
    worst = max(abs(difference(r[1], r[4])) for r in table)
    ok = worst <= STAGE_GOAL and abs(difference(saved, zoo)) <= TOTAL_GOAL
    verdict = "pass" if ok else "FAIL"
    print(f"\nworst stage {worst:.2%}, total {difference(saved, zoo):+.2%}: {verdict}")
    return ok


def main(argv: list[str]) -> int:
    markdown = "--markdown" in argv
    names = [a for a in argv if a != "--markdown"] or list(NETWORKS)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, CPU, batch 1, float32, saves=pytorch_cpu")
    results = [print_table(name, rows(name), markdown) for name in names]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
