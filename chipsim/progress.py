"""Progress on stderr for long work (sweeps, replications, long planning), with tqdm.

tqdm rather than rich: one small pure-Python package with no dependencies
that imports in about 30 ms, where rich brings pygments and markdown-it and
takes several times that, for a progress bar we need and nothing else.
The bar is drawn only when stderr is a terminal and the caller is not
quiet, so piped output, ``--json`` and logs never see it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TextIO

#: Long loops inside the library (planning tables, replications) report here; the CLI
#: installs a reporter with ``reporting``, so library code never draws anything itself.
_reporter: ContextVar[Callable[[str, int, int], None] | None] = ContextVar(
    "chipsim_progress", default=None
)


def shown(quiet: bool = False, stream: TextIO | None = None) -> bool:
    """Whether progress would be drawn: not quiet, and the stream (stderr) is a terminal."""
    stream = sys.stderr if stream is None else stream
    return not quiet and stream.isatty()


@contextmanager
def progress(
    total: int,
    label: str,
    *,
    unit: str = "run",
    quiet: bool = False,
    stream: TextIO | None = None,
    delay_s: float = 0.0,
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``: n more of ``total`` units are done. A no-op when not shown;
    no bar at all for work done within ``delay_s``."""
    if not shown(quiet, stream) or total <= 0:
        yield lambda n: None
        return
    from tqdm import tqdm

    class Bar(tqdm):
        monitor_interval = 0  # no monitor thread: sweeps fork their workers

    bar = Bar(
        total=total,
        desc=label,
        unit=unit,
        file=sys.stderr if stream is None else stream,
        leave=False,
        dynamic_ncols=True,
        mininterval=0.2,
        delay=delay_s,
    )
    try:
        yield bar.update
    finally:
        bar.close()


def report(label: str, done: int, total: int) -> None:
    """Say that ``done`` of ``total`` steps of ``label`` are finished (a no-op unless a
    reporter is installed). Cheap: long loops may call it every step."""
    reporter = _reporter.get()
    if reporter is not None:
        reporter(label, done, total)


@contextmanager
def reporting(*, quiet: bool = False, stream: TextIO | None = None) -> Iterator[None]:
    """Draw a bar for each label ``report`` hears of while the block runs (when shown)."""
    if not shown(quiet, stream):
        yield
        return
    bars: dict[str, tuple[Callable[[int], None], list[int], object]] = {}

    def reporter(label: str, done: int, total: int) -> None:
        if label not in bars:
            context = progress(total, label, unit="step", stream=stream, delay_s=0.5)
            bars[label] = (context.__enter__(), [0], context)
        advance, seen, context = bars[label]
        advance(done - seen[0])
        seen[0] = done
        if done >= total:
            context.__exit__(None, None, None)  # type: ignore[attr-defined]
            del bars[label]

    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)
        for _, _, context in bars.values():
            context.__exit__(None, None, None)  # type: ignore[attr-defined]
