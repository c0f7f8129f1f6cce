"""Stage files: a stage table a user measured elsewhere, as CSV or TOML.

Columns (docs/networks.md has a worked example):

- ``name``: the stage's name (text, not empty);
- ``output_shape``: a(l)'s shape, as ``64x56x56`` (CSV or TOML text) or a
  TOML array ``[64, 56, 56]``; include the batch if the profile has one;
- ``macs_fwd``: forward multiply-adds, a whole number >= 0;
- ``macs_bwd`` (optional): the gradient work alone, default 2 × macs_fwd
  (``stages.BACKWARD_MACS_PER_FORWARD``: weight and input gradients; a ``bwd``
  that did not record recomputes the stage first and pays ``macs_fwd`` too);
- ``params`` (optional): parameter count, default 0;
- ``saved_bytes``, ``fwd_workspace_bytes``, ``bwd_workspace_bytes`` (optional,
  bytes, default 0): what a recording forward keeps for the backward besides
  a(l-1), and the temporaries' peak while the forward or backward runs
  (docs/networks.md, "What a stage keeps");
- ``fwd_ns``, ``bwd_ns`` (optional, ns): a profile's measured times, used
  instead of the price of the stage's MACs (a number >= 0, or empty);
- ``trainable`` (optional): ``false`` (or ``0``, ``no``) freezes the stage's
  weights; default true.

Shapes may also be written as PyTorch prints them: ``(1, 16, 32, 32)`` or
``torch.Size([1, 16, 32, 32])``.

a0, the input, is the CSV's first row, named ``input`` (only its
output_shape is read; the other columns stay empty or 0), or the TOML's
top-level ``input_shape``; the stages are then the CSV's following rows or
the TOML's ``[[stage]]`` tables, in order. Errors name the file, the CSV
line (the header is line 1) or the TOML ``[[stage]]`` number (from 1), the
column and what is valid: one line, never a traceback.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..files import loads_toml, read_input
from ..limits import MAX_DIGITS, MAX_STAGES, shown, text_shown
from .stages import BACKWARD_MACS_PER_FORWARD, MEASURED_FIELDS, MEMORY_FIELDS, Chain, Stage

#: Every column a stage file may have, and those it must have.
COUNT_COLUMNS = ("macs_bwd", "params", *MEMORY_FIELDS)
COLUMNS = (
    "name", "output_shape", "macs_fwd", *COUNT_COLUMNS, *MEASURED_FIELDS, "trainable",
)  # fmt: skip
REQUIRED = ("name", "output_shape", "macs_fwd")
INPUT_NAME = "input"

Row = tuple[str, dict[str, Any]]  # (where, column → value), where = "line 3" or "[[stage]] 2"


def load_stage_file(path: str | PathLike[str], *, dtype_bytes: int = 4) -> Chain:
    """The Chain a CSV or TOML stage file describes (timing only: no numpy math)."""
    file = Path(path)
    label = f"stage file {file}"
    suffix = file.suffix.lower()
    if suffix not in (".csv", ".toml"):
        raise ConfigError(f"{label}: unknown format {file.suffix!r}; valid: .csv or .toml")
    text = _read(file, label)
    parse = _parse_csv if suffix == ".csv" else _parse_toml
    input_shape, rows = parse(text, label)
    stages = [_stage(f"{label} {where}", values) for where, values in rows]
    if not stages:
        raise ConfigError(f"{label} has no stages; add {_stage_unit(suffix)}")
    return Chain(str(file), input_shape, stages, dtype_bytes=dtype_bytes)


def _read(file: Path, label: str) -> str:
    """The file's text: a regular file of at most ``MAX_INPUT_BYTES`` (``files.read_input``)."""
    try:
        return read_input(file, "stage file")
    except ConfigError as error:
        raise ConfigError(f"{error}; give a CSV or TOML file") from None


def _check_count(label: str, count: int, unit: str) -> None:
    """Refuse a table of more than ``MAX_STAGES`` stages, as soon as the count passes it."""
    if count > MAX_STAGES:
        raise ConfigError(
            f"{label} has more than {MAX_STAGES} stages (chipsim.limits.MAX_STAGES); "
            f"give at most that many {unit}"
        )


def _stage_unit(suffix: str) -> str:
    """How a stage is written in a file of this format, for the 'no stages' message."""
    return {".csv": "a row per stage after the input row", ".toml": "a [[stage]] table per stage"}[
        suffix
    ]


# --- CSV ---------------------------------------------------------------------------------


def _parse_csv(text: str, label: str) -> tuple[tuple[int, ...], list[Row]]:
    """a0's shape (the ``input`` row) and the stage rows, each with its line number."""
    records = _csv_records(text, label)
    _, header = next(records, (1, []))
    if not header:
        raise ConfigError(f"{label} is empty; its first line is the header: {','.join(COLUMNS)}")
    _check_header(header, label)
    rows = []
    for line, fields in records:  # streamed: the count is checked before rows pile up
        _check_count(label, len(rows), "rows after the input row")
        rows.append((f"line {line}", _csv_values(header, fields, f"{label} line {line}")))
    if not rows:
        raise ConfigError(f"{label} has no rows; its first row is the input, as in input,3x224x224")
    where, first = rows[0]
    if first.get("name", "") != INPUT_NAME:
        raise ConfigError(
            f"{label} {where}, column name: the first row must be the input a0 "
            f"(name {INPUT_NAME!r}), got {first.get('name', '')!r}"
        )
    return _input_row(f"{label} {where}", first), rows[1:]


def _csv_records(text: str, label: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, stripped fields) of every non-blank CSV record."""
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        for fields in reader:
            if any(field.strip() for field in fields):
                yield reader.line_num, [field.strip() for field in fields]
    except csv.Error as error:
        raise ConfigError(f"{label} line {reader.line_num} is not valid CSV: {error}") from None


def _check_header(header: list[str], label: str) -> None:
    valid = ", ".join(COLUMNS)
    for column in header:
        if column not in COLUMNS:
            raise ConfigError(f"{label} line 1: unknown column {column!r}; valid columns: {valid}")
        if header.count(column) > 1:
            raise ConfigError(f"{label} line 1: column {column!r} appears twice")
    for column in REQUIRED:
        if column not in header:
            raise ConfigError(
                f"{label} line 1: the header lacks column {column!r}; "
                f"required: {', '.join(REQUIRED)} (optional: {', '.join(COLUMNS[3:])})"
            )


def _csv_values(header: list[str], fields: list[str], where: str) -> dict[str, str]:
    """The row's non-empty fields by column (empty ones are absent, so defaults apply)."""
    if len(fields) > len(header):
        raise ConfigError(f"{where}: has {len(fields)} fields; the header has {len(header)}")
    return {column: field for column, field in zip(header, fields, strict=False) if field}


def _input_row(where: str, values: dict[str, Any]) -> tuple[int, ...]:
    for column in ("macs_fwd", "macs_bwd", "params"):
        if values.get(column, "0") != "0":
            raise ConfigError(
                f"{where}, column {column}: the input row has no work, so it must be "
                f"empty or 0, got {values[column]!r}"
            )
    return _shape(where, values.get("output_shape"))


# --- TOML --------------------------------------------------------------------------------


def _parse_toml(text: str, label: str) -> tuple[tuple[int, ...], list[Row]]:
    """a0's shape (``input_shape``) and the ``[[stage]]`` tables, numbered from 1."""
    _check_count(label, text.count("[[") - 1, "[[stage]] tables")  # before parsing them
    document = loads_toml(text, label, invalid=f"{label} is not valid TOML")
    for key in document:
        if key not in ("input_shape", "stage"):
            raise ConfigError(f"{label}: unknown key {key!r}; valid keys: input_shape, stage")
    if "input_shape" not in document:
        raise ConfigError(
            f"{label}: input_shape is missing; give a0's shape, as in input_shape = [3, 224, 224]"
        )
    input_shape = _shape(label, document["input_shape"], column="input_shape")
    tables = document.get("stage", [])
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        raise ConfigError(f"{label}: stage must be an array of tables ([[stage]]), got {tables!r}")
    rows = [(f"[[stage]] {number}", table) for number, table in enumerate(tables, start=1)]
    for where, table in rows:
        for key in table:
            if key not in COLUMNS:
                raise ConfigError(
                    f"{label} {where}: unknown column {key!r}; valid columns: {', '.join(COLUMNS)}"
                )
    return input_shape, rows


# --- values ------------------------------------------------------------------------------


def _stage(where: str, values: dict[str, Any]) -> Stage:
    for column in REQUIRED:
        if column not in values:
            raise ConfigError(
                f"{where}, column {column}: missing or empty; required: {', '.join(REQUIRED)}"
            )
    name = values["name"]
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}, column name: must be non-empty text, got {name!r}")
    macs_fwd = _count(where, "macs_fwd", values["macs_fwd"])
    default_bwd = BACKWARD_MACS_PER_FORWARD * macs_fwd
    defaults = {"macs_bwd": default_bwd}
    counts = {c: _count(where, c, values.get(c, defaults.get(c, 0))) for c in COUNT_COLUMNS}
    measured = {c: _ns(where, c, values[c]) for c in MEASURED_FIELDS if c in values}
    shape = _shape(where, values["output_shape"])
    trainable = _flag(where, values.get("trainable", True))
    try:  # Stage's own checks (limits on sizes), said with the file and line
        return Stage(name.strip(), shape, macs_fwd, **counts, **measured, trainable=trainable)
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None


def _ns(where: str, column: str, value: Any) -> int | float:
    """A measured time: a number of ns >= 0, from a TOML number or CSV text."""
    number = value
    if isinstance(value, str) and len(value) <= MAX_DIGITS:
        try:
            number = float(value)
        except ValueError:
            number = None
    plain = isinstance(number, (int, float)) and not isinstance(number, bool)
    if plain and math.isfinite(number) and number >= 0:
        return int(number) if isinstance(number, float) and number.is_integer() else number
    raise ConfigError(f"{where}, column {column}: must be a number of ns >= 0, got {_shown(value)}")


def _flag(where: str, value: Any) -> bool:
    """``trainable``: a TOML boolean, or CSV true/false, yes/no, 1/0."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise ConfigError(
        f"{where}, column trainable: must be true or false (yes/no, 1/0), got {_shown(value)}"
    )


def _count(where: str, column: str, value: Any) -> int:
    """A whole number >= 0, from a TOML integer or CSV digits."""
    if isinstance(value, str) and value.isdigit() and value.isascii() and len(value) <= MAX_DIGITS:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ConfigError(f"{where}, column {column}: must be a whole number >= 0, got {_shown(value)}")


def _shape(where: str, value: Any, column: str = "output_shape") -> tuple[int, ...]:
    """Sizes >= 1, from text like ``64x56x56`` or a TOML array of integers."""
    parts = _shape_parts(value) if isinstance(value, str) else value
    if isinstance(parts, list) and parts:
        sizes = [_size(part) for part in parts]
        if all(size is not None for size in sizes):
            return tuple(sizes)  # type: ignore[arg-type]
    raise ConfigError(
        f"{where}, column {column}: must be sizes >= 1 as in 64x56x56 "
        f"(or a TOML array [64, 56, 56]), got {_shown(value)}"
    )


def _shape_parts(text: str) -> list[str]:
    """``64x56x56``, or PyTorch's ``(1, 16, 32, 32)`` / ``torch.Size([1, 16, 32, 32])``."""
    inner = text.strip().lower().removeprefix("torch.size").strip("()[] ")
    return inner.split(",") if "," in inner else inner.split("x")


def _shown(value: Any) -> str:
    """A value for a message, long text or a huge number cut short."""
    return text_shown(value) if isinstance(value, str) else shown(value)[:200]


def _size(part: Any) -> int | None:
    if isinstance(part, str):
        part = part.strip()
        plain = part.isdigit() and part.isascii() and len(part) <= MAX_DIGITS
        return int(part) if plain and int(part) >= 1 else None
    if isinstance(part, int) and not isinstance(part, bool) and part >= 1:
        return part
    return None
