"""Deprecated path: ``chipsim.strategies`` is now ``chipsim.planners``; it goes in the
next release. (The entry-point *group* of plug-in strategies keeps its name,
``chipsim.strategies``: it is not a module path.)"""

from ._moved import hand_over

hand_over(__name__, "chipsim.planners")
