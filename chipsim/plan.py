"""Deprecated path: ``chipsim.plan`` is now ``chipsim.sim.plan``; it goes in the next release."""

from ._moved import hand_over

hand_over(__name__, "chipsim.sim.plan")
