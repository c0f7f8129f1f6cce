"""Networks too large to count are refused at once, in one line, before any work."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from chipsim.cli import main
from chipsim.limits import MAX_TOTAL


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        # batch 10¹³ once printed negative activation sizes (int64 wrapped around)
        ("resnet18:batch=10000000000000", "batch must be at most 1000000000 (chipsim.limits)"),
        ("resnet18:batch=99999999999999999999", "got an integer of about 21 digits"),
        # a width multiplier of 10⁹ multiplies every conv's MACs by about 10¹⁸
        ("mobilenetv2:width_mult=1e9", f"its MACs add up to an integer of about 28 digits, "
         f"more than {MAX_TOTAL}"),
        # 10⁸ blocks used to hang while the stage table was built
        ("gpt2:blocks=100000000", "blocks must be at most 9999998 (chipsim.limits)"),
    ],
)  # fmt: skip
def test_huge_network_specs_are_refused_in_one_line(spec: str, message: str) -> None:
    result = CliRunner().invoke(main, ["networks", "show", spec])
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.count("\n") == 1


def test_a_stage_table_whose_sizes_overflow_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("name,output_shape,macs_fwd\ninput,3x32x32,0\nconv,9999999999x9999999999,5\n")
    result = CliRunner().invoke(main, ["networks", "show", str(path)])
    assert result.exit_code == 2
    assert "its activation bytes add up to" in result.output
