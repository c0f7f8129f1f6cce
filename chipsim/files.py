"""Files: atomic writes (a reader never sees a half-written file), and tables read back."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

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
