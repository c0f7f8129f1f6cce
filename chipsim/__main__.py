"""``python -m chipsim`` and the ``chipsim`` console script.

Ctrl-C while the command line loads (numpy, pandas, click: about half a
second) ends it with one line and status 130, not a KeyboardInterrupt
traceback; once a command runs, the CLI handles it (``chipsim.cli``).
"""

from __future__ import annotations

import os
import signal
import sys


def _quiet_exit(signum: int, frame: object) -> None:
    sys.stderr.write("chipsim: interrupted\n")
    os._exit(130)  # nothing has started: no file is half-written


def entry() -> None:
    """Load the command line with Ctrl-C ending it quietly, then run it."""
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN  # e.g. a background job
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN if ignored else _quiet_exit)
    from chipsim.cli import main

    signal.signal(signal.SIGINT, previous)
    main()


if __name__ == "__main__":
    entry()
