"""``optimal`` in one memory (issue 20): exact over recording, keeping, paging and
recomputing each stage, with every op's own peak under ``memory_bytes``.

The oracle is tests/exhaustive_memory.py: Dijkstra over every plan a chip can run,
its memory counted op by op from SPEC.md's roles, on random chains of up to 6
stages (byte sizes small enough that one memory unit is one byte, so the DP's
rounding is exact). The DP is exact over rotor's persistent plans; a plan that
drops a checkpoint and recomputes through it can be cheaper, and the last test
pins one such chain.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from exhaustive_memory import Problem, optimal_cost, replay

from chipsim import ChipConfig, DoesNotFit, PlanTooLarge, make_plan
from chipsim.cli import main
from chipsim.cli.options import build_scenario
from chipsim.formatting import bytes_text
from chipsim.model.costs import Costs
from chipsim.model.stages import Chain, Stage
from chipsim.planners import one_memory
from chipsim.planners.one_memory import entries, forward, kernel
from chipsim.planners.optimal import discretised_units
from chipsim.sim.plan_memory import use_of

LATENCIES = (("fwd_ns", 3), ("bwd_ns", 3), ("loadmem_ns", 4), ("storemem_ns", 4),
             ("loaddisk_ns", 7), ("storedisk_ns", 7))  # fmt: skip
EXACT = 10**5  # units: with budgets of a few hundred bytes, one unit is one byte


def random_case(rng: np.random.Generator, layers: int, update: str, train: str):
    """A chain of ``layers`` random stages (1-6 B outputs, up to 8 B saved, small
    workspaces and weights) and a chip whose memory is between tight and roomy."""
    sizes = rng.integers(1, 7, layers + 1)
    stages = [
        Stage(f"s{layer}", (int(sizes[layer]),), int(rng.integers(1, 6)), int(rng.integers(2, 11)),
              int(rng.integers(0, 4)), saved_bytes=int(rng.integers(0, 9)),
              fwd_workspace_bytes=int(rng.integers(0, 4)),
              bwd_workspace_bytes=int(rng.integers(0, 4)))
        for layer in range(1, layers + 1)
    ]  # fmt: skip
    chain = Chain("random", (int(sizes[0]),), stages, dtype_bytes=1)
    fixed = {field: int(rng.integers(0, high)) for field, high in LATENCIES}
    roomy = ChipConfig(memory_bytes=10**6, compute_macs_per_ns=1, update=update, train=train,
                       **fixed)  # fmt: skip
    resident = roomy.training.resident_bytes(chain)
    spread = int(sizes.sum() + chain.stage_column("saved_bytes").sum()) + 30
    return chain, roomy.replace({"memory_bytes": resident + int(rng.integers(8, spread))})


def problem(chain: Chain, chip: ChipConfig, use_disk: bool) -> Problem:
    """The oracle's view of the same chain and chip (persistent plans)."""
    training = chip.training

    def column(name: str) -> tuple[int, ...]:
        return tuple(int(x) for x in chain.stage_column(name))

    return Problem(
        tuple(int(x) for x in chain.activation_bytes), column("saved_bytes"),
        column("fwd_workspace_bytes"), column("bwd_workspace_bytes"),
        tuple(int(x) for x in training.trained_weight_bytes(chain)),
        training.resident_bytes(chain), chip.memory_bytes, training.lowest_trained(chain) - 1,
        training.update == "per_step", use_disk, persistent=True,
    )  # fmt: skip


def dp_value(chain: Chain, chip: ChipConfig, use_disk: bool, objective: str) -> float | None:
    prices = Costs(chip, chain).priced_objective_table("time")
    try:
        return one_memory.solve(chain, chip.memory_bytes, chip.training, prices, units=EXACT,
                                use_disk=use_disk, objective=objective).value  # fmt: skip
    except DoesNotFit:
        return None


CASES = [  # (seed, stages, cases, disk)
    (1, 1, 10, True), (2, 2, 20, True), (3, 3, 20, True), (4, 3, 20, False),
    (5, 4, 12, True), (6, 4, 12, False), (7, 5, 3, False), (8, 6, 1, False),
]  # fmt: skip


@pytest.mark.parametrize(("seed", "stages", "count", "disk"), CASES)
@pytest.mark.parametrize("objective", ["backward", "total"])
def test_the_dp_equals_the_cheapest_persistent_plan(seed, stages, count, disk, objective) -> None:
    rng = np.random.default_rng(seed)
    feasible = 0
    for case in range(count):
        update = ("per_step", "per_stage")[case % 2]
        train = ("all", f"last:{max(stages - 1, 1)}")[case % 3 == 2]
        chain, chip = random_case(rng, stages, update, train)
        prices = Costs(chip, chain).priced_objective_table("time")
        expected = optimal_cost(problem(chain, chip, disk), prices, objective)
        assert dp_value(chain, chip, disk, objective) == expected, (seed, case)
        feasible += expected is not None
    assert feasible >= count // 2  # the memories drawn are mostly feasible: the test bites


@pytest.mark.parametrize("seed", range(6))
def test_its_plan_costs_its_value_and_peaks_within_the_memory(seed: int) -> None:
    """The plan ``optimal`` returns: priced as it runs (recorded bwds included) it costs the
    DP's value, and its peak, counted by the model and by the oracle's own rules op by
    op, is at most ``memory_bytes``."""
    rng = np.random.default_rng(100 + seed)
    for case in range(8):
        chain, chip = random_case(rng, 4, ("per_step", "per_stage")[case % 2], "all")
        value = dp_value(chain, chip, True, "backward")
        if value is None:
            continue
        plan = make_plan(f"optimal:units={EXACT}", chain, chip)
        assert plan.latency_ns(Costs(chip, chain), "backward") == value
        used = use_of(plan, chip, chain).total.tolist()
        assert replay(problem(chain, chip, True), [*plan.forward, *plan.backward]) == used
        assert max(used) <= chip.memory_bytes


def test_partial_training_stops_at_the_lowest_trained_stage_and_never_records_below() -> None:
    rng = np.random.default_rng(7)
    for _ in range(10):
        chain, chip = random_case(rng, 5, "per_step", "last:2")
        if dp_value(chain, chip, True, "backward") is None:
            continue
        plan = make_plan(f"optimal:units={EXACT}", chain, chip)
        assert plan.backward[-1].kind == "bwd" and plan.backward[-1].layer == 4
        assert not any(op.record for op in (*plan.forward, *plan.backward) if op.layer < 4)


@pytest.mark.parametrize("seed", range(4))
def test_no_built_in_plan_that_fits_is_faster(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    built_ins = ("full-store", "sqrt-n", "revolve", "disk-offload", "stride:k=1", "stride:k=2")
    for _ in range(5):
        chain, chip = random_case(rng, 6, "per_step", "all")
        costs = Costs(chip, chain)
        try:
            best = make_plan(f"optimal:units={EXACT}", chain, chip).latency_ns(costs, "backward")
        except DoesNotFit:
            continue
        for spec in built_ins:
            plan = make_plan(spec, chain, chip)
            if use_of(plan, chip, chain).peak_bytes <= chip.memory_bytes:
                assert best <= plan.latency_ns(costs, "backward"), spec


def fill_tables(seed: int, units: int, use_disk: bool, train: str) -> list[np.ndarray]:
    """Every array of T and F for a random 5-stage case, compiled or not as imported."""
    chain, chip = random_case(np.random.default_rng(seed), 5, "per_step", train)
    needs = one_memory.needs_of(chain, chip.memory_bytes, chip.training, units)
    prices = Costs(chip, chain).priced_objective_table("time")
    end = chip.training.lowest_trained(chain) - 1
    t_tab = kernel.fill_t(needs.columns(), prices, end, use_disk, needs.room_units)
    return [*t_tab, *forward.fill_f(t_tab, needs.columns(), prices, end, use_disk, False)]


@pytest.mark.parametrize(("use_disk", "train"), [(True, "all"), (False, "all"), (True, "last:2")])
def test_without_numba_the_same_loops_as_python_give_the_same_tables(
    tmp_path, use_disk, train
) -> None:
    """Without numba (no ``fast`` extra) the kernel runs as Python, its innermost steps as
    numpy: the same tables, bit for bit. A subprocess hides numba from Python."""
    assert kernel.COMPILED  # the test extra installs numba: this process compiles
    script = (
        "import sys; sys.modules['numba'] = None\n"
        "import numpy as np, test_one_memory_optimal as t\n"
        "assert not t.kernel.COMPILED\n"
        f"np.savez(sys.argv[1], *t.fill_tables(9, 300, {use_disk}, {train!r}))\n"
    )
    saved = tmp_path / "python.npz"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    subprocess.run([sys.executable, "-c", script, str(saved)], check=True, env=env)
    python = np.load(saved)
    compiled = fill_tables(9, 300, use_disk, train)
    assert len(python.files) == len(compiled) == 9
    for index, array in enumerate(compiled):
        assert np.array_equal(array, python[f"arr_{index}"]), index


def test_a_memory_no_plan_fits_is_refused_with_the_least_that_does_and_its_peak() -> None:
    chain, chip = random_case(np.random.default_rng(11), 4, "per_step", "all")
    prices = Costs(chip, chain).priced_objective_table("time")
    least = one_memory.least_memory_bytes(chain, chip.training, prices, EXACT)
    assert dp_value(chain, chip.replace({"memory_bytes": least}), True, "backward") is not None
    short = chip.replace({"memory_bytes": least - 1})
    needs = f"needs {least} B of memory; the chip has {least - 1} B"
    with pytest.raises(DoesNotFit, match=needs + r".*: the peak is at `\w+ \d` .*, holding "):
        make_plan(f"optimal:units={EXACT}", chain, short)


def test_weights_that_do_not_fit_are_refused_saying_so() -> None:
    chain, chip = random_case(np.random.default_rng(12), 3, "per_step", "all")
    resident = chip.training.resident_bytes(chain)
    tiny = chip.replace({"memory_bytes": resident - 1})
    prices = Costs(chip, chain).priced_objective_table("time")
    with pytest.raises(DoesNotFit, match="the weights and optimizer state alone do not fit"):
        one_memory.solve(chain, resident - 1, chip.training, prices, units=EXACT)
    with pytest.raises(DoesNotFit, match=f"holding .*weights {resident} B"):
        make_plan("optimal", chain, tiny)


def test_tables_too_large_or_too_slow_are_refused_before_any_is_made() -> None:
    with pytest.raises(PlanTooLarge, match=r"GiB of tables .* use fewer units"):
        one_memory.check_work("optimal", 400, 500)
    with pytest.raises(PlanTooLarge, match=r"e\+09 steps, too many .* use fewer units"):
        one_memory.check_work("optimal", 250, 300)  # 1.2 GiB of tables, 6.2e9 candidates
    one_memory.check_work("optimal", 100, 500)  # 6.7e8 candidates, 350 MiB: planned
    with pytest.raises(PlanTooLarge, match=r"5\.5e\+09 steps"):  # with the disk: both places
        one_memory.check_work("optimal", 240, 300)
    one_memory.check_work("optimal", 240, 300, use_disk=False)  # half: 2.8e9 candidates


def test_a_plan_that_drops_a_checkpoint_can_be_cheaper_than_any_persistent_one() -> None:
    """Where the DP's class ends (found by the random search, 1 chain in 29 of 4 stages):
    a(1) kept for the sweep to bwd 3 and then freed, bwd 2 fed by a walk from a0 that
    records stage 1, so that bwd 1 pays its gradient work alone."""
    stages = [  # outputs 3, 5, 5, 2 B from a 1 B input; (fwd, bwd) MACs, params, saved, ws
        Stage("s1", (3,), 1, 4, 1, saved_bytes=1, bwd_workspace_bytes=1),
        Stage("s2", (5,), 1, 3, 0, saved_bytes=3, fwd_workspace_bytes=1),
        Stage("s3", (5,), 3, 10, 3, saved_bytes=1, fwd_workspace_bytes=1, bwd_workspace_bytes=2),
        Stage("s4", (2,), 1, 7, 3, saved_bytes=7, bwd_workspace_bytes=1),
    ]
    chain = Chain("drops a(1)", (1,), stages, dtype_bytes=1)
    chip = ChipConfig(memory_bytes=34, compute_macs_per_ns=1, fwd_ns=0, bwd_ns=1, loadmem_ns=3,
                      storemem_ns=3, loaddisk_ns=5, storedisk_ns=5)  # fmt: skip
    prices = Costs(chip, chain).priced_objective_table("time")
    persistent = problem(chain, chip, True)
    free_form = dataclasses.replace(persistent, persistent=False)
    assert optimal_cost(free_form, prices, "backward") == 42.0
    assert optimal_cost(persistent, prices, "backward") == dp_value(chain, chip, True, "backward")
    assert dp_value(chain, chip, True, "backward") == 43.0


def test_a_label_says_over_n_units_only_where_the_memory_units_round() -> None:
    chain, chip = random_case(np.random.default_rng(13), 3, "per_step", "all")
    assert discretised_units(chain, chip, EXACT) is None  # one unit is one byte
    odd = chip.replace({"memory_bytes": chip.training.resident_bytes(chain) + 1001})
    assert discretised_units(chain, odd, 7) == 7  # 1001 B in 7 units of 143 B: sizes round


def test_chipsim_plan_on_one_memory_lists_recording_forwards_and_the_peak_used() -> None:
    network = "mobilenetv2:width_mult=0.35,resolution=112,dtype_bytes=1,classes=10,saves=deployed"
    args = ["plan", "mcu-train", "--set", "train=last:1", "--network", network]
    result = CliRunner().invoke(main, [*args, "--strategy", "optimal"])
    assert result.exit_code == 0, result.output
    assert "  fwd 20 (record)  " in result.output  # the op and its column stay apart
    scenario = build_scenario("mcu-train", None, None, None, ("train=last:1",), network)
    plan = make_plan("optimal", scenario.chain, scenario.chip)
    peak = bytes_text(use_of(plan, scenario.chip, scenario.chain).peak_bytes)
    assert f"fits the chip: {peak} of the 256 KiB memory at its peak" in result.output


def test_without_numba_the_sliced_offer_takes_what_the_loop_takes() -> None:
    """The Python fallback's inner steps (numpy) against the compiled loops' source, on
    rows with ties in value (fewer ops win) and infinite entries, every row as long as
    the entry's; ``take_past_end`` reads indices past the end as the end."""
    rng = np.random.default_rng(14)
    take_loop = getattr(entries.take, "py_func", entries.take)
    past_end_loop = getattr(entries.take_past_end, "py_func", entries.take_past_end)
    for _ in range(50):
        best = (rng.integers(0, 4, 40).astype(float), rng.integers(0, 9, 40).astype(np.int32),
                np.zeros(40, np.int32))  # fmt: skip
        best[0][rng.random(40) < 0.2] = np.inf
        rows = [rng.integers(0, 4, 40).astype(float), rng.integers(0, 9, 40).astype(np.int32)]
        other = [rng.integers(0, 4, 40).astype(float), rng.integers(0, 9, 40).astype(np.int32)]
        cases = (
            (take_loop, entries.take_sliced, (3, 28, 1.0, 2, *rows, 5, *other, 11, 7)),
            (past_end_loop, entries.take_past_end_sliced, (25, 1.0, 2, *rows, 5, *other, 11, 7)),
        )
        for loop, sliced_take, args in cases:
            looped, sliced = tuple(c.copy() for c in best), tuple(c.copy() for c in best)
            loop(looped, *args)
            sliced_take(sliced, *args)
            assert all(np.array_equal(x, y) for x, y in zip(looped, sliced, strict=True))
            assert not np.array_equal(looped[2], best[2])  # some entry took the candidate


def test_where_the_chips_own_units_round_every_plan_out_optimal_keeps_the_least_memory_plan() -> (
    None
):
    """At accelerator-train's largest batch for optimal, 4000 units of the chip's 80 GB
    round every plan out. The DP's plan in the least memory it finds (searched in rooms
    that do not depend on the chip's) peaks within the 80 GB, and optimal keeps it, for
    time and for energy: never a refusal that "needs what the chip has"."""
    network = "resnet50:batch=6609,dtype_bytes=2"
    scenario = build_scenario("accelerator-train", None, None, None, (), network)
    chain, chip = scenario.chain, scenario.chip
    for spec in ("optimal:units=4000", "optimal:objective=energy,units=4000"):
        plan = make_plan(spec, chain, chip)
        assert plan.notes[-1].startswith("optimal over 4000 units: memory unit = 19.03 MiB")
        assert use_of(plan, chip, chain).peak_bytes == 79_996_043_648 < chip.memory_bytes


def test_a_refusal_names_the_exact_peak_of_the_least_memory_plan_and_that_memory_fits() -> None:
    """The least memory is a plan's own peak, with its op and what is live then, not a
    figure rounded up to units: so the memory it names plans (a review found 232,926 B
    named, over the 232,330 B the plan needs, and no peak op)."""
    network = "mobilenetv2:width_mult=0.35,resolution=112,dtype_bytes=1,classes=10,saves=deployed"
    fields = ("train=last:1", "memory_bytes=200000")
    scenario = build_scenario("mcu-train", None, None, None, fields, network)
    chain, chip = scenario.chain, scenario.chip
    with pytest.raises(DoesNotFit) as refused:
        make_plan("optimal", chain, chip)
    assert refused.value.bytes_needed == 232_330
    assert "the peak is at `fwd 3` (op 3 of the forward phase), holding " in str(refused.value)
    roomy = chip.replace({"memory_bytes": 232_330})
    assert use_of(make_plan("optimal", chain, roomy), roomy, chain).peak_bytes == 232_330
