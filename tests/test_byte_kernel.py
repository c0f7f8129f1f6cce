"""The byte DP's compiled fill (kernel.py) gives the numpy fill's tables, entry for entry."""

from __future__ import annotations

import subprocess
import sys
from itertools import pairwise

import numpy as np
import pytest
from test_optimal_bytes import random_chain

from chipsim.planners.byte_budget import tables
from chipsim.planners.byte_budget.recurrence import rounding, solve_bytes

kernel = pytest.importorskip("chipsim.planners.byte_budget.kernel", exc_type=ImportError)


def numpy_tables(prices, size, budget, use_disk, objective):
    t_tab = tables.fill_t(prices, size, budget, use_disk)
    return t_tab, tables.fill_f(t_tab, prices, size, use_disk, objective)


def assert_same_tables(prices, size, budget, use_disk, objective) -> None:
    compiled = kernel.fill_tables(prices, size, budget, use_disk, objective)
    reference = numpy_tables(prices, size, budget, use_disk, objective)
    for ours, theirs in zip(compiled, reference, strict=True):
        for name, mine, old in zip(
            ("value", "ops", "choice", "split", "moved"), ours.columns(), theirs.columns(),
            strict=True,
        ):  # fmt: skip
            same = mine.view(np.uint64) == old.view(np.uint64) if name == "value" else mine == old
            assert same.all(), name  # values as bits: -0.0 is not 0.0


@pytest.mark.parametrize("seed", range(40))
def test_random_chains_fill_the_same_tables(seed: int) -> None:
    """Integer prices, so ties are many: the tie-breaks must agree too."""
    rng = np.random.default_rng(seed)
    sizes, prices, budget = random_chain(rng, int(rng.integers(1, 9)))
    units = rounding(sizes, budget, int(rng.integers(1, 40)))
    for use_disk in (True, False):
        for objective in ("backward", "total"):
            assert_same_tables(
                prices, units.activation_units, units.budget_units, use_disk, objective
            )


@pytest.mark.parametrize("use_disk", [True, False])
def test_float_prices_on_a_longer_chain_fill_the_same_tables(use_disk: bool) -> None:
    """Prices with fractions: every value must be the same float sum, added in the same order."""
    rng = np.random.default_rng(7)
    sizes = rng.integers(1_000, 50_000, 31)
    prices = rng.uniform(0.0, 1e4, (7, 31)) * rng.uniform(0.5, 2.0, 31)
    units = rounding(sizes, int(sizes.sum() // 6), 120)
    for objective in ("backward", "total"):
        assert_same_tables(prices, units.activation_units, units.budget_units, use_disk, objective)


@pytest.mark.parametrize("seed", range(12))
def test_solve_bytes_plans_the_same_with_either_fill(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(seed)
    sizes, prices, budget = random_chain(rng, int(rng.integers(2, 14)))
    options = {"units": int(rng.integers(1, 60)), "use_disk": bool(seed % 3)}
    compiled = solve_bytes(sizes, prices, budget, **options)
    monkeypatch.setattr(tables, "_compiled", lambda layers, budget: None)
    plain = solve_bytes(sizes, prices, budget, **options)
    assert compiled.value == plain.value
    assert compiled.ops() == plain.ops()


def test_the_kernel_compiles_without_reference_counting() -> None:
    """The installed numba has the option that drops reference counting (without it the
    kernel is right but slower: benchmarks/README.md, "Against rotor")."""
    from chipsim.planners import compiled

    assert compiled._no_refcounts() == {"_nrt": False}


def test_a_fill_without_a_disk_leaves_the_disk_entries_blank() -> None:
    """The kernel's tables start unset: what it does not compute must be set as numpy's are."""
    sizes = np.array([4, 3, 2, 5, 1])
    prices = np.arange(35, dtype=float).reshape(7, 5) % 5
    t_tab, f_tab = kernel.fill_tables(prices, sizes, 9, False, "backward")
    for table in (t_tab, f_tab):
        assert np.isinf(table.value[tables.DISK]).all()
        assert not table.ops[tables.DISK].any() and not table.moved.any()
    assert np.isinf(t_tab.value[tables.MEM, 2, :3]).all()  # base >= top: never computed


@pytest.mark.parametrize("seed", range(16))
def test_budgets_over_many_blocks_fill_the_same_tables(seed: int) -> None:
    """Budgets of 100-400 units span several of bounds.py's blocks, where splits that cannot
    win are skipped block by block: integer prices (many ties) and fractional ones."""
    rng = np.random.default_rng(1000 + seed)
    sizes, prices, budget = random_chain(rng, int(rng.integers(3, 12)))
    if seed % 2:
        prices = prices * rng.uniform(0.5, 2.0, prices.shape)
    units = rounding(sizes, max(budget, int(sizes.sum())), int(rng.integers(100, 400)))
    for use_disk in (True, False):
        assert_same_tables(prices, units.activation_units, units.budget_units, use_disk, "total")


def test_block_bounds_are_each_blocks_least_and_largest_entry() -> None:
    """Falling rows (as the tables' are) take their block ends; any other row is scanned,
    NaN passed over, inf kept."""
    from chipsim.planners.byte_budget import bounds

    rng = np.random.default_rng(3)
    falling = np.sort(rng.uniform(0, 9, 100))[::-1].copy()
    falling[:7] = np.inf
    rough = rng.uniform(0, 9, 100)
    rough[[5, 40, 41]] = np.nan, np.inf, -np.inf
    rough[64:96] = np.nan  # a block of NaN alone bounds nothing: NaN
    bumped = falling.copy()
    bumped[70] = bumped[60] + 1.0  # one rise: the row is not falling, its other blocks are
    for row in (falling, rough, bumped):
        count = bounds.blocks(len(row))
        lows, highs = np.empty(count), np.empty(count)
        bounds.row_bounds(row, lows, highs)
        pieces = [row[b : b + bounds.BLOCK] for b in range(0, len(row), bounds.BLOCK)]
        least = [np.nan if np.isnan(p).all() else np.nanmin(p) for p in pieces]
        most = [np.nan if np.isnan(p).all() else np.nanmax(p) for p in pieces]
        assert np.array_equal(lows, least, equal_nan=True)
        assert np.array_equal(highs, most, equal_nan=True)


def test_a_small_fill_is_one_call_a_large_one_reports_progress_between_calls() -> None:
    """Tops 1..L in ranges that follow one another: one for a fill of milliseconds (a call
    unboxes its arguments each time), up to 16 for one of seconds (progress between)."""
    for layers, units, calls in ((1, 0, 1), (25, 500, 1), (50, 500, 1), (100, 500, 2),
                                 (200, 500, 14), (1000, 500, 16)):  # fmt: skip
        chunks = kernel._chunks(layers, units)
        assert len(chunks) == calls
        assert chunks[0][0] == 1 and chunks[-1][1] == layers + 1
        assert all(end == start for (_, end), (start, _) in pairwise(chunks))
        assert all(start < end for start, end in chunks)


def test_without_numba_the_numpy_fill_fills_even_large_tables() -> None:
    """The kernel imports without numba (its loops as plain Python, for tests of them),
    but a fill must not run them: numpy's is thousands of times faster. A subprocess
    hides numba from Python."""
    code = (
        "import sys; sys.modules['numba'] = None\n"
        "from chipsim.planners.byte_budget import tables\n"
        "print(tables._compiled(100, 500), tables._compiled(5, 10))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["None", "None"]
    assert tables._compiled(100, 500) is kernel.fill_tables  # numba here: the kernel


def test_signed_zero_prices_fill_the_same_tables() -> None:
    """Prices of -0.0 (which validation accepts: -0.0 < 0 is false) keep their sign where
    numpy's fill keeps it: F's first candidate is T's entry as it is."""
    prices = np.full((7, 3), -0.0)
    units = np.array([1, 1, 1])
    for use_disk in (False, True):
        for objective in ("backward", "total"):
            assert_same_tables(prices, units, 2, use_disk, objective)


def test_skipped_blocks_and_lowered_ceilings_bound_every_candidate() -> None:
    """``may_take`` leaves a block shut only where both candidates of both places exceed
    its ceiling at every unit; ``lower`` leaves every ceiling at or above what the cell
    can hold once the split is offered: min(old ceiling, its largest least candidate)."""
    from chipsim.planners.byte_budget import bounds

    rng = np.random.default_rng(11)
    units = 100  # four blocks, the last one partial
    count = bounds.blocks(units)
    for _ in range(200):
        rows = -np.sort(-rng.integers(0, 60, (4, units)).astype(float), axis=1)
        rows[:, : rng.integers(0, 40)] = np.inf  # infeasible units first, as in the tables
        up, paged, low0, low1 = rows
        held = [np.empty((2, count)) for _ in rows]
        for row, bound in zip(rows, held, strict=True):
            bounds.row_bounds(row, bound[0], bound[1])
        heads = tuple(tuple(rng.integers(0, 30, 2).astype(float)) for _ in range(2))
        minus = float(rng.integers(0, 10))
        ceiling = rng.integers(20, 120, (2, count)).astype(float)
        ceiling[:, 0] = np.inf
        flags = np.empty(count, np.bool_)
        least, most = (tuple(bound[side] for bound in held) for side in range(2))
        bounds.may_take(heads, least, minus, ceiling, flags)
        least = []
        for place, low in enumerate((low0, low1)):
            memory = (heads[place][0] + up) + low
            disk = ((heads[place][1] + paged) - minus) + low
            least.append(np.minimum(memory, disk))
        before = ceiling.copy()
        bounds.lower(heads, most, minus, ceiling, (0, count))
        for b in range(count):
            block = slice(b * bounds.BLOCK, (b + 1) * bounds.BLOCK)
            for place in range(2):
                if not flags[b]:
                    assert (least[place][block] > before[place, b]).all()
                most = least[place][block].max()
                assert ceiling[place, b] >= min(before[place, b], most)
