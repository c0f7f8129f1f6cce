"""Deprecated path: ``chipsim.plan`` is now ``chipsim.sim.plan``. This alias goes in the
next release; import the new path."""

import sys
import warnings

from .sim import plan as _moved

warnings.warn(
    "chipsim.plan moved to chipsim.sim.plan; the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
sys.modules[__name__] = _moved
