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
from typing import TextIO


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
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``: n more of ``total`` units are done. A no-op when not shown."""
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
    )
    try:
        yield bar.update
    finally:
        bar.close()
