"""One-line errors a user review found unhelpful: the ``train`` field, stage-file
limits, a fix the chip field cannot hold, and a batch search capped short of memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from chipsim import ChipConfig, ConfigError, make_plan
from chipsim.cli import main
from chipsim.errors import DoesNotFit
from chipsim.model.networks import build_network
from chipsim.model.stage_file import load_stage_file

FROZEN_FC = (
    "name,output_shape,macs_fwd,params,trainable\ninput,4,,,\nconv1,8,32,40,\nfc,2,16,18,false\n"
)


def _refusal(train: object, network: str = "resnet50") -> str:
    chain = build_network(network) if isinstance(network, str) else network
    with pytest.raises(ConfigError) as caught:
        make_plan("full-store", chain, ChipConfig(memory_bytes=10**12, train=train))
    return str(caught.value)


def test_a_train_naming_only_frozen_stages_says_they_are_not_trainable(tmp_path: Path) -> None:
    path = tmp_path / "good.csv"
    path.write_text(FROZEN_FC)
    assert _refusal("fc", load_stage_file(path)) == (
        f"train=fc trains no stage of {path}: fc is not trainable (trainable = false in its "
        "stage table); trainable stages: conv1"
    )


def test_a_long_stage_list_shows_its_first_and_last_stages() -> None:
    assert _refusal("zzz").endswith(
        "its stages are conv1, maxpool, conv2_1, conv2_2, …, conv5_1, conv5_2, conv5_3, "
        "avgpool+fc (19 stages)"
    )


@pytest.mark.parametrize("train", ["first:3", "conv1,top:2"])
def test_an_unknown_form_is_answered_with_the_forms(train: str) -> None:
    form = train.split(",")[-1]
    assert _refusal(train) == (
        f"train={form}: {form.split(':')[0] + ':'!r} is not a form train takes, nor a stage; "
        'valid: "all", "last:N", "from:STAGE" or stage names ("conv1,fc", or a TOML list)'
    )


def test_a_stage_file_value_past_the_limit_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(f"name,output_shape,macs_fwd,saved_bytes\ninput,4,,\nconv1,8,32,{'1' * 24}\n")
    with pytest.raises(ConfigError) as caught:
        load_stage_file(path)
    assert str(caught.value) == (
        f"stage file {path} line 3: stage 'conv1': saved_bytes must be at most "
        "4611686018427387904 (chipsim.limits), got an integer of about 24 digits"
    )


def test_a_refusal_never_suggests_a_value_past_the_fields_limit() -> None:
    refusal = DoesNotFit("optimal", 2**62 + 93696, 2**62, "memory_bytes")
    assert "try --set" not in str(refusal)
    assert str(refusal).endswith(
        "(no memory_bytes holds it: the field is at most 2**62, chipsim.limits.MAX_TOTAL)"
    )
    assert "(try --set memory_bytes=100)" in str(DoesNotFit("optimal", 100, 99, "memory_bytes"))


def test_a_batch_stopped_by_the_networks_size_is_reported_capped_with_why() -> None:
    args = ["fit", "accelerator-train", "--set", "memory_bytes=4e18", "--strategy", "full-store"]
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)["results"]
    assert (row["max_batch"], row["max_batch_capped"]) == (375925508, True)
    assert row["reason"].startswith(
        "capped at 375925508, not by the memory: batch 375925509 cannot be built (network "
        "resnet50: its MACs add up to 4611686018494758912, more than 4611686018427387904"
    )
