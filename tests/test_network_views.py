"""``resnet18:stem=cifar`` and ``chipsim networks show`` in human units, one spec or two."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from chipsim.cli import main
from chipsim.model.networks import build_network


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_the_cifar_stem_is_one_3x3_stride_1_conv_and_no_max_pool() -> None:
    chain = build_network("resnet18:stem=cifar")
    assert [stage.name for stage in chain.stages][:2] == ["conv1", "conv2_1"]
    assert chain.input_shape == (1, 3, 32, 32)
    assert chain.stages[0].output_shape == (1, 64, 32, 32)  # stride 1: no downsampling
    assert chain.stages[0].macs_fwd == 3 * 3 * 3 * 64 * 32 * 32
    assert chain.stages[-1].output_shape == (1, 10)  # CIFAR-10's classes by default
    # kuangliu/pytorch-cifar's ResNet18: 11,173,962 parameters, 0.56 GMACs
    assert (chain.params, int(chain.macs_fwd.sum())) == (11_173_962, 555_422_720)
    imagenet = build_network("resnet18")
    assert imagenet.layers == chain.layers + 1 and imagenet.stages[1].name == "maxpool"


def test_resnet50_takes_the_cifar_stem_too() -> None:
    chain = build_network("resnet50:stem=cifar,classes=100")
    assert chain.layers == 18 and chain.stages[-2].output_shape == (1, 2048, 4, 4)
    assert build_network("resnet50").layers == 19


def test_an_unknown_stem_is_refused_in_one_line() -> None:
    result = invoke("networks", "show", "resnet18:stem=tiny")
    assert result.exit_code == 2
    assert result.output == (
        "chipsim: error: network resnet18: stem must be one of imagenet, cifar, got 'tiny'\n"
    )


def test_networks_show_prints_human_units_one_per_column() -> None:
    result = invoke("networks", "show", "resnet18:stem=cifar")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = "output_shape elements_K size_KiB macs_fwd_M macs_bwd_M params_M saved_MiB".split()
    assert lines[1].split()[:7] == header
    assert lines[3].split()[:5] == ["conv1", "1x64x32x32", "65.54", "256", "1.769"]
    assert lines[3].split()[6] == "0.001856"  # 1,856 parameters, in the column's millions
    assert lines[-1].startswith("totals: stages 10, input 1x3x32x32, macs_fwd 555.4 M, ")


def test_networks_show_compares_two_specs_side_by_side() -> None:
    result = invoke("networks", "show", "resnet18", "resnet18:stem=cifar")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()}
    assert rows["resnet18"] == ["resnet18:stem=cifar"]  # the header names both
    assert rows["stages"] == ["11", "10"]
    assert rows["macs_fwd"] == ["1.814", "G", "555.4", "M"]
    assert rows["largest_activation"] == ["3.062", "MiB", "256", "KiB"]
    data = json.loads(invoke("networks", "show", "resnet18", "mlp:widths=8,4", "--json").output)
    assert [network["network"] for network in data] == ["resnet18", "mlp:widths=8,4"]


@pytest.mark.parametrize("count", [3, 4])
def test_networks_show_takes_at_most_two_specs(count: int) -> None:
    result = invoke("networks", "show", *["resnet18"] * count)
    assert result.exit_code == 2
    assert f"one spec or two to compare, got {count}" in result.output
