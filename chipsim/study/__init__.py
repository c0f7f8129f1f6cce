"""Questions asked of runs: one run end to end, comparisons, break-even, sweeps, Pareto.

``scenario`` reads a chip and a network from TOML; ``run`` turns a strategy
spec into a checked result; ``analysis`` compares runs and solves for
break-even; ``grid``, ``sweep``, ``sweep_rows``, ``sweep_files``,
``sweep_lock`` and ``workers`` run many points, resumably; ``pareto`` finds
the plans no other beats. Imports the planners, the sim layer, the model and
the foundation; never the outputs.
"""
