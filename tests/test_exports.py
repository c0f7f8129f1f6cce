"""Trace files: every format round-trips; the Chrome trace has the fields Perfetto reads."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from chipsim import ChipConfig, ConfigError, simulate
from chipsim.model.ops import PORTS
from chipsim.outputs.exports import chrome_trace, load_trace, write_trace


@pytest.fixture(scope="module")
def result():
    return simulate("optimal", ChipConfig(loaddisk_ns=35), layers=12, width=3)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_every_format_round_trips_with_its_dtypes(result, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"trace{suffix}"
    write_trace(result.frame, path, title=result.strategy)
    back = load_trace(path)
    pd.testing.assert_frame_equal(back, result.frame)
    assert list(back["op"].cat.categories) == list(result.frame["op"].cat.categories)


def test_float_times_round_trip_too(tmp_path: Path) -> None:
    frame = simulate("stride:k=3", ChipConfig(fwd_ns=0.1, loadmem_ns=2.5), layers=6).frame
    for suffix in (".csv", ".parquet", ".json"):
        write_trace(frame, tmp_path / f"t{suffix}")
        pd.testing.assert_frame_equal(load_trace(tmp_path / f"t{suffix}"), frame, check_exact=True)


def test_chrome_trace_has_one_complete_event_per_row(result, tmp_path: Path) -> None:
    path = tmp_path / "trace.json"
    write_trace(result.frame, path, title=result.strategy)
    document = json.loads(path.read_text(), parse_float=Decimal)
    events = document["traceEvents"]
    complete = [e for e in events if e["ph"] == "X"]
    frame = result.frame
    assert len(complete) == len(frame)
    for event, row in zip(complete, frame.itertuples(index=False), strict=True):
        assert event["name"] == f"{row.op} {row.layer}"
        assert event["args"] == {
            "phase": row.phase,
            "op": row.op,
            "layer": row.layer,
            "start_ns": row.start_ns,  # the exact ns, for float latencies too
            "end_ns": row.end_ns,
            "prefetch": False,
            "attempt": 1,
            "bytes": row.bytes,
        }
        assert Decimal(event["ts"]) * 1000 == row.start_ns  # exact: no rounding
        assert Decimal(event["dur"]) * 1000 == row.end_ns - row.start_ns
        assert event["tid"] == PORTS.index(row.resource) + 1
        assert event["pid"] == 1
    names = {e["tid"]: e["args"]["name"] for e in events if e.get("name") == "thread_name"}
    assert names == {1: "compute", 2: "buffer", 3: "disk"}


def test_chrome_counter_track_follows_buffer_occupancy(result) -> None:
    counters = [e for e in chrome_trace(result.frame)["traceEvents"] if e["ph"] == "C"]
    frame = result.frame
    levels = [c["args"]["slots"] for c in counters]
    assert levels[0] == frame["buffer_slots_used"].iat[0]
    assert all(a != b for a, b in itertools.pairwise(levels))  # one per change
    assert max(levels) == result.peak_buffer_slots


def test_microseconds_are_exact_decimals() -> None:
    frame = simulate("stride:k=5", ChipConfig(fwd_ns=123456789)).frame
    text = json.dumps(chrome_trace(frame))
    assert '"ts": 123456.789' in text or '"dur": 123456.789' in text


def test_unknown_extensions_and_foreign_files_are_refused(tmp_path: Path, result) -> None:
    with pytest.raises(ConfigError, match=r"unsupported trace format '\.txt'; valid: \.csv"):
        write_trace(result.frame, tmp_path / "trace.txt")
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match="not a chipsim trace"):
        load_trace(other)
