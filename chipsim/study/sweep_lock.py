"""One writer per sweep file: ``<out>.lock``, held with ``fcntl.flock`` for the whole sweep.

The kernel drops the lock when the process ends, even on SIGKILL, so it never
goes stale. It holds the writer's PID, for the refusal of a second writer;
the holder writes it just after taking the lock, so a refusal waits briefly
for it rather than name no one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import ConfigError

#: How long a refused writer waits for the holder's PID to appear in the lock file.
PID_WAIT_SECONDS = 2.0
PID_WIDTH = 20  # the PID is written padded to this width, in one write: never seen half


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
            holder = _holder(fd)
            os.close(fd)
            raise ConfigError(
                f"--out {path}: another sweep{holder} is writing it; "
                "wait for it to finish or use another --out"
            ) from None
        if _same_file(fd, lock):  # else its holder removed it as we opened it: try again
            break
        os.close(fd)
    try:
        os.pwrite(fd, f"{os.getpid():<{PID_WIDTH}}\n".encode(), 0)
        os.ftruncate(fd, PID_WIDTH + 1)
        yield
    finally:
        lock.unlink(missing_ok=True)  # while still holding it: a waiter then retries
        os.close(fd)


def _holder(fd: int) -> str:
    """`` (PID n)`` of the lock's holder, waiting up to PID_WAIT_SECONDS for it to write
    a live PID; empty if none appears (the message then names no one, rather than guess)."""
    deadline = time.monotonic() + PID_WAIT_SECONDS
    while True:
        text = os.pread(fd, PID_WIDTH + 1, 0).decode(errors="replace").strip()
        if text.isascii() and text.isdigit() and _alive(int(text)):
            return f" (PID {text})"
        if time.monotonic() >= deadline:
            return ""
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False
