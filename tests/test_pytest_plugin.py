"""The pytest plugin and chipsim.testing, run inside pytest's own pytester."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from chipsim import ChipConfig, Scenario
from chipsim.study.presets import find_scenario
from chipsim.testing import assert_energy, assert_fits, assert_latency, assert_ops

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "test_chip_timing.py"


def test_the_readme_example_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_example=EXAMPLE.read_text())
    result = pytester.runpytest()
    result.assert_outcomes(passed=5)


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("chipsim") == "chipsim.pytest_plugin"


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, chipsim.pytest_plugin; "
        "print(sorted(m for m in ('pandas', 'numpy', 'simpy', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_latency_failure_explains_itself(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from chipsim.testing import assert_latency

        def test_it(chip_sim):
            result = chip_sim(strategy="stride:k=5")
            assert_latency(result, 260)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            ">       assert_latency(result, 260)",
            "E       AssertionError: stride:k=5 backward latency is 500 ns, expected 260 ns "
            "(+240 ns, +92.3%; tolerance 0 ns). Time by op kind (count × latency): "
            "fwd 20 × 20 ns = 400 ns, loadmem 10 × 10 ns = 100 ns. Longest ops (backward): "
            "fwd 6 (backward) 20 ns, from 220 ns to 240 ns; *",
        ]
    )
    assert "testing.py" not in result.stdout.str()  # __tracebackhide__: the user's line


def test_an_op_count_failure_names_each_kind_and_its_cost(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from chipsim.testing import assert_ops

        def test_it(chip_sim):
            assert_ops(chip_sim(strategy="stride:k=5"), fwd=8, loadmem=10, free=3)
        """
    )
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: stride:k=5 backward op counts differ from those expected: "
            "fwd expected 8, got 20 (+12 × 20 ns = +240 ns); free expected 3, got 2 "
            "(-1 × 0 ns = +0 ns). Latency effect of these differences: +240 ns. Longest ops*",
        ]
    )


def test_a_fit_failure_shows_the_peak(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from chipsim.testing import assert_fits

        def test_it(chip_sim):
            assert_fits(chip_sim(strategy="sqrt-n", buffer_slots=8), slots=2)
        """
    )
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: sqrt-n uses 3 buffer slots at its peak, more than 2 "
            "(1 too many); the peak is first reached after backward op `storemem 6` "
            "at 300 ns, holding a4, a5, a6",
        ]
    )


def test_op_count_equality_gets_a_per_op_diff(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_it(chip_sim):
            result = chip_sim(strategy="stride:k=5")
            assert result.backward.ops == {"fwd": 8, "loadmem": 10}
        """
    )
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: assert OpCounts(fwd=20, bwd=10, loadmem=10, free=2) == "
            "{'fwd': 8, 'loadmem': 10}",
            "E         op counts differ (a kind left out counts as 0):",
            "E           fwd: 20 != 8 (+12)",
            "E           bwd: 10 != 0 (+10)",
            "E           free: 2 != 0 (+2)",
        ]
    )


def test_a_typo_in_a_chip_field_is_an_immediate_clear_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_it(chip_sim):
            chip_sim(loadmen_ns=11)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*chip_sim: unknown chip field 'loadmen_ns'; valid fields are fwd_ns, bwd_ns, *"]
    )
    assert "Traceback" not in result.stdout.str()


def test_the_fixture_takes_scenarios_overrides_and_fields(chip_sim, tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("[network]\nlayers = 20\nseed = 4\n[chip]\nbuffer_slots = 4\n")
    result = chip_sim(path, width=3)
    assert (result.layers, result.width, result.seed) == (20, 3, 4)
    assert_ops(result, fwd=40, loadmem=20)
    from_object = chip_sim(Scenario(), strategy="disk-offload", loaddisk_ns=7)
    assert_latency(from_object, 70)


def test_course_chip_fixture(course_chip) -> None:
    assert course_chip == ChipConfig()


@pytest.mark.parametrize(
    ("tolerance", "passes"),
    [
        ({}, False),
        ({"rel": 0.05}, False),  # 500 vs 460 is 40 ns off; 5% of 460 is 23 ns
        ({"rel": 0.1}, True),  # 46 ns
        ({"abs": 39}, False),
        ({"abs": 40}, True),
        ({"rel": 0.05, "abs": 40}, True),  # the larger tolerance wins
    ],
)
def test_tolerances_follow_pytest_approx(chip_sim, tolerance: dict, passes: bool) -> None:
    result = chip_sim()
    if passes:
        assert_latency(result, 460, **tolerance)
    else:
        with pytest.raises(AssertionError, match="backward latency is 500 ns, expected 460 ns"):
            assert_latency(result, 460, **tolerance)


def test_helpers_refuse_unknown_kinds_and_phases(chip_sim) -> None:
    result = chip_sim()
    with pytest.raises(TypeError, match="unknown op kind 'fwdd'; valid kinds: fwd, bwd"):
        assert_ops(result, fwdd=20)
    with pytest.raises(ValueError, match="unknown phase 'back'; valid: forward, backward, total"):
        assert_latency(result, 500, phase="back")
    assert_latency(result, 710, phase="total")
    assert_ops(result, phase="total", fwd=30, loadmem=11)


def test_assert_fits_in_bytes_says_what_the_buffer_holds(chip_sim) -> None:
    # a preset by name, on the 80 KiB buffer it had before it had one memory
    result = chip_sim("mcu-train", strategy="optimal", buffer_bytes=81920)
    assert_fits(result, bytes=78208)
    with pytest.raises(AssertionError) as failure:
        assert_fits(result, bytes=65536)
    message = str(failure.value)
    assert "\n" not in message  # one paragraph
    assert message.startswith(
        "optimal holds 76.38 KiB [78208 B] at its peak, more than 64 KiB [65536 B] "
        "(12.38 KiB [12672 B] too many); the peak is first reached after forward op "
        "`storemem 18` at 43.43 ms [43431492.5925926 ns], holding a2 (32 KiB), a3 (8192 B),"
    )
    with pytest.raises(TypeError, match="needs slots=N, bytes=B or memory=M"):
        assert_fits(result)


def test_assert_fits_in_one_memory_says_where_the_peak_is_and_what_it_holds(chip_sim) -> None:
    # mlp 8-16-4 full-store in float32 peaks at 1888 B in bwd 1 (tests/test_fit.py derives it)
    chip = {"memory_bytes": 4096, "compute_macs_per_ns": 1}
    scenario = Scenario(network="mlp:widths=8,16,4")
    result = chip_sim(scenario, strategy="full-store", **chip)
    assert_fits(result, memory=1888)
    with pytest.raises(AssertionError) as failure:
        assert_fits(result, memory=1024)
    assert str(failure.value) == (
        "full-store holds 1888 B [1888 B] of memory at `bwd 1` (op 4 of the backward phase), "
        "over the 1024 B [1024 B] asserted: recorded 64 B, activations 32 B, gradients 96 B, "
        "weights 848 B, weight gradients 848 B."
    )


def test_a_float_latency_reads_in_ms_with_the_exact_ns_in_brackets(chip_sim) -> None:
    result = chip_sim("mcu-train", strategy="sqrt-n", buffer_bytes=81920)
    with pytest.raises(AssertionError) as failure:
        assert_latency(result, 1.5e8)
    actual = result.backward.latency_ns
    assert str(failure.value).startswith(
        f"sqrt-n backward latency is 180.8 ms [{actual!r} ns], expected 150 ms "
        "[150000000 ns] (+30.84 ms, +20.6%; tolerance 0 ns)."
    )


def test_assert_energy_checks_a_phase_or_the_whole_run(chip_sim) -> None:
    result = chip_sim("mkr1000", strategy="stride:k=5")
    total = result.energy_nj
    assert_energy(result, total)
    assert_energy(result, result.trace.energy_of("backward"), phase="backward")
    assert_energy(result, 2.3e9, rel=0.02)
    with pytest.raises(AssertionError) as failure:
        assert_energy(result, 2e9)
    assert str(failure.value) == (
        "stride:k=5 total energy is 2.336 J [2335703040 nJ], expected 2 J [2000000000 nJ] "
        "(+335.7 mJ, +16.8%; tolerance 0 nJ). Energy by op kind: fwd 1.09 J, bwd 1.246 J."
    )
    with pytest.raises(ValueError, match="declares no energy"):
        assert_energy(chip_sim(), 1.0)


def test_assert_fits_in_bytes_on_one_memory_points_to_memory(chip_sim) -> None:
    # mcu-train's classifier training peaks at 232,330 B of its one memory, its checkpoints
    # far less: bytes= (checkpoints) would pass 100,000 B, so it is refused for memory=
    network = "mobilenetv2:width_mult=0.35,resolution=112,dtype_bytes=1,classes=10,saves=deployed"
    scenario = find_scenario("mcu-train").with_overrides(network=network)
    result = chip_sim(scenario, strategy="optimal", train="last:1")
    assert result.peak_buffer_bytes <= 100_000 < result.to_dict()["memory"]["peak_bytes"]
    with pytest.raises(ValueError) as refused:
        assert_fits(result, bytes=100_000)
    assert str(refused.value) == (
        "assert_fits(bytes=...) checks the checkpoints alone, but optimal ran on a chip with "
        "one memory (memory_bytes): use memory=100000 for its peak (weights, gradients and "
        "the op in flight included)"
    )
    with pytest.raises(AssertionError) as failure:
        assert_fits(result, memory=100_000)
    assert str(failure.value).startswith("optimal holds 226.9 KiB [232330 B] of memory at `")
