"""The exact planner of ``optimal`` on chains whose activations have one size.

``recurrence`` states the dynamic program and its limits, ``slot_costs`` what
it reads, ``floats`` and ``keys`` are its two fills (any costs; exact integer
keys, faster), and ``schedule`` walks a filled table back into ops.
"""
