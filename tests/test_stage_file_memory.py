"""Stage files carry what a stage keeps (issue 20): memory columns, measured times,
``trainable``, and shapes as PyTorch prints them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chipsim import ChipConfig, ConfigError, make_plan
from chipsim.model.stage_file import load_stage_file

HEADER = "name,output_shape,macs_fwd,saved_bytes,fwd_workspace_bytes,bwd_workspace_bytes,"
HEADER += "fwd_ns,bwd_ns,trainable\n"
ROWS = (
    'input,"(1, 3, 8, 8)",,,,,,,\n'
    'conv,"(1, 16, 8, 8)",1000,4096,1024,2048,7.5,15,false\n'
    'fc,"torch.Size([1, 10])",10240,40,,,,,yes\n'
)


def write(tmp_path: Path, text: str, suffix: str = ".csv") -> Path:
    path = tmp_path / f"net{suffix}"
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_memory_columns_times_and_pytorch_shapes(tmp_path: Path) -> None:
    chain = load_stage_file(write(tmp_path, HEADER + ROWS))
    conv, fc = chain.stages
    assert chain.input_shape == (1, 3, 8, 8)
    assert (conv.output_shape, fc.output_shape) == ((1, 16, 8, 8), (1, 10))
    assert (conv.saved_bytes, conv.fwd_workspace_bytes, conv.bwd_workspace_bytes) == (
        4096, 1024, 2048
    )  # fmt: skip
    assert (conv.fwd_ns, conv.bwd_ns, conv.trainable) == (7.5, 15, False)
    assert (fc.saved_bytes, fc.fwd_ns, fc.trainable) == (40, None, True)


def test_toml_takes_the_same_columns(tmp_path: Path) -> None:
    text = (
        'input_shape = "(1, 3, 8, 8)"\n[[stage]]\nname = "conv"\noutput_shape = [1, 16, 8, 8]\n'
        "macs_fwd = 1000\nsaved_bytes = 4096\nfwd_ns = 7\ntrainable = false\n"
    )
    (conv,) = load_stage_file(write(tmp_path, text, ".toml")).stages
    assert (conv.saved_bytes, conv.fwd_ns, conv.trainable) == (4096, 7, False)


def test_a_frozen_first_stage_needs_no_backward(tmp_path: Path) -> None:
    chain = load_stage_file(write(tmp_path, HEADER + ROWS))
    plan = make_plan("full-store", chain, ChipConfig(memory_bytes=10**6, compute_macs_per_ns=1))
    assert [op.layer for op in plan.backward if op.kind == "bwd"] == [2]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('conv,"(1, 16, 8, 8)",1000,-1,,,,,', "line 3, column saved_bytes: must be a whole number"),
        ('conv,"(1, 16, 8, 8)",1000,,,,fast,,', "line 3, column fwd_ns: must be a number of ns"),
        ('conv,"(1, 16, 8, 8)",1000,,,,inf,,', "line 3, column fwd_ns: must be a number of ns"),
        ('conv,"(1, 16, 8, 8)",1000,,,,,,maybe', "line 3, column trainable: must be true or false"),
        ('conv,"(1, 0, 8)",1000,,,,,,', "line 3, column output_shape: must be sizes >= 1"),
    ],
)
def test_bad_values_name_the_line_and_column(tmp_path: Path, row: str, message: str) -> None:
    text = HEADER + 'input,"(1, 3, 8, 8)",,,,,,,\n' + row + "\n"
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_stage_file(write(tmp_path, text))
