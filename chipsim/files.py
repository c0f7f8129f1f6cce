"""Files: atomic writes (a reader never sees a half-written file), and tables read back."""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd


def write_atomically(path: str | os.PathLike[str], write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    On any error the temporary file is removed and ``path`` is left as it was;
    an OSError names ``path``, not the temporary file (a full disk too).
    """
    target = Path(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise OSError(error.errno, f"cannot write here: {error.strerror}", str(target)) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except OSError as error:  # e.g. the disk is full: name the file the user asked for
        tmp.unlink(missing_ok=True)
        if error.filename not in (None, str(tmp), tmp):
            raise
        message = error.strerror or str(error)
        raise OSError(error.errno, f"cannot write: {message}", str(target)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def leftover_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """The temporary files ``write_atomically`` left beside ``path`` in a process that was
    killed (SIGKILL) mid-write; remove them only while no one else writes ``path``."""
    target = Path(path)
    name = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.tmp")
    try:
        return [p for p in target.parent.iterdir() if name.fullmatch(p.name)]
    except OSError:
        return []


def _mode_for(target: Path) -> int:
    """The target's own permissions if it exists, else what a plain open() would give."""
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A .csv or .parquet file as a DataFrame; a file that is neither is a one-line ConfigError."""
    import pandas as pd  # pandas loads only where a table is read

    try:
        if Path(path).suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except ValueError as error:  # pyarrow's ArrowInvalid and pandas' parser errors are ValueErrors
        raise ConfigError(f"{path}: not a readable {Path(path).suffix} file ({error})") from None


def read_input(path: str | os.PathLike[str], what: str, limit_bytes: int | None = None) -> str:
    """A regular file of at most ``limit_bytes`` (default ``MAX_INPUT_BYTES``) as text;
    else a one-line ConfigError.

    ``what`` names the file in messages ("scenario", "stage file"). A device
    (``/dev/zero``), a FIFO or a folder is refused before it is opened, so
    nothing blocks or grows without end; the size is checked before reading
    and the read is capped, in case the file grows meanwhile.
    """
    from .limits import MAX_INPUT_BYTES

    limit = MAX_INPUT_BYTES if limit_bytes is None else limit_bytes
    regular_file(path, what, limit)
    try:
        with open(path, "rb") as file:
            data = file.read(limit + 1)
    except OSError as error:
        raise ConfigError(f"{what} {path} cannot be read ({error.strerror})") from None
    if len(data) > limit:
        raise ConfigError(f"{what} {path} grew past {limit} bytes while read (chipsim.limits)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{what} {path} cannot be read (not UTF-8 text)") from None


def regular_file(path: str | os.PathLike[str], what: str, limit_bytes: int | None = None) -> None:
    """Refuse, before opening it, a path that is missing, not a regular file (a device, a
    FIFO, a folder: reading those may block or never end) or larger than ``limit_bytes``."""
    try:
        status = os.stat(path)
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        reason = error.strerror if isinstance(error, OSError) else str(error)
        raise ConfigError(f"{what} {path} cannot be read ({reason})") from None
    if not stat.S_ISREG(status.st_mode):
        kind = _kind(status.st_mode)
        raise ConfigError(f"{what} {path} is not a regular file ({kind})")
    if limit_bytes is not None and status.st_size > limit_bytes:
        raise ConfigError(
            f"{what} {path} has {status.st_size} bytes, more than the {limit_bytes} "
            "chipsim reads (chipsim.limits)"
        )


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"))
    return next((name for test, name in kinds if test(mode)), "not a plain file")


def loads_toml(text: str, where: str, invalid: str | None = None) -> dict[str, Any]:
    """Parse TOML text; invalid TOML (``invalid``, default "WHERE: not valid TOML"), a
    number past Python's 4300 digits or nesting deeper than ``MAX_NESTING`` is a
    one-line ConfigError starting with ``where`` (each field then bounds its own numbers)."""
    import tomllib

    try:
        document = tomllib.loads(text, parse_float=exponent_number)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{invalid or where + ': not valid TOML'}: {error}") from None
    except ValueError:  # int() past Python's digit limit
        raise ConfigError(f"{where}: a number has more than 4300 digits") from None
    except RecursionError:
        raise ConfigError(f"{where}: nested too deeply to read") from None
    check_nesting(document, where)
    return document


def check_nesting(value: object, where: str) -> None:
    """Refuse lists and tables nested deeper than ``MAX_NESTING`` (iteratively: no recursion)."""
    from .limits import MAX_NESTING

    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_NESTING:
            raise ConfigError(f"{where}: nested more than {MAX_NESTING} levels deep")
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, (dict, list)):
            pending.extend((child, depth + 1) for child in children)  # type: ignore[union-attr]


def exponent_number(text: str) -> int | float:
    """A TOML float's text as a number: a whole number written in exponent form
    (``40e9``, ``1e9``) is the int it names, so integer fields take it; any
    other float (``1.5e0``, ``2.0``) stays a float."""
    value = float(text)
    if "e" in text.lower() and value.is_integer() and abs(value) <= 2**63:
        return int(value)
    return value


_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: TOML number spellings people do not mean: ``1_000``, ``0x10``, ``0o7``, ``0b1``.
_UNUSUAL_NUMBER = re.compile(r"[0-9]_[0-9]|(?<![\w.])[+-]?0[xob]", re.IGNORECASE)


def setting_value(raw: str, where: str) -> Any:
    """A ``--set`` or ``--grid`` value: a TOML value (50, 0.2, "text", {dist = ...}), or
    any other text as it is (``overlapped``). Control characters (a newline would hide
    a second setting), numbers written ``1_000`` or ``0x10`` and TOML past the limits
    are one-line ConfigErrors starting with ``where``."""
    import tomllib

    if _CONTROL.search(raw):
        raise ConfigError(f"{where}: the value contains a control character")
    text = raw.strip()
    try:
        tomllib.loads(f"value = {text}")
    except tomllib.TOMLDecodeError as error:
        if text.startswith("{"):
            raise ConfigError(f"{where}: not a valid TOML table ({error})") from None
        return text
    except (ValueError, RecursionError):
        pass  # loads_toml below says which limit it passed
    if _UNUSUAL_NUMBER.search(_QUOTED.sub("", text)):
        raise ConfigError(f"{where}: write numbers in plain decimal digits, got {text!r}")
    return loads_toml(f"value = {text}", where)["value"]
