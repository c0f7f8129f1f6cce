"""A time limit on third-party planning (``--plan-timeout``): a plugin that loops
forever is stopped with one line instead of hanging every command.

Built-in strategies need none: their work is estimated and bounded before
they start (``work.py``). A plugin's is unknown, so its call runs under a
real-time alarm (SIGALRM), which interrupts Python code, loops included.
Only the main thread of a process can take signals: elsewhere (a Dask
thread) the call runs without a limit. The default, ``DEFAULT_PLAN_TIMEOUT_S``,
is in ``chipsim.limits``.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from ..errors import StrategyError
from ..limits import DEFAULT_PLAN_TIMEOUT_S

T = TypeVar("T")

_limit_s: list[float] = [DEFAULT_PLAN_TIMEOUT_S]


class _Expired(BaseException):
    """The alarm went off; a BaseException, so a plugin's ``except Exception`` lets it by."""


@contextmanager
def limit(seconds: float) -> Iterator[None]:
    """Plugins planned inside this block get ``seconds`` each (restored after)."""
    _limit_s.append(seconds)
    try:
        yield
    finally:
        _limit_s.pop()


def call_within(label: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)``, refused with a StrategyError naming ``label`` when it
    runs past the current limit."""
    seconds = _limit_s[-1]
    if threading.current_thread() is not threading.main_thread():
        return function(*args, **kwargs)

    def expire(signum: int, frame: object) -> None:
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return function(*args, **kwargs)
    except _Expired:
        raise StrategyError(
            f"strategy {label} did not finish planning within {seconds:g} s "
            f"(--plan-timeout SECONDS; default {DEFAULT_PLAN_TIMEOUT_S:g})"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
