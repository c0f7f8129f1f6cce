"""Mechanism: plans, the simulated chip they run on, and traces of what ran.

A ``Plan`` (``plan``, checked by ``plan_checks``) is the ordered ops a planner
emits; the ``engine`` runs any plan on the SimPy ``machine`` with its storage
places (``storage``), serially or overlapped (``overlap``), drawing what chance
decides (``draws``), and records a ``Trace``. Imports the model and the
foundation only.
"""
