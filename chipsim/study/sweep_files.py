"""A sweep's output file: its identity, resuming, atomic rewrites, what a kill left behind.

The identity of a sweep is everything its rows depend on besides the grid
and the strategies: the base scenario (every field but its name and
description, generically, so a new Scenario field is part of it at once,
and the network by the SHA-256 of its stage table's contents, so a stage
table edited in place is another sweep while one moved is not), with a
SHA-256 of those, the sweep seed, math on or off, the chipsim version, and
for each plugin strategy the SHA-256 of its module's file. Parquet keeps it
in the file's key-value metadata (key ``chipsim.sweep``); a CSV keeps it in
the sidecar ``<out>.meta.json``, written (atomically) before the data it
describes. A file is resumed only by a sweep of the same identity; plugins
new to the file join it, a plugin whose module changed is refused.

One writer at a time holds ``<out>.lock`` (``chipsim.study.sweep_lock``);
while it does, the temporary files a killed writer left, and a sidecar with
no CSV beside it, are removed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..files import leftover_temporaries, write_atomically
from ..model.chip import ChipConfig
from ..model.networks import is_stage_file
from .scenario import Scenario
from .sweep_lock import locked

if TYPE_CHECKING:
    import pandas as pd

SWEEP_FORMATS: tuple[str, ...] = (".parquet", ".csv")
METADATA_KEY = b"chipsim.sweep"
#: Scenario fields that do not change a run: left out of the identity.
DESCRIPTIVE_FIELDS: tuple[str, ...] = ("name", "description")
#: The identity's key for the plugin strategies' module hashes (merged, not compared whole).
PLUGINS = "plugins"

__all__ = ["SWEEP_FORMATS", "check_path", "identity", "load", "locked", "sidecar", "write"]


def scenario_fields(scenario: Scenario) -> dict[str, Any]:
    """Every field of the scenario that a run depends on, as JSON values (chip fields flat),
    and its network's content hash; a stage table's path is kept as its file name alone."""
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
    if scenario.network is not None and is_stage_file(scenario.network):
        fields["network"] = Path(scenario.network).name
    fields["network_sha256"] = scenario.chain.content_sha256()
    return fields


def identity(
    base: Scenario, seed: int, math: bool, strategies: Sequence[str] = ()
) -> dict[str, Any]:
    """What a sweep's rows depend on, besides its grid and strategies: ``strategies``
    (canonical specs) count only by their plugins' module hashes."""
    fields = scenario_fields(base)
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
    plugins = _plugin_hashes(strategies)
    return {
        "chipsim_version": _version(),
        "scenario_sha256": digest,
        **fields,
        "sweep_seed": seed,
        "math": math,
        **({PLUGINS: plugins} if plugins else {}),
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


def load(
    path: Path, expected: dict[str, Any], *, force: bool, say: Callable[[str], None]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The rows in ``out`` (none with ``force``) and the identity to write back (``expected``
    with the stored plugins kept); ConfigError if they are another sweep's. Call it holding
    the lock: it removes what a killed writer left."""
    import pandas as pd

    _remove_leftovers(path)
    if force:
        path.unlink(missing_ok=True)
        sidecar(path).unlink(missing_ok=True)
    if not path.exists():
        return pd.DataFrame(), expected
    frame = _read(path, say)
    stored = _stored_identity(path)
    if "run" not in frame.columns and not (frame.empty and stored is not None):
        raise ConfigError(f"--out {path}: exists and is not a chipsim sweep (no 'run' column)")
    merged = _check_identity(path, stored, expected)
    if "run" not in frame.columns:  # no column: an older chipsim stopped before a row
        return pd.DataFrame(), merged
    frame = frame.rename(columns={"feasible": "fits"})  # the name before 0.2
    return frame.drop_duplicates("run", keep="first").reset_index(drop=True), merged


def write(path: Path, frame: pd.DataFrame, sweep_identity: dict[str, Any]) -> None:
    """Rewrite ``out`` atomically with every row and the sweep's identity; a sweep with
    no row yet writes its ``run`` column alone, so it can be resumed."""
    import pandas as pd

    if "run" not in frame.columns:
        frame = pd.DataFrame({"run": pd.Series([], dtype=object)})
    frame = _text_where_mixed(frame)
    text = json.dumps(sweep_identity, indent=1, sort_keys=True)
    if path.suffix.lower() == ".csv":
        existed = path.exists()
        write_atomically(sidecar(path), lambda tmp: tmp.write_text(text + "\n"))
        try:
            write_atomically(path, lambda tmp: frame.to_csv(tmp, index=False))
        except BaseException:
            if not existed:  # no data for the sidecar to describe: leave nothing behind
                sidecar(path).unlink(missing_ok=True)
            raise
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), METADATA_KEY: text.encode()}
    )
    write_atomically(path, lambda tmp: pq.write_table(table, tmp))


def _remove_leftovers(path: Path) -> None:
    """The temporary files of a writer killed mid-write, and a sidecar without its CSV."""
    for leftover in [*leftover_temporaries(path), *leftover_temporaries(sidecar(path))]:
        leftover.unlink(missing_ok=True)
    if path.suffix.lower() == ".csv" and not path.exists():
        sidecar(path).unlink(missing_ok=True)


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


def _check_identity(
    path: Path, stored: dict[str, Any] | None, expected: dict[str, Any]
) -> dict[str, Any]:
    """The identity to write back, if ``stored`` is the same sweep as ``expected``."""
    hint = "use a new --out, or --force to start over"
    if stored is None:
        where = f" ({sidecar(path).name} is missing)" if path.suffix.lower() == ".csv" else ""
        raise ConfigError(f"--out {path}: holds a sweep of unknown identity{where}; {hint}")
    keys = [k for k in (*expected, *stored) if k != PLUGINS]
    differ = list(dict.fromkeys(k for k in keys if stored.get(k) != expected.get(k)))
    hashes = ("scenario_sha256", "network_sha256")  # they differ with the fields they hash
    differ = [k for k in differ if k not in hashes] or [k for k in hashes if k in differ][-1:]
    if differ:
        first = differ[0]
        more = f" (and {len(differ) - 1} more)" if len(differ) > 1 else ""
        raise ConfigError(
            f"--out {path}: holds another sweep: {_difference(first, stored, expected)}"
            f"{more}; {hint}"
        )
    old, new = stored.get(PLUGINS, {}), expected.get(PLUGINS, {})
    changed = [n for n in new if n in old and (old[n] is None or old[n] != new[n])]
    if changed:
        raise ConfigError(
            f"--out {path}: holds rows of strategy {changed[0]} made by another version of "
            f"its module (its file's SHA-256 differs, or it has no file); {hint}"
        )
    plugins = {**old, **new}
    return {**expected, **({PLUGINS: plugins} if plugins else {})}


def _difference(key: str, stored: dict[str, Any], expected: dict[str, Any]) -> str:
    there, here = stored.get(key), expected.get(key)
    if there is None and key == "network_sha256":
        return f"it was written by a chipsim that did not record {key}"
    if key == "network_sha256" and there is not None:
        name = stored.get("network") or "the course MLP"
        return f"network {name} has other stages (SHA-256 {there[:12]}… there, {here[:12]}… here)"
    return f"{key} is {there!r} there, {here!r} here"


def _plugin_hashes(strategies: Sequence[str]) -> dict[str, str | None]:
    """Each plugin strategy's name → the SHA-256 of its module's file (None: no file)."""
    from ..planners import STRATEGIES, parse_spec, plugins

    names = [parse_spec(spec).name for spec in strategies]  # loads each plugin once
    return {name: plugins.module_sha256(name) for name in names if name not in STRATEGIES}


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


def _version() -> str:
    try:
        return metadata.version("chipsim")
    except metadata.PackageNotFoundError:
        return "unknown"
