"""Properties of plans, chips and the engine over random inputs (hypothesis, bounded by
``max_examples``, never by time): issue 15's fuzzing, kept in the suite.

Random plans are strategy plans and mutations of them (ops dropped, repeated,
swapped, shifted, marked prefetch, junk inserted) on L <= 8, 1..4 buffer slots
and 0..2 staging slots; chips draw integer, float or distributed latencies,
faults, and either mode. Whatever the input, chipsim either runs it or refuses
it with a chipsim error; what runs obeys the model. Issue 23's fuzzing of the
command line is here too: random tokens, digits, unicode, huge integers,
nesting and special paths to every command, answered or refused in one line.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from chipsim import ChipConfig, ChipsimError, Op, Plan, execute, make_plan
from chipsim.model.ops import OP_KINDS, PORTS

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("fwd_ns", "bwd_ns", "loadmem_ns", "storemem_ns", "loaddisk_ns", "storedisk_ns")
DISTRIBUTIONS = (
    {"dist": "uniform", "low": 1, "high": 30},
    {"dist": "exponential", "mean": 10},
    {"dist": "lognormal", "median": 10, "sigma": 0.5},
)

layers = st.integers(1, 8)
whole_latency = st.integers(0, 50)
STAGING = st.integers(0, 2)
any_latency = st.one_of(
    whole_latency, st.floats(0, 50, allow_nan=False), st.sampled_from(DISTRIBUTIONS)
)


@st.composite
def chips(draw, latency=any_latency, mode=None, faults=True, staging=STAGING):
    values = {name: draw(latency) for name in FIELDS}
    rate = draw(st.sampled_from([0, 0, 0.2])) if faults else 0
    return ChipConfig(
        **values,
        buffer_slots=draw(st.integers(1, 4)),
        staging_slots=draw(staging),
        mode=draw(st.sampled_from(["serial", "overlapped"])) if mode is None else mode,
        disk_fault_rate=rate,
        max_retries=3,
    )


@st.composite
def specs(draw, prefetch=True):
    k, depth = draw(st.integers(1, 8)), draw(st.integers(1, 2))
    names = ["full-store", f"stride:k={k}", "sqrt-n", "disk-offload", "revolve", "optimal"]
    if prefetch:
        names += [f"stride:k={k},prefetch={depth}", f"disk-offload:prefetch={depth}"]
    return draw(st.sampled_from(names))


junk_ops = (
    st.tuples(
        st.one_of(st.sampled_from(OP_KINDS), st.text(max_size=3), st.just(["fwd"]), st.integers()),
        st.one_of(st.integers(-2, 10), st.floats(), st.text(max_size=2), st.none(), st.booleans()),
        st.one_of(st.booleans(), st.integers(0, 2), st.none()),
    )
    | st.tuples(st.sampled_from(OP_KINDS))
    | st.tuples(st.sampled_from(OP_KINDS), st.integers(0, 8))
)


@st.composite
def mutated(draw, chip: ChipConfig, valid_only_ops: bool = False):
    """(L, forward ops, backward ops): a strategy's plan with up to three mutations."""
    count = draw(layers)
    plan = make_plan(draw(specs()), count, chip.resolved(1))  # planners see the means
    ops = [(phase, tuple(op)) for phase, op in plan.ops()]
    for _ in range(draw(st.integers(0, 3))):
        if not ops:
            break
        i = draw(st.integers(0, len(ops) - 1))
        phase, op = ops[i]
        if len(op) < 2 or not isinstance(op[1], int):  # junk inserted earlier: leave it
            continue
        choice = draw(st.sampled_from(["drop", "repeat", "swap", "shift", "prefetch", "junk"]))
        if choice == "drop":
            del ops[i]
        elif choice == "repeat":
            ops.insert(i, ops[i])
        elif choice == "swap" and i + 1 < len(ops):
            ops[i], ops[i + 1] = (ops[i][0], ops[i + 1][1]), (ops[i + 1][0], op)
        elif choice == "shift":
            ops[i] = (phase, (op[0], op[1] + draw(st.sampled_from([-1, 1]))))
        elif choice == "prefetch":
            ops[i] = (phase, (op[0], op[1], True))
        elif not valid_only_ops:
            ops.insert(i, (phase, draw(junk_ops)))
    forward = [op for phase, op in ops if phase == "forward"]
    backward = [op for phase, op in ops if phase == "backward"]
    return count, forward, backward


def run_or_refuse(count: int, forward: list, backward: list, chip: ChipConfig):
    """The execution, or None when chipsim refused the plan with one of its own errors."""
    try:
        plan = Plan.build("random", count, forward, backward)
        return plan, execute(plan, chip, None, seed=3)
    except ChipsimError:
        return None


def check_model(plan: Plan, chip: ChipConfig, trace) -> None:
    """What every run obeys, checked from its trace alone."""
    assert trace.buffer_slots_used.max(initial=0) <= chip.buffer_slots
    assert plan.staging_in_use().max(initial=0) <= chip.staging_slots
    buffer, disk = set(), set()
    for kind, layer in zip(trace.op.tolist(), trace.layer.tolist(), strict=True):
        name = OP_KINDS[kind]
        if name == "loadmem" and layer > 0:
            assert layer in buffer, f"loadmem {layer} read an empty slot"
        elif name == "loaddisk":
            assert layer in disk, f"loaddisk {layer} read nothing"
        elif name == "storemem":
            buffer.add(layer)
        elif name == "storedisk":
            disk.add(layer)
        elif name == "free":
            buffer.discard(layer)
    for port in range(len(PORTS)):
        rows = np.flatnonzero(trace.resource == port)
        order = rows[np.argsort(trace.start_ns[rows], kind="stable")]
        assert (trace.start_ns[order][1:] >= trace.end_ns[order][:-1]).all()
    if chip.mode == "serial" and len(trace):
        assert trace.start_ns[0] == 0
        assert (trace.start_ns[1:] == trace.end_ns[:-1]).all()


@given(st.data())
def test_random_plans_run_by_the_rules_or_are_refused_with_a_chipsim_error(data) -> None:
    chip = data.draw(chips())
    outcome = run_or_refuse(*data.draw(mutated(chip)), chip)
    if outcome is not None:
        plan, execution = outcome
        check_model(plan, chip, execution.trace)


@given(st.data())
def test_malformed_ops_are_refused_with_a_chipsim_error(data) -> None:
    count = data.draw(st.one_of(layers, st.integers(-1, 0), st.floats(), st.none()))
    forward = data.draw(st.lists(junk_ops, max_size=6))
    backward = data.draw(st.lists(junk_ops, max_size=6))
    run_or_refuse(count, forward, backward, ChipConfig(staging_slots=1))  # type: ignore[arg-type]


@given(
    codes=st.lists(st.integers(-2, 8), max_size=10),
    numbers=st.lists(st.integers(-2, 10), max_size=10),
    forward_ops=st.integers(-1, 11),
    prefetch=st.none() | st.lists(st.booleans(), max_size=10),
    count=st.integers(-1, 9),
)
def test_directly_built_plans_are_validated(codes, numbers, forward_ops, prefetch, count) -> None:
    flags = None if prefetch is None else np.array(prefetch, dtype=bool)
    try:
        plan = Plan(
            "direct", count, np.array(codes, dtype=np.int8), np.array(numbers), forward_ops, flags
        )
        execute(plan, ChipConfig(staging_slots=2, buffer_slots=4), None)
    except ChipsimError:
        pass


@given(st.data())
def test_overlapped_is_never_above_serial(data) -> None:
    chip = data.draw(chips(mode="serial"))
    outcome = run_or_refuse(*data.draw(mutated(chip)), chip)
    if outcome is None:
        return
    plan, serial = outcome[0], outcome[1].trace
    overlapped = execute(plan, chip.replace({"mode": "overlapped"}), None, seed=3).trace
    check_model(plan, chip.replace({"mode": "overlapped"}), overlapped)
    assert (overlapped.start_ns <= serial.start_ns).all()
    assert (overlapped.end_ns <= serial.end_ns).all()
    assert overlapped.latency_ns("forward") <= serial.latency_ns("forward")
    if overlapped.latency_ns("forward") == serial.latency_ns("forward"):
        assert overlapped.latency_ns("backward") <= serial.latency_ns("backward")


@given(st.data())
def test_the_serial_engine_takes_exactly_the_predicted_latency(data) -> None:
    chip = data.draw(chips(latency=whole_latency, mode="serial", faults=False))
    outcome = run_or_refuse(*data.draw(mutated(chip)), chip)
    if outcome is not None:
        plan, execution = outcome
        for phase in ("forward", "backward"):
            assert execution.trace.latency_ns(phase) == plan.latency_ns(chip, phase)


@settings(max_examples=40)
@given(st.data())
def test_optimal_is_never_beaten_by_a_valid_plan_with_the_same_slots(data) -> None:
    chip = data.draw(chips(latency=whole_latency, mode="serial", faults=False, staging=st.just(0)))
    outcome = run_or_refuse(*data.draw(mutated(chip, valid_only_ops=True)), chip)
    if outcome is None:
        return
    plan, execution = outcome
    best = execute(make_plan("optimal", plan.layers, chip), chip, None).trace
    assert best.latency_ns("backward") <= execution.trace.latency_ns("backward")


# Issue 15's failing examples, kept as they were found.


def test_regression_a_float_layer_is_not_rounded() -> None:
    assert run_or_refuse(1, [Op("loadmem", 0), ("fwd", 1.5)], [], ChipConfig()) is None


def test_regression_a_prefetch_across_the_barrier_no_longer_beats_optimal() -> None:
    chip = ChipConfig(staging_slots=1)
    plan = make_plan("optimal", 10, chip)
    backward = list(plan.backward)
    load = backward.pop(0)
    forward = [*plan.forward, load._replace(prefetch=True)]
    assert run_or_refuse(10, forward, backward, chip) is None  # it ran in 250 ns before


TRACE_SCRIPT = """
import hashlib, numpy as np
from chipsim import ChipConfig, execute, make_plan
chip = ChipConfig(mode="overlapped", staging_slots=2, disk_fault_rate=0.2,
                  loaddisk_ns={"dist": "lognormal", "median": 40, "sigma": 0.6})
plan = make_plan("disk-offload:prefetch=2", 8, chip)
t = execute(plan, chip, None, seed=11).trace
print(hashlib.sha256(np.concatenate([t.start_ns, t.end_ns, t.attempt]).tobytes()).hexdigest())
"""


def test_traces_are_identical_for_the_same_seed_across_processes() -> None:
    def digest() -> str:
        run = subprocess.run(
            [sys.executable, "-c", TRACE_SCRIPT],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return run.stdout.strip()

    first, second = digest(), digest()
    assert len(first) == 64 and first == second
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as here:
        exec(TRACE_SCRIPT, namespace)
    assert here.getvalue().strip() == first


# --- the command line, fuzzed (issue 23): whatever the tokens, one line and a known status

FUZZ_DIR = Path(tempfile.mkdtemp(prefix="chipsim-fuzz-"))
atexit.register(shutil.rmtree, FUZZ_DIR, True)
FIFO = FUZZ_DIR / "fifo.csv"
os.mkfifo(FIFO)
NOISE = FUZZ_DIR / "noise.json"
NOISE.write_bytes(bytes(range(256)) * 8)

COMMANDS = (
    "run",
    "plan",
    "compare",
    "breakeven",
    "pareto",
    "sweep",
    "plot",
    "report",
    "networks",
    "fit",
    "scenarios",
)
SPECIAL_PATHS = (
    "/dev/zero",
    "/dev/full",
    "/dev/urandom",
    str(FIFO),
    str(NOISE),
    "",
    ".",
    "/nope/x.csv",
)
HUGE_TEXT = ("9" * 400, "9" * 5000, "-" + "9" * 30, "1e400", "nan", "-0", "1_000", "0x10", "٥")
NESTED = (*tuple(f"{'[' * n}1{']' * n}" for n in (1, 60, 3000)), "{dist=" * 40)
NAMES = (
    "stride:5",
    "stride:k=2",
    "sqrt_n",
    "revolve",
    "optimal:units=3",
    "disk-offload:prefetch=1",
    "mlp:widths=4,,2",
    "resnet18:batch=1",
    "mobilenet_v2",
    "fwd_ns",
    "loaddisk_ns",
    "mode",
)
KEYS = (
    *FIELDS,
    "buffer_slots",
    "buffer_bytes",
    "mode",
    "staging_slots",
    "mem_bytes_per_ns",
    "memory_bytes",
    "bogus",
)
OPTIONS = (
    "--layers",
    "--width",
    "--seed",
    "--set",
    "--network",
    "--strategy",
    "--replications",
    "--trace",
    "--grid",
    "--out",
    "--param",
    "--against",
    "--budgets",
    "--weights",
    "--slots",
    "--plan-timeout",
    "--phase",
    "--rank-by",
)
FLAGS = ("--json", "--no-math", "--quiet", "--force", "--fixed-latencies")

small_number = st.integers(-3, 24).map(str)
token = st.one_of(
    small_number,
    st.sampled_from(HUGE_TEXT),
    st.sampled_from(NESTED),
    st.sampled_from(NAMES),
    st.sampled_from(SPECIAL_PATHS),
    st.text(max_size=12),
    st.text(alphabet="0123456789.,:=-e", max_size=8),
)


@st.composite
def option_values(draw):
    """An option and its value: a KEY=VALUE for --set and --grid, a token otherwise."""
    option = draw(st.sampled_from(OPTIONS))
    if option in ("--set", "--grid"):
        return [option, f"{draw(st.sampled_from(KEYS))}={draw(token)}"]
    if option in ("--trace", "--out"):
        name = draw(st.sampled_from(["o.csv", "o.json", "o.png", "r", "o.parquet"]))
        return [option, draw(st.sampled_from([str(FUZZ_DIR / name), *SPECIAL_PATHS]))]
    return [option, draw(token)]


@st.composite
def command_lines(draw):
    """A command, perhaps a positional path or word, then options and flags in any order."""
    words = [draw(st.sampled_from(COMMANDS))]
    if draw(st.booleans()):
        words.append(draw(st.one_of(st.sampled_from(SPECIAL_PATHS), token)))
    for _ in range(draw(st.integers(0, 4))):
        words += draw(option_values()) if draw(st.booleans()) else [draw(st.sampled_from(FLAGS))]
    return words


@settings(max_examples=150)
@given(command_lines())
def test_any_command_line_is_answered_or_refused_in_one_line(words: list[str]) -> None:
    from click.testing import CliRunner

    from chipsim.cli import main

    result = CliRunner().invoke(main, words, prog_name="chipsim")
    assert result.exit_code in (0, 2, 3), (words, result.output, result.exception)
    assert "Traceback" not in result.output, words
    if result.exit_code != 0:
        assert len(result.stderr.splitlines()) == 1, (words, result.stderr)
