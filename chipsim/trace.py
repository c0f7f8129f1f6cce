"""Deprecated path: ``chipsim.trace`` is now ``chipsim.sim.trace``; it goes in the next release."""

from ._moved import hand_over

hand_over(__name__, "chipsim.sim.trace")
