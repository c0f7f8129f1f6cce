"""Stage files: CSV and TOML stage tables round-trip, and bad ones get one exact line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from chipsim.errors import ConfigError
from chipsim.model.stage_file import load_stage_file
from chipsim.model.stages import MEMORY_FIELDS, Chain
from chipsim.model.zoo import gpt2, resnet18

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HEADER = "name,output_shape,macs_fwd,macs_bwd,params"


def _timing_only(chain: Chain) -> Chain:
    """The zoo's chain without its memory fields, which these files do not write."""
    zero = dict.fromkeys(MEMORY_FIELDS, 0)
    stages = [dataclasses.replace(stage, **zero) for stage in chain.stages]
    return Chain(chain.name, chain.input_shape, stages, dtype_bytes=chain.dtype_bytes)


def _csv(chain) -> str:
    lines = [HEADER, "input," + "x".join(map(str, chain.input_shape)) + ",,,"]
    for s in chain.stages:
        shape = "x".join(map(str, s.output_shape))
        lines.append(f"{s.name},{shape},{s.macs_fwd},{s.macs_bwd},{s.params}")
    return "\n".join(lines) + "\n"


def _toml(chain) -> str:
    lines = [f"input_shape = {list(chain.input_shape)}"]
    for s in chain.stages:
        lines += ["", "[[stage]]", f'name = "{s.name}"', f"output_shape = {list(s.output_shape)}"]
        lines += [f"macs_fwd = {s.macs_fwd}", f"macs_bwd = {s.macs_bwd}", f"params = {s.params}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("suffix", "write"), [(".csv", _csv), (".toml", _toml)])
@pytest.mark.parametrize(
    "chain",
    [_timing_only(resnet18(batch=2)), _timing_only(gpt2(blocks=2, seq=32))],
    ids=["resnet", "gpt"],
)
def test_round_trip_keeps_every_field(tmp_path, suffix, write, chain):
    path = tmp_path / f"profile{suffix}"
    path.write_text(write(chain))
    loaded = load_stage_file(path, dtype_bytes=2)
    assert loaded.name == str(path)
    assert loaded.input_shape == chain.input_shape
    assert loaded.stages == chain.stages  # name, output_shape, macs_fwd, macs_bwd, params
    assert loaded.dtype_bytes == 2
    assert list(loaded.activation_bytes) == [2 * e for e in chain.activation_elements]
    assert not loaded.has_math


def test_csv_optional_columns_default(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "name , output_shape,macs_fwd\n\ninput, 3X8X8 ,\n conv , 4x8x8 , 100\nfc,10,7\n"
    )
    chain = load_stage_file(path)
    assert chain.input_shape == (3, 8, 8)
    assert [(s.name, s.output_shape, s.macs_fwd, s.macs_bwd, s.params) for s in chain.stages] == [
        ("conv", (4, 8, 8), 100, 200, 0),  # macs_bwd = 2 × macs_fwd (gradients), params = 0
        ("fc", (10,), 7, 14, 0),
    ]
    assert chain.dtype_bytes == 4


def test_toml_accepts_shape_text_and_defaults(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(
        'input_shape = "1x3x32x32"\n[[stage]]\nname = "a"\noutput_shape = "1x16x16x16"\n'
        'macs_fwd = 5\n[[stage]]\nname = "b"\noutput_shape = [1, 10]\nmacs_fwd = 0\nparams = 9\n'
    )
    chain = load_stage_file(path)
    assert chain.input_shape == (1, 3, 32, 32)
    assert [(s.output_shape, s.macs_bwd, s.params) for s in chain.stages] == [
        ((1, 16, 16, 16), 10, 0),
        ((1, 10), 0, 9),
    ]


@pytest.mark.parametrize("name", ["stages.csv", "stages.toml"])
def test_the_examples_load(name):
    chain = load_stage_file(EXAMPLES / name)
    assert chain.input_shape == (1, 3, 32, 32)
    assert [s.name for s in chain.stages] == ["conv1", "pool1", "conv2", "pool2", "fc"]
    # conv1: 16·32·32 outputs × 3·3·3 weights; conv2: 32·16·16 × 3·3·16; fc 32·8·8 → 10.
    assert [s.macs_fwd for s in chain.stages] == [442_368, 0, 1_179_648, 0, 20_480]
    assert [s.params for s in chain.stages] == [448, 0, 4_640, 0, 20_490]
    assert [s.macs_bwd for s in chain.stages] == [2 * 442_368, 0, 2 * 1_179_648, 0, 40_960]
    assert (
        chain.totals()["activation_elements"]
        == 16 * 32 * 32 + 16 * 16 * 16 + 32 * 16 * 16 + 32 * 8 * 8 + 10
    )


CSV_ERRORS = [
    (
        "name,output_shape,macs_bwd\ninput,3\nx,4,1\n",
        "line 1: the header lacks column 'macs_fwd'; required: name, output_shape, macs_fwd "
        "(optional: macs_bwd, params, saved_bytes, fwd_workspace_bytes, bwd_workspace_bytes, "
        "fwd_ns, bwd_ns, trainable)",
    ),
    (
        f"{HEADER},time_ns\ninput,3,,,,\n",
        "line 1: unknown column 'time_ns'; valid columns: name, output_shape, macs_fwd, "
        "macs_bwd, params, saved_bytes, fwd_workspace_bytes, bwd_workspace_bytes, fwd_ns, "
        "bwd_ns, trainable",
    ),
    ("name,name,output_shape,macs_fwd\n", "line 1: column 'name' appears twice"),
    (
        f"{HEADER}\ninput,3,,,\nconv,4,-5,,\n",
        "line 3, column macs_fwd: must be a whole number >= 0, got '-5'",
    ),
    (
        f"{HEADER}\ninput,3,,,\nconv,4,1.5,,\n",
        "line 3, column macs_fwd: must be a whole number >= 0, got '1.5'",
    ),
    (
        f"{HEADER}\ninput,3,,,\nconv,4,1,-2,\n",
        "line 3, column macs_bwd: must be a whole number >= 0, got '-2'",
    ),
    (
        f"{HEADER}\ninput,3,,,\n\nconv,4,1,,ten\n",
        "line 4, column params: must be a whole number >= 0, got 'ten'",
    ),
    (
        f"{HEADER}\ninput,3,,,\nconv,4,,,\n",
        "line 3, column macs_fwd: missing or empty; required: name, output_shape, macs_fwd",
    ),
    (
        f"{HEADER}\ninput,3,,,\n,4,1,,\n",
        "line 3, column name: missing or empty; required: name, output_shape, macs_fwd",
    ),
    (
        f"{HEADER}\ninput,3,,,\nconv,4x0,1,,\n",
        "line 3, column output_shape: must be sizes >= 1 as in 64x56x56 "
        "(or a TOML array [64, 56, 56]), got '4x0'",
    ),
    (
        f"{HEADER}\ninput,3,,,\nconv,4,1,,,9\n",
        "line 3: has 6 fields; the header has 5",
    ),
    (
        f"{HEADER}\nconv,3,1,,\n",
        "line 2, column name: the first row must be the input a0 (name 'input'), got 'conv'",
    ),
    (
        f"{HEADER}\ninput,3,5,,\nconv,4,1,,\n",
        "line 2, column macs_fwd: the input row has no work, so it must be empty or 0, got '5'",
    ),
    (
        f"{HEADER}\ninput,,,,\nconv,4,1,,\n",
        "line 2, column output_shape: must be sizes >= 1 as in 64x56x56 "
        "(or a TOML array [64, 56, 56]), got None",
    ),
    (f"{HEADER}\ninput,3,,,\n", "has no stages; add a row per stage after the input row"),
    (f"{HEADER}\n", "has no rows; its first row is the input, as in input,3x224x224"),
    (
        "",
        "is empty; its first line is the header: name,output_shape,macs_fwd,macs_bwd,params,"
        "saved_bytes,fwd_workspace_bytes,bwd_workspace_bytes,fwd_ns,bwd_ns,trainable",
    ),
    (
        f'{HEADER}\ninput,3,,,\n"conv,4,1,,\n',
        "line 3 is not valid CSV: unexpected end of data",
    ),
]


@pytest.mark.parametrize(("text", "message"), CSV_ERRORS)
def test_csv_errors_are_one_exact_line(tmp_path, text, message):
    path = tmp_path / "p.csv"
    path.write_text(text)
    _assert_error(path, f"stage file {path} {message}")


STAGE = '[[stage]]\nname = "a"\noutput_shape = [4]\n'
TOML_ERRORS = [
    ("input_shape = [3\n", " is not valid TOML: Unclosed array (at end of document)"),
    (
        STAGE + "macs_fwd = 1\n",
        ": input_shape is missing; give a0's shape, as in input_shape = [3, 224, 224]",
    ),
    ("input_shape = [3]\n", " has no stages; add a [[stage]] table per stage"),
    (
        "input_shape = [3]\n" + STAGE + "macs_fwd = -1\n",
        " [[stage]] 1, column macs_fwd: must be a whole number >= 0, got -1",
    ),
    (
        "input_shape = [3]\n" + STAGE + "macs_fwd = 1.0\n",
        " [[stage]] 1, column macs_fwd: must be a whole number >= 0, got 1.0",
    ),
    (
        "input_shape = [3]\n" + STAGE + "macs_fwd = 1\n" + STAGE + "macs_fwd = 1\nparams = true\n",
        " [[stage]] 2, column params: must be a whole number >= 0, got True",
    ),
    (
        "input_shape = [3]\n" + STAGE,
        " [[stage]] 1, column macs_fwd: missing or empty; required: name, output_shape, macs_fwd",
    ),
    (
        "input_shape = [3]\n" + STAGE + "macs_fwd = 1\ntime_ns = 3\n",
        " [[stage]] 1: unknown column 'time_ns'; valid columns: name, output_shape, macs_fwd, "
        "macs_bwd, params, saved_bytes, fwd_workspace_bytes, bwd_workspace_bytes, fwd_ns, "
        "bwd_ns, trainable",
    ),
    (
        "input_shape = [3]\n[[stage]]\nname = 5\noutput_shape = [4]\nmacs_fwd = 1\n",
        " [[stage]] 1, column name: must be non-empty text, got 5",
    ),
    (
        'input_shape = [3]\n[[stage]]\nname = "a"\noutput_shape = []\nmacs_fwd = 1\n',
        " [[stage]] 1, column output_shape: must be sizes >= 1 as in 64x56x56 "
        "(or a TOML array [64, 56, 56]), got []",
    ),
    (
        "input_shape = [0]\n" + STAGE + "macs_fwd = 1\n",
        ", column input_shape: must be sizes >= 1 as in 64x56x56 "
        "(or a TOML array [64, 56, 56]), got [0]",
    ),
    ("input_shape = [3]\nstage = 3\n", ": stage must be an array of tables ([[stage]]), got 3"),
    ("input_shape = [3]\nbatch = 3\n", ": unknown key 'batch'; valid keys: input_shape, stage"),
]


@pytest.mark.parametrize(("text", "message"), TOML_ERRORS)
def test_toml_errors_are_one_exact_line(tmp_path, text, message):
    path = tmp_path / "p.toml"
    path.write_text(text)
    _assert_error(path, f"stage file {path}{message}")


def test_unreadable_and_unknown_files(tmp_path):
    missing = tmp_path / "nope.csv"
    _assert_error(
        missing,
        f"stage file {missing} cannot be read (No such file or directory); give a CSV or TOML file",
    )
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    _assert_error(
        binary, f"stage file {binary} cannot be read (not UTF-8 text); give a CSV or TOML file"
    )
    text = tmp_path / "p.txt"
    text.write_text(HEADER)
    _assert_error(text, f"stage file {text}: unknown format '.txt'; valid: .csv or .toml")


def _assert_error(path, expected):
    with pytest.raises(ConfigError) as caught:
        load_stage_file(path)
    assert str(caught.value) == expected
