"""Issue 15's bad inputs: one line naming the field and range, strict JSON, no hang."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from chipsim import ChipConfig, ChipsimError, ConfigError, DoesNotFit, make_plan
from chipsim.cli import main
from chipsim.formatting import bytes_text
from chipsim.model.memory import check_math_memory, math_run_bytes
from chipsim.model.networks import build_network, course_chain
from chipsim.outputs.jsonout import dumps
from chipsim.planners import SLOTS_NEEDED, check_slots

BIG = "1" + "0" * 400


def one_line_error(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), prog_name="chipsim")
    assert result.stdout == "" and "Traceback" not in result.output
    assert len(result.stderr.splitlines()) == 1
    return result.exit_code, result.stderr.strip()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "--set", "fwd_ns=1e308", "--json"],
            "--set: chip field fwd_ns must be at most 1e+15 ns (chipsim.limits), got 1e+308",
        ),
        (
            ["run", "--set", f"fwd_ns={BIG}"],
            "--set: chip field fwd_ns must be at most 1e+15 ns (chipsim.limits), "
            "got an integer of about 401 digits",
        ),
        (
            ["run", "--seed", "9223372036854775808"],
            "network seed must be at most 9223372036854775807 (chipsim.limits), "
            "got 9223372036854775808",
        ),
        (
            ["run", "--set", 'loaddisk_ns={dist=["lognormal"], median=50, sigma=0.5}'],
            "--set: chip field loaddisk_ns: dist must be one of lognormal, uniform, "
            "exponential, got ['lognormal']",
        ),
        (
            ["run", "--set", 'loaddisk_ns={dist="uniform", low=[1], high=2}'],
            "--set: chip field loaddisk_ns: low must be a number, got [1]",
        ),
        (
            ["run", "--set", 'loaddisk_ns={dist="uniform", low=1, high=1e300}'],
            "--set: chip field loaddisk_ns: high must be at most 1e+15 (chipsim.limits), "
            "got 1e+300",
        ),
        (
            ["run", "--layers", "99999999999999999999", "--no-math"],
            "network layers must be at most 10000000 (chipsim.limits), "
            "got an integer of about 21 digits",
        ),
        (
            ["run", "--set", f"mem_bytes_per_ns={BIG}"],
            "--set: chip field mem_bytes_per_ns must be a number > 0 (omit it for fixed "
            "latencies), got an integer of about 401 digits",
        ),
        (
            ["run", "--set", f"disk_fault_rate={BIG}"],
            "--set: chip field disk_fault_rate must be a probability, "
            "got an integer of about 401 digits",
        ),
    ],
)
def test_huge_or_malformed_numbers_are_one_line_exit_2(args: list[str], message: str) -> None:
    assert one_line_error(*args) == (2, f"chipsim: error: {message}")


def test_the_largest_valid_values_are_accepted() -> None:
    chip = ChipConfig(fwd_ns=10**15, loaddisk_ns={"dist": "uniform", "low": 0, "high": 1e15})
    assert chip.fwd_ns == 10**15
    result = CliRunner().invoke(main, ["run", "--seed", str(2**63 - 1), "--no-math"])
    assert result.exit_code == 0, result.output


def test_json_output_is_strict() -> None:
    assert dumps({"a": 1.5}) == '{"a": 1.5}'
    with pytest.raises(ChipsimError, match=r"not a finite number \(NaN or infinity\)"):
        dumps({"latency_ns": math.inf})
    with pytest.raises(ChipsimError):
        dumps([math.nan])


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--set", "fwd_ns=1e15", "--no-math", "--json"],
        ["compare", "--no-math", "--json"],
        ["breakeven", "--param", "loaddisk_ns", "--strategy", "disk-offload", "--against",
         "stride:k=5", "--no-math", "--json"],
        ["plan", "--json"],
    ],
)  # fmt: skip
def test_every_json_command_parses_with_a_strict_parser(args: list[str]) -> None:
    def refuse(constant: str) -> None:
        raise AssertionError(f"non-standard JSON constant {constant}")

    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    json.loads(result.stdout, parse_constant=refuse)


# Usage errors and write errors.


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--bogus"], "No such option '--bogus'; see 'chipsim run --help'"),
        (["--bogus"], "No such option '--bogus'; see 'chipsim --help'"),
        (["bogus"], "No such command 'bogus'; see 'chipsim --help'"),
        (
            ["run", "--layers", "x"],
            "Invalid value for '--layers': 'x' is not a valid integer; see 'chipsim run --help'",
        ),
    ],
)
def test_click_usage_errors_are_one_line_exit_2(args: list[str], message: str) -> None:
    assert one_line_error(*args) == (2, f"chipsim: error: {message}")


def test_a_full_disk_is_exit_2_naming_the_file(tmp_path: Path, monkeypatch) -> None:
    import pandas as pd

    def disk_full(self, path, **kwargs):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    out = tmp_path / "trace.csv"
    code, message = one_line_error("run", "--trace", str(out))
    assert (code, message) == (
        2,
        f"chipsim: error: {out}: cannot write: No space left on device",
    )
    assert list(tmp_path.iterdir()) == []


def test_an_error_without_a_file_name_is_named_after_the_target(tmp_path: Path, monkeypatch):
    import pandas as pd

    def fail(self, path, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
    out = tmp_path / "trace.csv"
    assert one_line_error("run", "--trace", str(out)) == (
        2,
        f"chipsim: error: {out}: cannot write: disk full",
    )


# Reports.


def test_a_failed_report_leaves_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "report"
    code, message = one_line_error("report", "--out", str(out), "--strategy", "full-store")
    assert code == 3 and "full-store needs 9 buffer slots" in message
    assert not out.exists()


def test_a_report_on_an_overlapped_jittered_chip_is_not_titled_the_course(tmp_path: Path):
    out = tmp_path / "report"
    args = ["report", "--out", str(out), "--set", "mode=overlapped", "--set", "staging_slots=1"]
    args += ["--set", 'loaddisk_ns={dist="uniform", low=10, high=31}']
    result = CliRunner().invoke(main, [*args, "--strategy", "disk-offload:prefetch=1"])
    assert result.exit_code == 0, result.output
    text = (out / "report.md").read_text()
    assert text.splitlines()[0] == "# chipsim report: course, modified"
    assert "Berkeley" not in text and "with the break-even points" not in text
    assert "break-even points are solved only for a serial chip with fixed latencies" in text
    table = [line for line in text.splitlines() if line.startswith("| disk-offload |")]
    backward = table[0].split(" | ")[4]
    assert len(backward.replace(".", "")) <= 6  # six significant figures at most


# Sizes: memory of a math run and slots from closed forms, before any work.


def test_math_memory_counts_weights_gradients_and_reference() -> None:
    # L·(s² + s) parameters, 2 copies of one layer's (s² + s), 3 of (L + 1)·s activations
    big = course_chain(10, 20000)
    layer = 20000**2 + 20000
    assert math_run_bytes(big) == 8 * (10 * layer + 2 * layer + 3 * 11 * 20000)
    small = build_network("mlp:widths=3,5,2")  # layers of 5·3+5 = 20 and 2·5+2 = 12
    assert math_run_bytes(small) == 8 * ((20 + 12) + 2 * 20 + 3 * 10)
    assert bytes_text(math_run_bytes(big)) == "35.77 GiB"  # 38.4 GB


def test_a_math_run_beyond_memory_is_refused_with_the_estimate() -> None:
    with pytest.raises(ConfigError) as error:
        check_math_memory(course_chain(10, 20000), available=8 * 10**9)
    assert str(error.value) == (
        "a math run of mlp:layers=10,width=20000 needs about 35.77 GiB (float64 weights, a "
        "layer's gradients and activations), more than the 7.451 GiB available; "
        "use --no-math to simulate timing only"
    )
    with pytest.raises(ConfigError, match=r"needs about 852\.7 PiB"):
        check_math_memory(course_chain(10, 10**8))
    small = course_chain(10, 16)
    check_math_memory(small, available=math_run_bytes(small))  # exactly enough


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("full-store", {}),
        ("stride", {"k": 1}),
        ("stride", {"k": 3}),
        ("stride", {"k": 7, "prefetch": 2}),
        ("sqrt-n", {}),
        ("sqrt-n", {"segment": 4}),
        ("disk-offload", {"prefetch": 1}),
    ],
)
def test_slots_needed_matches_the_built_plan(name: str, params: dict[str, int]) -> None:
    chip = ChipConfig(buffer_slots=100, staging_slots=8)
    spec = name + (":" + ",".join(f"{k}={v}" for k, v in params.items()) if params else "")
    for layers in range(1, 41):
        expected = make_plan(spec, layers, chip).buffer_slots_needed
        assert SLOTS_NEEDED[name](layers, **params) == expected, (spec, layers)


def test_a_huge_plan_that_cannot_fit_is_refused_from_its_closed_form() -> None:
    with pytest.raises(DoesNotFit) as error:
        check_slots("full-store", "full-store", 10**7, ChipConfig(), {})
    assert str(error.value) == (
        "full-store needs 9999999 buffer slots; the chip has 2 (try --set buffer_slots=9999999)"
    )
    with pytest.raises(DoesNotFit, match="stride:k=5 needs 2000000 buffer slots"):
        check_slots("stride", "stride:k=5", 10**7, ChipConfig(), {"k": 5})
    check_slots("disk-offload", "disk-offload", 10**7, ChipConfig(), {})  # fits: no slots
    check_slots("optimal", "optimal", 10**7, ChipConfig(), {})  # no closed form: not checked
    assert np.isclose(SLOTS_NEEDED["sqrt-n"](10**7), 2 * math.sqrt(10**7), rtol=0.01)
