"""Deprecated path: ``chipsim.trace`` is now ``chipsim.sim.trace``. This alias goes in the
next release; import the new path."""

import sys
import warnings

from .sim import trace as _moved

warnings.warn(
    "chipsim.trace moved to chipsim.sim.trace; the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
sys.modules[__name__] = _moved
