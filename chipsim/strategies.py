"""Deprecated path: ``chipsim.strategies`` is now ``chipsim.planners``. This alias goes
in the next release; import the new path. (The entry-point *group* of plug-in
strategies keeps its name, ``chipsim.strategies``: it is not a module path.)"""

import sys
import warnings

from . import planners as _moved

warnings.warn(
    "chipsim.strategies moved to chipsim.planners; the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
sys.modules[__name__] = _moved
