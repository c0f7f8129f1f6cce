"""Break-even on real networks, and click's choice errors in one line."""

from __future__ import annotations

from fractions import Fraction

from click.testing import CliRunner

from chipsim import breakeven
from chipsim.cli import main
from chipsim.study.scenario import Scenario


def test_breakeven_solves_exactly_on_a_network_whose_sizes_differ() -> None:
    # resnet18 has 11 stages. stride:k=5 recomputes 4+3+2+1+0 per full segment (two of them)
    # and 0 for the last one-layer segment: 20 fwd, and loads once per layer: 11 loadmem,
    # 20·20 + 11·10 = 510 ns. disk-offload loads each layer's input from disk: 11·d.
    scenario = Scenario(network="resnet18").with_overrides(chip={"buffer_bytes": 2_000_000})
    point = breakeven(scenario, "loaddisk_ns", "disk-offload", "stride:k=5", math=False)
    assert point.value == Fraction(510, 11)
    # confirmed by simulating both at the float nearest 510/11, so within rounding of 510
    assert abs(point.latency_ns - 510) < 1e-9


def test_a_missing_choice_option_is_one_line() -> None:
    result = CliRunner().invoke(main, ["breakeven"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "Choose from: fwd_ns, bwd_ns, loadmem_ns" in result.output
