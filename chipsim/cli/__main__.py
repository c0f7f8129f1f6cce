"""``python -m chipsim.cli``: the same as ``chipsim``."""

from chipsim.cli import main

main()
