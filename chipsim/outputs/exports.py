"""Trace files: CSV, Parquet and Chrome Trace Event JSON out, and back into a DataFrame.

The format follows the file's extension. Every write is atomic (a temporary
file beside the target, then a rename). The Chrome format (opened by
Perfetto, ui.perfetto.dev, and chrome://tracing) gets one complete event
(``"ph": "X"``) per trace row on one track per resource, ``ts``/``dur`` in
microseconds (exact decimals of whole nanoseconds; for float latencies the
nearest float, with the exact ns in each event's ``args``), and the buffer
occupancy as a counter track (``"ph": "C"``). Reading one back rebuilds the
rows from its complete events, exactly.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError
from ..files import read_input, read_table, regular_file, write_atomically
from ..limits import MAX_TABLE_BYTES
from ..model.ops import OP_KINDS, PORTS
from ..sim.plan import PHASES
from ..sim.trace import COLUMNS, ENERGY_COLUMN, LATER_COLUMNS, MEMORY_COLUMNS

TRACE_FORMATS: tuple[str, ...] = (".csv", ".parquet", ".json")

_PROCESS_ID = 1
_COUNTER = "buffer slots used"


def trace_format(path: str | os.PathLike[str]) -> str:
    """The format of a trace file from its extension; ConfigError if unsupported."""
    suffix = Path(path).suffix.lower()
    if suffix not in TRACE_FORMATS:
        raise ConfigError(
            f"{path}: unsupported trace format {suffix!r}; valid: {', '.join(TRACE_FORMATS)}"
        )
    return suffix


def write_trace(frame: pd.DataFrame, path: str | os.PathLike[str], *, title: str = "") -> None:
    """Write a trace DataFrame in the format its extension names, atomically.

    ``title`` names the run (the strategy) in the Chrome trace.
    """
    suffix = trace_format(path)
    if suffix == ".csv":
        write_atomically(path, lambda tmp: frame.to_csv(tmp, index=False))
    elif suffix == ".parquet":
        write_atomically(path, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        text = json.dumps(chrome_trace(frame, title=title))
        write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def chrome_trace(frame: pd.DataFrame, *, title: str = "") -> dict[str, Any]:
    """The trace as a Chrome Trace Event Format object."""
    events: list[dict[str, Any]] = [
        _metadata("process_name", 0, f"chipsim {title}".strip()),
        *(_metadata("thread_name", tid, name) for tid, name in enumerate(PORTS, start=1)),
    ]
    extra = _optional(frame)
    for row in frame.itertuples(index=False):
        label = f"{row.op} {row.layer}" + (" (prefetch)" if row.prefetch else "")
        events.append(
            {
                "name": label + (f" attempt {row.attempt}" if row.attempt > 1 else ""),
                "cat": f"{row.phase},{row.op}",
                "ph": "X",
                "ts": _microseconds(row.start_ns),
                "dur": _microseconds(row.end_ns - row.start_ns),
                "pid": _PROCESS_ID,
                "tid": PORTS.index(row.resource) + 1,
                "args": {
                    "phase": row.phase,
                    "op": row.op,
                    "layer": int(row.layer),
                    "start_ns": _plain(row.start_ns),
                    "end_ns": _plain(row.end_ns),
                    "prefetch": bool(row.prefetch),
                    "attempt": int(row.attempt),
                    "bytes": int(row.bytes),
                    **{name: _plain(getattr(row, name)) for name in extra},
                },
            }
        )
    slots = frame["buffer_slots_used"].to_numpy()
    held = frame["buffer_bytes_used"].to_numpy()
    changed = [0, *(i for i in range(1, len(frame)) if slots[i] != slots[i - 1])]
    for i in changed if len(frame) else []:
        events.append(
            {
                "name": _COUNTER,
                "ph": "C",
                "ts": _microseconds(frame["end_ns"].iat[i]),
                "pid": _PROCESS_ID,
                "args": {"slots": int(slots[i]), "bytes": int(held[i])},
            }
        )
    return {"traceEvents": events, "displayTimeUnit": "ns"}


def load_trace(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a trace file back into the DataFrame ``Trace.frame()`` gives (same dtypes)."""
    if trace_format(path) == ".json":
        text = read_input(path, "trace", MAX_TABLE_BYTES)
        try:
            frame = _from_chrome(json.loads(text, parse_float=Decimal))
        except RecursionError:
            raise ConfigError(f"{path}: not a chipsim Chrome trace (nested too deeply)") from None
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
            raise ConfigError(f"{path}: not a chipsim Chrome trace ({_short(error)})") from None
    else:
        regular_file(path, "trace")
        frame = read_table(path)
    for name, value in LATER_COLUMNS.items():
        if name not in frame.columns:
            frame[name] = value
    missing = [name for name in COLUMNS if name not in frame.columns]
    if missing:
        raise ConfigError(f"{path}: not a chipsim trace (no column {missing[0]!r})")
    columns = [*COLUMNS, *_optional(frame)]
    try:
        return typed(frame[columns])
    except (ValueError, TypeError, OverflowError) as error:
        raise ConfigError(
            f"{path}: a column has values of the wrong kind ({_short(error)})"
        ) from None


def _short(error: BaseException) -> str:
    """An exception as a short line: its repr, long ones cut (a 400-digit value...)."""
    text = " ".join(repr(error).split())
    return text if len(text) <= 200 else text[:200] + "…"


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a trace frame's columns their dtypes: categoricals for phase, op and resource."""
    frame = frame.copy()
    for name, categories in (("phase", PHASES), ("op", OP_KINDS), ("resource", PORTS)):
        frame[name] = pd.Categorical(frame[name].astype(str), categories=categories)
    for name in ("layer", "buffer_slots_used", "attempt", "bytes", "buffer_bytes_used"):
        frame[name] = frame[name].astype("int64")
    frame["prefetch"] = frame["prefetch"].astype(bool)
    dtypes = ((ENERGY_COLUMN, "float64"), *zip(MEMORY_COLUMNS, (bool, "int64"), strict=True))
    for name, dtype in dtypes:
        if name in frame.columns:
            frame[name] = frame[name].astype(dtype)
    for name in ("start_ns", "end_ns"):
        values = frame[name]
        whole = values.dtype.kind in "iu" or bool((values == values.round()).all())
        frame[name] = values.astype("int64" if whole else "float64")
    return frame


def _from_chrome(document: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for event in document.get("traceEvents", []):
        if event.get("ph") != "X":
            continue
        args = event["args"]
        start = args.get("start_ns", Decimal(event["ts"]) * 1000)
        end = args.get("end_ns", start + Decimal(event["dur"]) * 1000)
        rows.append(
            {
                "phase": args["phase"],
                "op": args["op"],
                "layer": args["layer"],
                "resource": PORTS[event["tid"] - 1],
                "start_ns": _number(Decimal(start)),
                "end_ns": _number(Decimal(end)),
                **{name: args.get(name, value) for name, value in LATER_COLUMNS.items()},
                **{name: args[name] for name in _OPTIONAL if name in args},
            }
        )
    extra = [name for name in _OPTIONAL if rows and name in rows[0]]
    frame = pd.DataFrame(rows, columns=[c for c in (*COLUMNS, *extra) if c not in _DERIVED])
    change = frame["op"].map({"storemem": 1, "free": -1}).fillna(0).astype("int64")
    frame["buffer_slots_used"] = change.cumsum()
    frame["buffer_bytes_used"] = (change * frame["bytes"].astype("int64")).cumsum()
    return frame


#: Columns a trace has only on some chips: energy, and one memory's record and bytes in use.
_OPTIONAL = (ENERGY_COLUMN, *MEMORY_COLUMNS)


def _optional(frame: pd.DataFrame) -> list[str]:
    """The optional columns ``frame`` has, in their order."""
    return [name for name in _OPTIONAL if name in frame.columns]


#: Columns a Chrome trace does not carry per event: the buffer's occupancy, summed back.
_DERIVED = ("buffer_slots_used", "buffer_bytes_used")


def _metadata(kind: str, tid: int, name: str) -> dict[str, Any]:
    return {"name": kind, "ph": "M", "pid": _PROCESS_ID, "tid": tid, "args": {"name": name}}


def _microseconds(nanoseconds: Any) -> float:
    """ns → µs, correctly rounded from the exact quotient.

    JSON writes a float as the shortest text that reads back as the same
    float, so a whole number of ns below 10^15 (eleven simulated days) comes
    out as its exact decimal in µs: 10 ns → 0.01, 123456789 ns → 123456.789.
    """
    return float(Decimal(_plain(nanoseconds)) / 1000)


def _plain(value: Any) -> int | float:
    """A numpy scalar as the Python number JSON writes exactly (floats: shortest repr)."""
    return value.item() if hasattr(value, "item") else value


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
