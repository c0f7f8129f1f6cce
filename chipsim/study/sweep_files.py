"""A sweep's output file: its identity, a lock for one writer, resuming, atomic rewrites.

The identity of a sweep is everything its rows depend on besides the grid
and the strategies: the base scenario (every field but its name and
description, generically, so a new Scenario field is part of it at once),
with a SHA-256 of those, the sweep seed, math on or off, and the chipsim
version. Parquet keeps it in the file's key-value metadata (key
``chipsim.study.sweep``); a CSV keeps it in the sidecar ``<out>.meta.json``,
written (atomically) before the data it describes. A file is resumed only
by a sweep of the same identity.

The lock is ``<out>.lock``, held with ``fcntl.flock`` for the whole sweep;
the kernel drops it when the process ends, even on SIGKILL, so it never
goes stale. It holds the writer's PID, for the refusal of a second writer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..files import write_atomically
from ..model.chip import ChipConfig
from .scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

SWEEP_FORMATS: tuple[str, ...] = (".parquet", ".csv")
METADATA_KEY = b"chipsim.sweep"
#: Scenario fields that do not change a run: left out of the identity.
DESCRIPTIVE_FIELDS: tuple[str, ...] = ("name", "description")


def scenario_fields(scenario: Scenario) -> dict[str, Any]:
    """Every field of the scenario that a run depends on, as JSON values (chip fields flat)."""
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(scenario):
        value = getattr(scenario, field.name)
        if field.name in DESCRIPTIVE_FIELDS:
            continue
        if isinstance(value, ChipConfig):
            fields.update({f"chip.{k}": v for k, v in value.as_dict(flat=True).items()})
        else:
            plain = value is None or isinstance(value, (int, float, str, bool))
            fields[field.name] = value if plain else str(value)
    return fields


def identity(base: Scenario, seed: int, math: bool) -> dict[str, Any]:
    """What a sweep's rows depend on, besides its grid and strategies."""
    fields = scenario_fields(base)
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
    return {
        "chipsim_version": _version(),
        "scenario_sha256": digest,
        **fields,
        "sweep_seed": seed,
        "math": math,
    }


def sidecar(path: Path) -> Path:
    """Where a CSV sweep keeps its identity: ``<out>.meta.json``."""
    return path.with_name(path.name + ".meta.json")


def check_path(path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix not in SWEEP_FORMATS:
        raise ConfigError(f"--out {path}: unsupported format {suffix!r}; valid: .parquet, .csv")
    if not path.parent.is_dir():
        raise ConfigError(f"--out {path}: the folder {path.parent} does not exist")


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold ``<out>.lock`` exclusively; a second writer is refused at once, naming the holder."""
    import fcntl

    lock = path.with_name(path.name + ".lock")
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise ConfigError(
                f"--out {path}: another sweep (PID {holder}) is writing it; "
                "wait for it to finish or use another --out"
            ) from None
        if _same_file(fd, lock):  # else its holder removed it as we opened it: try again
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        lock.unlink(missing_ok=True)  # while still holding it: a waiter then retries
        os.close(fd)


def load(
    path: Path, expected: dict[str, Any], *, force: bool, say: Callable[[str], None]
) -> pd.DataFrame:
    """The rows in ``out`` (none with ``force``); ConfigError if they are another sweep's."""
    import pandas as pd

    if force:
        path.unlink(missing_ok=True)
        sidecar(path).unlink(missing_ok=True)
    if not path.exists():
        return pd.DataFrame()
    frame = _read(path, say)
    if "run" not in frame.columns:
        raise ConfigError(f"--out {path}: exists and is not a chipsim sweep (no 'run' column)")
    _check_identity(path, _stored_identity(path), expected)
    frame = frame.rename(columns={"feasible": "fits"})  # the name before 0.2
    return frame.drop_duplicates("run", keep="first").reset_index(drop=True)


def write(path: Path, frame: pd.DataFrame, sweep_identity: dict[str, Any]) -> None:
    """Rewrite ``out`` atomically with every row and the sweep's identity."""
    frame = _text_where_mixed(frame)
    text = json.dumps(sweep_identity, indent=1, sort_keys=True)
    if path.suffix.lower() == ".csv":
        write_atomically(sidecar(path), lambda tmp: tmp.write_text(text + "\n"))
        write_atomically(path, lambda tmp: frame.to_csv(tmp, index=False))
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), METADATA_KEY: text.encode()}
    )
    write_atomically(path, lambda tmp: pq.write_table(table, tmp))


def _read(path: Path, say: Callable[[str], None]) -> pd.DataFrame:
    """The table; a CSV's torn last row (no line end: the file was cut) is dropped and said."""
    from ..files import read_table

    if path.suffix.lower() != ".csv":
        return read_table(path)
    import pandas as pd

    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        say(f"{path}: dropped a torn last row ({len(data) - cut} bytes with no line end)")
        data = data[:cut]
    try:
        return pd.read_csv(io.BytesIO(data)) if data.strip() else pd.DataFrame()
    except ValueError as error:
        raise ConfigError(f"{path}: not a readable .csv file ({error})") from None


def _stored_identity(path: Path) -> dict[str, Any] | None:
    try:
        if path.suffix.lower() == ".csv":
            return json.loads(sidecar(path).read_text())
        import pyarrow.parquet as pq

        stored = (pq.read_schema(path).metadata or {}).get(METADATA_KEY)
        return None if stored is None else json.loads(stored)
    except (FileNotFoundError, ValueError):
        return None


def _check_identity(path: Path, stored: dict[str, Any] | None, expected: dict[str, Any]) -> None:
    hint = "use a new --out, or --force to start over"
    if stored is None:
        where = f" ({sidecar(path).name} is missing)" if path.suffix.lower() == ".csv" else ""
        raise ConfigError(f"--out {path}: holds a sweep of unknown identity{where}; {hint}")
    keys = [*expected, *(k for k in stored if k not in expected)]
    differ = [k for k in keys if stored.get(k) != expected.get(k)]
    fields = [k for k in differ if k != "scenario_sha256"]
    differ = fields or differ  # the hash differs with any field: name the fields
    if differ:
        first = differ[0]
        more = f" (and {len(differ) - 1} more)" if len(differ) > 1 else ""
        raise ConfigError(
            f"--out {path}: holds another sweep: {first} is {stored.get(first)!r} there, "
            f"{expected.get(first)!r} here{more}; {hint}"
        )


def _text_where_mixed(frame: pd.DataFrame) -> pd.DataFrame:
    """A column mixing numbers and text (e.g. a latency grid of 50 and a distribution)
    as text throughout, so Parquet can hold it; the texts read back as TOML values."""
    mixed = [
        name
        for name in frame.columns
        if frame[name].dtype == object
        and len({type(v) for v in frame[name] if v is not None and v == v}) > 1
    ]
    if not mixed:
        return frame
    return frame.assign(**{name: frame[name].map(_as_text) for name in mixed})


def _as_text(value: Any) -> Any:
    return value if value is None or isinstance(value, str) or value != value else str(value)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _version() -> str:
    try:
        return metadata.version("chipsim")
    except metadata.PackageNotFoundError:
        return "unknown"
